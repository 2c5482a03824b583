"""The planted mismatches: every kind on every object, each with fixed identifiers.

Planted records use reserved numbers (suppliers 1000001-1000040, POs 4500000001-4500000019,
Procore ids 9000001.., 9500001.., 7109001..) so their keys are the same for every seed and can be
listed in README.md. Each plant records what it is expected to produce (``Builder.expected``);
sub-tolerance cases record their unreported difference (``Builder.silent``), which the tests
need to tie per-project totals to the cent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sample_data import wire
from sample_data.bulk import supplier_name
from sample_data.company import NO_PROJECT, Builder, Item, Project

HOSTILE_NAMES = [
    "[bold red]x[/] Builders",
    '=HYPERLINK("http://evil","click")',
    "+cmd Rentals",
    "-2+3 Drywall",
    "@SUM(A1) Supply",
    "\x1b[31mred\x1b[0m Paving",
    "Bäcker & Söhne 🚧🏗️ Bau GmbH",
    ("Metropolitan Regional Mechanical Electrical Plumbing and Fire Contractors" + " " * 10)[:77] + "LLC",
]
HOSTILE_TEXTS = [
    "[bold red]x[/] rebar", '=HYPERLINK("http://evil","click")', "+cmd anchor bolts", "-2+3 drywall",
    "@SUM(A1) paint", "\x1b[31mred\x1b[0m conduit", "🚧 Formwork 🏗️", "\tTab-led text",
]  # fmt: skip
LONG_NAME = ("Consolidated Long-Named Holdings & Subsidiaries " * 7)[:296] + " LLC"
STALE_VENDOR_ID = 7_199_999


def expect(b: Builder, case: str, obj: str, kind: str, key: str, project: str = "", field: str = "") -> None:
    b.expected.append(
        {"case": case, "object": obj, "kind": kind, "key": key, "project": project, "field": field}
    )


def silent(b: Builder, case: str, obj: str, project: str, difference: str) -> None:
    b.silent.append({"case": case, "object": obj, "project": project, "difference": Decimal(difference)})


def vendors(b: Builder) -> None:
    def linked(n: int, name: str, procore_name: str | None = None, origin: bool = True) -> None:
        s = str(1_000_000 + n)
        b.supplier(s, name)
        b.vendor(7_100_000 + n, procore_name if procore_name is not None else name, s if origin else None)
        b.vendor_of[s] = 7_100_000 + n

    for n, name in enumerate(HOSTILE_NAMES, start=1):
        linked(n, name)
    linked(9, "Smith Electric LLC", "Smith Electric")
    expect(b, "vendor name differs", "vendor", "value_mismatch", "1000009", field="name")
    linked(10, "Northwind Mechanical, Inc.", "Northwind Mechanical Inc")
    expect(b, "vendor name differs by punctuation", "vendor", "value_mismatch", "1000010", field="name")
    linked(11, "Harbor Concrete Co.", '=HYPERLINK("http://evil","Harbor")')
    expect(
        b, "vendor name differs; Procore's is a formula", "vendor", "value_mismatch", "1000011", field="name"
    )
    linked(12, "Miller Supply Co.", origin=False)  # explicit vendors.csv link: the name is ambiguous
    linked(13, "Miller Supply Co.")
    linked(14, "R and J Plumbing, Inc.", "R&J Plumbing", origin=False)  # explicit link
    expect(b, "explicitly linked vendor, names differ", "vendor", "value_mismatch", "1000014", field="name")
    b.vendor_rows += [("1000012", "7100012"), ("1000014", "7100014"), ("1000015", str(STALE_VENDOR_ID))]
    b.supplier("1000015", "Granite State Rebar")
    expect(
        b, "vendors.csv row points at a Procore vendor that no longer exists", "vendor", "unmapped", "1000015"
    )
    linked(16, "Cascade Steel Erectors")
    b.vendor(7_109_001, "Cascade Steel Erectors", None)  # same name, no origin_id: links by name too
    b.no_po_suppliers.add("1000016")
    expect(
        b, "two Procore vendors (origin_id + exact name) on one supplier", "vendor", "duplicate", "1000016"
    )
    used = set(b.supplier_names.values()) | {"Joe's Dumpsters & Hauling", "Ghost Trucking"}
    for n in range(17, 21):
        b.supplier(str(1_000_000 + n), supplier_name(b, used))
        expect(b, "supplier not in Procore", "vendor", "missing_in_procore", str(1_000_000 + n))
    for n in range(21, 31):  # linked by exact name only
        linked(n, supplier_name(b, used), origin=False)
    for n in range(31, 41):
        linked(n, supplier_name(b, used))
    b.vendor(7_109_002, "Joe's Dumpsters & Hauling", None)
    expect(b, "Procore vendor with no ERP supplier", "vendor", "missing_in_erp", "procore:7109002")
    b.vendor(7_109_003, LONG_NAME, None)
    expect(b, "Procore-only vendor with a 300-character name", "vendor", "missing_in_erp", "procore:7109003")
    b.vendor(7_109_004, "Ghost Trucking", "1009999")
    expect(b, "Procore vendor whose origin_id names no supplier", "vendor", "missing_in_erp", "1009999")
    # One company on both sides under two spellings, never linked: the workstation's detail
    # suggests the vendors.csv row that links them (reconcile.suggest).
    b.supplier("1009501", "Okafor Drywall & Acoustics")
    expect(b, "supplier Procore has under another spelling", "vendor", "missing_in_procore", "1009501")
    b.vendor(7_109_005, "Okafor Drywall and Acoustics LLC", None)
    expect(b, "...and its unlinked Procore twin", "vendor", "missing_in_erp", "procore:7109005")


def _items(
    b: Builder, p: Project, seg: str, amounts: list[str], texts: list[str] | None = None
) -> list[Item]:
    out = []
    for i, a in enumerate(amounts):
        wbs = p.areas[seg][i % len(p.areas[seg])]
        text = texts[i] if texts else f"Planted item {i + 1}"
        out.append(Item(text, Decimal(1), Decimal(a), [(wbs, "510000", "")]))
    return out


def _set_amount(c: dict[str, Any], b: Builder, position: int, amount: Decimal) -> None:
    line = next(x for x in b.procore["commitment_line_items"][str(c["id"])] if x["position"] == position)
    c["grand_total"] = wire.pc_money(Decimal(c["grand_total"]) - Decimal(line["amount"]) + amount)
    line["amount"] = line["unit_cost"] = line["total_amount"] = wire.pc_money(amount)


def commitments(b: Builder) -> None:
    P = b.projects
    po = "4500000001"
    b.po(po, "1000031", items := _items(b, P["1001"], "03", ["18400.00", "2250.50"]))
    c = b.mirror(P["1001"], po, items, cid=9_000_101)
    c["vendor"] = {"id": 7_100_032, "name": b.supplier_names["1000032"]}
    expect(b, "contract vendor is another supplier", "commitment", "value_mismatch", po, "1001", "vendor")

    po = "4500000002"
    b.po(po, "1000033", items := _items(b, P["1002"], "05", ["4100.00", "12500.00", "730.25"]))
    c = b.mirror(P["1002"], po, items, cid=9_000_102)
    _set_amount(c, b, 2, Decimal("10000.00"))
    expect(
        b,
        "line amount differs by 2,500.00",
        "commitment_line",
        "value_mismatch",
        f"{po}/00020",
        "1002",
        "amount",
    )
    expect(
        b, "knock-on: the PO's sum of lines differs too", "commitment", "value_mismatch", po, "1002", "amount"
    )

    po = "4500000003"
    b.po(po, "1000034", items := _items(b, P["1003"], "02", ["8800.00", "1200.00"]))
    c = b.mirror(P["1003"], po, items, cid=9_000_103)
    line = b.procore["commitment_line_items"][str(c["id"])][0]
    line["cost_code"] = P["1003"].ref("05-100")
    expect(
        b,
        "line booked to another cost code",
        "commitment_line",
        "value_mismatch",
        f"{po}/00010",
        "1003",
        "cost_code",
    )

    po = "4500000004"
    b.po(po, "1000035", items := _items(b, P["1004"], "03", ["1250.01", "600.00"]))
    c = b.mirror(P["1004"], po, items, cid=9_000_104)
    _set_amount(c, b, 1, Decimal("1250.00"))
    silent(b, "line 0.01 over Procore (= tolerance)", "commitment_line", "1004", "0.01")
    silent(b, "the PO's sum 0.01 over (= tolerance)", "commitment", "1004", "0.01")

    po = "4500000005"
    b.po(po, "1000036", items := _items(b, P["1005"], "03", ["980.00"]))
    c = b.mirror(P["1005"], po, items, cid=9_000_105)
    _set_amount(c, b, 1, Decimal("980.01"))
    silent(b, "line 0.01 under Procore (= tolerance)", "commitment_line", "1005", "-0.01")
    silent(b, "the PO's sum 0.01 under (= tolerance)", "commitment", "1005", "-0.01")

    po = "4500000006"
    b.po(po, "1000037", items := _items(b, P["1006"], "03", ["1250.011", "99.00"]))
    c = b.mirror(P["1006"], po, items, cid=9_000_106)
    _set_amount(c, b, 1, Decimal("1250.00"))
    expect(b, "line 0.011 apart: a tenth of a cent above tolerance", "commitment_line", "value_mismatch",
           f"{po}/00010", "1006", "amount")  # fmt: skip
    expect(b, "knock-on: the PO's sum is 0.011 apart", "commitment", "value_mismatch", po, "1006", "amount")

    po = "4500000007"
    b.po(po, "1000038", _items(b, P["1007"], "03", ["5400.00", "610.00"]))
    expect(b, "PO never sent to Procore", "commitment", "missing_in_procore", po, "1007")
    for item in ("00010", "00020"):
        expect(b, "its lines", "commitment_line", "missing_in_procore", f"{po}/{item}", "1007")

    c = b.contract(P["1007"], cid=9_000_001, number="4500099001", origin="4500099001", vendor_id=7_100_039)
    for pos, amount in ((1, "7700.00"), (2, "420.00")):
        b.line(c, P["1007"], lid=9_500_000 + pos, position=pos, amount=Decimal(amount), code="03-300",
               origin=f"4500099001/{pos * 10:05d}", description="Synced, then the PO was deleted in SAP")  # fmt: skip
        expect(
            b,
            "its lines (keyed by origin_id)",
            "commitment_line",
            "missing_in_erp",
            f"4500099001/{pos * 10:05d}",
            "1007",
        )
    expect(
        b,
        "Procore contract whose origin_id names no PO",
        "commitment",
        "missing_in_erp",
        "4500099001",
        "1007",
    )

    c = b.contract(P["1008"], cid=9_000_002, number="WO-SITE-77", origin=None, vendor_id=7_100_040,
                   kind="work_order", title="Subcontract entered in Procore only")  # fmt: skip
    for pos, amount in ((1, "15000.00"), (2, "2750.00")):
        b.line(c, P["1008"], lid=9_500_002 + pos, position=pos, amount=Decimal(amount), code="02-200",
               origin=None, description=LONG_NAME if pos == 1 else "Site clearing")  # fmt: skip
        expect(
            b,
            "its lines (no origin_id)",
            "commitment_line",
            "missing_in_erp",
            f"procore:{9_500_002 + pos}",
            "1008",
        )
    expect(b, "Procore work order with no ERP PO", "commitment", "missing_in_erp", "procore:9000002", "1008")

    po = "4500000008"
    b.po(po, "1000039", items := _items(b, P["1008"], "03", ["3300.00", "1700.00"]))
    b.mirror(P["1008"], po, items, cid=9_000_108)
    b.contract(P["1008"], cid=9_000_003, number=po, origin=None, vendor_id=b.vendor_of["1000039"],
               title="Same PO keyed in by hand (no lines)")  # fmt: skip
    expect(b, "two Procore contracts (origin_id + number) on one PO", "commitment", "duplicate", po, "1008")

    po = "4500000009"
    b.po(po, "1000040", items := _items(b, P["1009"], "05", ["1000.00", "2000.00", "3000.00", "4000.00"]))
    b.mirror(P["1009"], po, items, cid=9_000_109, skip=(3,))
    expect(
        b, "Procore contract lacks item 30", "commitment_line", "missing_in_procore", f"{po}/00030", "1009"
    )
    expect(
        b, "knock-on: the PO's sum differs by item 30", "commitment", "value_mismatch", po, "1009", "amount"
    )

    po = "4500000010"
    b.po(po, "1000031", items := _items(b, P["1010"], "02", ["500.00", "600.00", "700.00", "800.00"]))
    c = b.mirror(P["1010"], po, items, cid=9_000_110)
    b.line(c, P["1010"], lid=9_500_010, position=5, amount=Decimal("3300.00"), code="02-200", origin=None,
           description="Extra line added in Procore only")  # fmt: skip
    expect(b, "Procore line with no SAP item (position 5, no item 00050)", "commitment_line", "missing_in_erp",
           "procore:9500010", "1010")  # fmt: skip
    expect(
        b, "knock-on: the PO's sum differs by that line", "commitment", "value_mismatch", po, "1010", "amount"
    )

    po = "4500000011"
    items = _items(b, P["1005"], "03", ["2100.00", "900.00"])
    items.append(Item("Site office rental", Decimal(3), Decimal("450.00"), [(P["1005"].wbs, "530000", "")]))
    b.po(po, "1000032", items)
    b.mirror(P["1005"], po, items, cid=9_000_111, skip=(3,))
    expect(b, "item on the top WBS with GL 530000: no cost_codes.csv row", "commitment_line", "unmapped",
           f"{po}/00030", "1005")  # fmt: skip
    expect(
        b,
        "knock-on: the PO's sum includes the unmapped item",
        "commitment",
        "value_mismatch",
        po,
        "1005",
        "amount",
    )

    po = "4500000012"
    b.po(po, "1000033", [Item(f"JV pour {i}", Decimal(1), Decimal(a), [(f"{NO_PROJECT}-03-01", "510000", "")])
                         for i, a in ((1, "6400.00"), (2, "1600.00"))])  # fmt: skip
    expect(b, "PO on WBS P-1016, which projects.csv does not list", "commitment", "unmapped", po)
    for item in ("00010", "00020"):
        expect(b, "its lines", "commitment_line", "unmapped", f"{po}/{item}")

    po = "4500000020"
    b.po(po, "1000032", items := _items(b, P["1004"], "05", ["2600.00", "410.00"]))
    c = b.mirror(P["1004"], po, items, cid=9_000_120)
    b.line(c, P["1004"], lid=9_500_030, position=3, amount=Decimal("2600.00"), code="05-100",
           origin=f"{po}/00010", description=items[0].text)  # fmt: skip
    expect(b, "line copied in Procore with its origin_id: two lines on item 10", "commitment_line", "duplicate",
           f"{po}/00010", "1004")  # fmt: skip
    expect(
        b,
        "knock-on: the copy adds 2,600.00 to the contract",
        "commitment",
        "value_mismatch",
        po,
        "1004",
        "amount",
    )
    silent(
        b,
        "the copied line's 2,600.00 (carried by the duplicate, no difference)",
        "commitment_line",
        "1004",
        "-2600.00",
    )

    # Links that must hold without exceptions.
    po = "4500000013"
    b.po(po, "1000034", items := _items(b, P["1011"], "03", ["100.00", "200.00", "300.00"]))
    b.mirror(P["1011"], po, items, cid=9_000_113, origin=False, line_origin=False)
    po = "4500000014"
    b.po(po, "1000035", items := _items(b, P["1012"], "05", ["110.00", "220.00", "330.00", "440.00"]))
    c = b.mirror(P["1012"], po, items, cid=9_000_114)
    for line in b.procore["commitment_line_items"][str(c["id"])][::2]:
        line["origin_id"] = None
    po = "4500000015"
    p = P["1013"]
    b.po(po, "1000036", items := [
        Item("Split pour", Decimal(10), Decimal("812.35"), [(p.areas["03"][0], "510000", ""), (p.areas["05"][0], "510000", "")], shares=(60, 40)),
        Item("Split steel", Decimal(7), Decimal("1999.99"), [(p.areas["05"][1], "511000", ""), (p.areas["02"][0], "511000", "")], shares=(70, 30)),
    ])  # fmt: skip
    b.mirror(p, po, items, cid=9_000_115, kind="work_order")
    po = "4500000016"
    b.po(po, "1000001", items := _items(b, P["1014"], "03", ["10.00"] * 8, HOSTILE_TEXTS))
    b.mirror(P["1014"], po, items, cid=9_000_116)
    po = "4500000017"
    p = P["1015"]
    b.po(
        po,
        "1000007",
        items := [
            Item(
                "Rebar by weight",
                Decimal(2500),
                Decimal("87.50"),
                [(p.areas["03"][0], "510000", "")],
                price_unit=100,
            )
        ],
    )
    b.mirror(p, po, items, cid=9_000_117)
    for po, supplier, project in (("4500000018", "1000021", "1001"), ("4500000019", "1000012", "1002")):
        b.po(po, supplier, items := _items(b, P[project], "02", ["640.00", "360.00"]))
        b.mirror(P[project], po, items, cid=9_000_100 + int(po[-2:]))


def budgets(b: Builder) -> None:
    """Bend the Procore budget totals (before the rows are written) and add unmapped WBS budgets."""
    t = b.budget_totals
    t[("1001", "03-300")] -= Decimal("1500.00")
    expect(
        b,
        "Procore budget 1,500.00 below the WBS budget",
        "budget",
        "value_mismatch",
        "1001/03-300",
        "1001",
        "amount",
    )
    t[("1002", "03-300")] -= Decimal("0.01")
    silent(b, "budget 0.01 apart (= tolerance)", "budget", "1002", "0.01")
    del t[("1003", "16-100")]
    expect(b, "WBS budget with no Procore budget rows", "budget", "missing_in_procore", "1003/16-100", "1003")
    t[("1005", "01-500")] = Decimal("18250.00")
    expect(
        b,
        "Procore budget on a cost code no WBS budget maps to",
        "budget",
        "missing_in_erp",
        "1005/01-500",
        "1005",
    )
    b.budget_duplicates[("1006", "09-900")] = Decimal("12000.00")
    expect(
        b,
        "two detail rows with the same cost code and cost type",
        "budget",
        "duplicate",
        "1006/09-900",
        "1006",
    )
    expect(b, "knock-on: the duplicated row inflates Procore's budget", "budget", "value_mismatch", "1006/09-900",
           "1006", "amount")  # fmt: skip
    b.wbs_budget("P-1004", Decimal("75000.00"))
    expect(
        b,
        "budget on the top WBS element: no WBS-only row covers it",
        "budget",
        "unmapped",
        "P-1004//",
        "1004",
    )
    b.wbs_budget(f"{NO_PROJECT}-03-01", Decimal("120000.00"))
    expect(
        b, "budget on P-1016, which projects.csv does not list", "budget", "unmapped", f"{NO_PROJECT}-03-01//"
    )


def actuals(b: Builder) -> None:
    """Bend actual totals, plant Procore-side documents, add unmapped postings (before Procore is written)."""
    P, t = b.projects, b.actual_totals
    for amount in ("1500.00", "840.00"):  # one SAP invoice, two GL lines
        b.posting(P["1001"].areas["05"][0], "510000", "", Decimal(amount))
    t[("1001", "05-100")] -= Decimal("2340.00")
    expect(
        b,
        "SAP invoice of 2,340.00 not yet in Procore",
        "actual",
        "value_mismatch",
        "1001/05-100",
        "1001",
        "amount",
    )
    t[("1002", "02-200")] += Decimal("0.01")
    silent(b, "actuals 0.01 apart (= tolerance)", "actual", "1002", "-0.01")
    del t[("1003", "02-200")]
    b.direct_cost(P["1003"], [("02-200", Decimal("8800.00"))], status="draft")
    b.direct_cost(P["1003"], [("02-200", Decimal("1234.56"))], status="pending")
    b.requisition(P["1003"], [("02-200", Decimal("5000.00"))], status="under_review")
    expect(b, "ERP cost whose Procore documents are all draft/pending", "actual", "missing_in_procore",
           "1003/02-200", "1003")  # fmt: skip
    b.direct_cost(P["1009"], [("01-500", Decimal("4875.00"))], status="approved")
    expect(
        b,
        "approved Procore direct cost with no ERP posting",
        "actual",
        "missing_in_erp",
        "1009/01-500",
        "1009",
    )
    for amount in ("4000.00", "2150.00"):
        b.posting(P["1007"].areas["03"][0], "511000", "", Decimal(amount))
    t[("1007", "03-300")] -= Decimal("6150.00")  # the two synced copies below carry it
    for _ in range(2):
        b.direct_cost(P["1007"], [("03-300", Decimal("6150.00"))], status="approved", origin="5100004711",
                      invoice="RE-4711", vendor_id=7_100_031)  # fmt: skip
    expect(b, "one SAP invoice synced into two approved direct costs (same origin_id)", "actual", "duplicate",
           "1007/03-300", "1007")  # fmt: skip
    expect(
        b,
        "knock-on: the copy doubles Procore's cost",
        "actual",
        "value_mismatch",
        "1007/03-300",
        "1007",
        "amount",
    )
    for amount in ("1800.00", "950.00"):
        b.posting(P["1006"].wbs, "530000", "", Decimal(amount))
        b.posting(f"{NO_PROJECT}-03-01", "511000", "", Decimal(amount))
    expect(b, "postings on the top WBS with GL 530000", "actual", "unmapped", "P-1006/530000/", "1006")
    expect(b, "postings on P-1016 (no project row)", "actual", "unmapped", f"{NO_PROJECT}-03-01/511000/")
    waiting_invoice(b)


def waiting_invoice(b: Builder) -> None:
    """An approved subcontractor invoice not yet posted to SAP (no origin_id): the workstation
    posts it as a supplier invoice against the PO (push procore_to_erp)."""
    p = b.projects["1005"]
    split = {
        (a["PurchaseOrder"], a["PurchaseOrderItem"])
        for a in b.sap["A_PurOrdAccountAssignment"]
        if a["AccountAssignmentNumber"] != "01"
    }
    for c in sorted(b.procore["purchase_order_contracts"][str(p.pid)], key=lambda c: c["id"]):
        lines = b.procore["commitment_line_items"][str(c["id"])]
        if not c["origin_id"] or not lines or not lines[0]["origin_id"]:
            continue
        po, _, item = lines[0]["origin_id"].partition("/")
        if (po, item) in split:  # one WBS element per item, so the cost lands on one cost code
            continue
        code = lines[0]["cost_code"]["full_code"]
        b.requisition(p, [(code, Decimal("3200.00"))], status="approved", contract=c)
        expect(b, "approved subcontractor invoice not yet in SAP", "actual", "value_mismatch",
               f"1005/{code}", "1005", "amount")  # fmt: skip
        return


def inactive_projects(b: Builder) -> None:
    """Records in the two inactive Procore projects: the profile pulls active projects only."""
    for number in ("0901", "0902"):
        pid = 2_782_000 + int(number)
        p = Project(number=number, pid=pid, wbs="", trades=[], codes={
            c["full_code"]: c for c in b.procore["cost_codes"][str(pid)]})  # fmt: skip
        c = b.contract(p, cid=9_000_010 + int(number) % 10, number=f"OLD-{number}", origin=None,
                       vendor_id=7_100_041)  # fmt: skip
        b.line(c, p, lid=9_500_020 + int(number) % 10, position=1, amount=Decimal("9999.00"), code="03-300",
               origin=None, description="Closed-out work")  # fmt: skip
        view = b.procore["budget_views"][str(pid)][0]
        b.procore["budget_detail_rows"][f"{view['id']}:{pid}"].append({
            "id": b.next_id("row"), "project_id": pid, "cost_code_id": p.codes["03-300"]["id"],
            "cost_code": p.ref("03-300"), "category_id": 1002, "category": "Material",
            "original_budget_amount": "50000.00", "budget_modifications": "0.00",
        })  # fmt: skip
        b.direct_cost(p, [("03-300", Decimal("777.00"))], status="approved")
