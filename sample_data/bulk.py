"""The healthy bulk of the demo company: projects, suppliers, POs, budgets and actuals that tie out.

Everything here agrees on both sides; the planted mismatches live in ``plants.py``. Budgets
and actuals are built as per-(project, cost code) totals first (``Builder.budget_totals``,
``Builder.actual_totals``) so plants can bend a total before the Procore side is written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sample_data import wire
from sample_data.company import (
    COST_TYPES,
    GL_PROJECT,
    NO_PROJECT,
    OVERHEAD_GL,
    POOL_CC,
    SITE_GL,
    TRADE_BY_SEG,
    Builder,
    Item,
    Project,
    code_for,
)  # fmt: skip

ACTIVE = 15
PO_TARGET = 2000
CITIES = ["Harrisburg", "Allentown", "Scranton", "Erie", "Reading", "Lancaster", "York", "Altoona",
          "Bethlehem", "Wilkes-Barre", "Chester", "Easton", "Hazleton", "Pottsville", "Lebanon"]  # fmt: skip
KINDS = ["Medical Office", "Elementary School", "Parking Deck", "Warehouse", "Library", "Fire Station",
         "Dormitory", "Lab Building", "Retail Center", "Hotel", "Transit Hub", "Senior Living",
         "Data Center", "Civic Center", "Arena"]  # fmt: skip
SURNAMES = ["Anderson", "Baker", "Carter", "Dawson", "Ellis", "Fischer", "Garcia", "Hughes", "Ivanov",
            "Jensen", "Keller", "Lopez", "Morgan", "Nguyen", "Olsen", "Patel", "Quinn", "Russo",
            "Schmidt", "Turner", "Ulrich", "Vargas", "Walsh", "Xu", "Young", "Zimmer"]  # fmt: skip
BUSINESS = ["Concrete", "Steel", "Electric", "Plumbing", "Drywall", "Roofing", "Glass", "Excavating",
            "Paving", "Masonry", "HVAC", "Rebar", "Lumber", "Crane Rental", "Fire Protection"]  # fmt: skip
SUFFIXES = ["Inc.", "LLC", "Co.", "Corp.", "& Sons", "Group", "Services", "Supply"]
MATERIALS = ["Rebar #5 Grade 60", "Ready-mix 4000 psi", "W12x26 beam", "Drywall 5/8 type X",
             "Copper pipe 3/4in", "EMT conduit 1in", "Paint, eggshell", "Anchor bolts", "Formwork rental",
             "Excavation, bulk", "Crane day rate", "Labor, journeyman", "Insulation R-19", "Fill, select"]  # fmt: skip


def projects(b: Builder) -> None:
    """15 active Procore projects mirrored by SAP projects, two inactive ones, and P-1016 (no mapping)."""
    rng = b.rng
    fixed = {"01", "02", "03", "05"}
    for i in range(1, ACTIVE + 1):
        number = str(1000 + i)
        optional = ["09", "15", "16"]
        rng.shuffle(optional)
        chosen = sorted(fixed | set(optional[:2]) | ({"16"} if number == "1003" else set())
                        | ({"09"} if number == "1006" else set()))  # fmt: skip
        trades = [TRADE_BY_SEG[s] for s in chosen]
        name = f"{CITIES[i - 1]} {KINDS[i - 1]}"
        areas = {t.seg: rng.randint(2, 3) for t in trades}
        p = Project(number=number, pid=2_783_000 + i, wbs=f"P-{number}", trades=trades)
        p.areas = b.wbs_tree(p.wbs, name, trades, areas)
        b.procore_project(number, p.pid, name, active=True, origin=p.wbs)
        p.codes = b._codes
        b.projects[number] = p
    b.wbs_tree(NO_PROJECT, "Springfield Joint Venture (not in Procore)", [TRADE_BY_SEG["03"]], {"03": 1})
    for n, name in (("0901", "Closed-out Clinic"), ("0902", "Cancelled Garage")):
        b.procore_project(n, 2_782_000 + int(n), name, active=False, origin=None)


def supplier_name(b: Builder, used: set[str]) -> str:
    while True:
        name = f"{b.rng.choice(SURNAMES)} {b.rng.choice(BUSINESS)} {b.rng.choice(SUFFIXES)}"
        if name not in used:
            used.add(name)
            return name


def suppliers(b: Builder, first: int, last: int) -> None:
    used = set(b.supplier_names.values())
    for n in range(first, last + 1):
        number = str(1_000_000 + n)
        name = supplier_name(b, used)
        b.supplier(number, name, blocked=n % 97 == 0)
        b.vendor(7_100_000 + n, name, number, active=n % 53 != 0)
        b.vendor_of[number] = 7_100_000 + n


def random_item(b: Builder, p: Project, trade_seg: str) -> Item:
    rng = b.rng
    text = rng.choice(MATERIALS)
    t = TRADE_BY_SEG[trade_seg]
    roll = rng.random()
    if roll < 0.03:  # project overhead on the top WBS element: GL-only / GL+cost-center rows
        cc = POOL_CC if rng.random() < 0.5 else ""
        assignments = [(p.wbs, OVERHEAD_GL, cc)]
    else:
        gl = SITE_GL if (p.wbs == GL_PROJECT and rng.random() < 0.1) else rng.choice(t.gls)
        assignments = [(rng.choice(p.areas[trade_seg]), gl, "")]
    qty = Decimal(rng.randint(1, 400))
    price = wire.random_amount(rng, 5, 2500)
    if roll > 0.99:  # two account assignments, 60/40, across two trades
        other = rng.choice([s for s in p.areas if s != trade_seg])
        second = (rng.choice(p.areas[other]), rng.choice(TRADE_BY_SEG[other].gls), "")
        return Item(text, qty, price, [assignments[0], second], shares=(60, 40))
    if 0.96 < roll <= 0.97:  # price per 100 units
        return Item(text, qty * 100, price, assignments, price_unit=100)
    return Item(text, qty, price, assignments)


def purchase_orders(b: Builder, hostile_texts: list[str]) -> None:
    """~2,000 POs with ~10,000 items, each mirrored exactly by a Procore contract."""
    rng = b.rng
    usable = sorted(s for s in b.vendor_of if s not in b.no_po_suppliers)
    number = 4_500_000_100
    per_project = PO_TARGET // ACTIVE
    for p in b.projects.values():
        for _ in range(per_project + rng.randint(-3, 3)):
            number += 1
            seg = rng.choice([t.seg for t in p.trades])
            items = [random_item(b, p, seg) for _ in range(rng.choice([1, 2, 3, 4, 5, 5, 6, 7, 8, 9]))]
            if rng.random() < 0.01:
                items[0].text = rng.choice(hostile_texts)
            b.po(str(number), rng.choice(usable), items)
            fallback = rng.random() < 0.02  # linked by contract number and line position only
            kind = "work_order" if rng.random() < 0.3 else "purchase_order"
            b.mirror(p, str(number), items, kind=kind, origin=not fallback, line_origin=not fallback)


def budgets(b: Builder) -> None:
    """A WBS budget per level-3 element; totals per (project, cost code) for the Procore side."""
    rng = b.rng
    for p in b.projects.values():
        for areas in p.areas.values():
            for wbs in areas:
                amount = wire.random_amount(rng, 20_000, 400_000)
                b.wbs_budget(wbs, amount)
                code = code_for(wbs, "", "")
                assert code is not None
                key = (p.number, code)
                b.budget_totals[key] = b.budget_totals.get(key, Decimal(0)) + amount


def procore_budget_rows(b: Builder) -> None:
    """Write each (project, cost code) total as 2-3 cost-type rows in both budget views."""
    rng = b.rng
    for (number, code), total in sorted(b.budget_totals.items()):
        p = b.projects[number]
        types = rng.sample(COST_TYPES[:4], rng.randint(2, 3))
        parts = wire.split_amount(rng, total, len(types))
        rows = list(zip(types, parts, strict=False))
        if (number, code) in b.budget_duplicates:
            rows.append((rows[0][0], b.budget_duplicates[(number, code)]))
        for view in b.procore["budget_views"][str(p.pid)]:
            for ctype, amount in rows:
                b.procore["budget_detail_rows"][f"{view['id']}:{p.pid}"].append(
                    _row(b, p, code, ctype, amount)
                )


def _row(
    b: Builder, p: Project, code: str, ctype: tuple[int, str, str, str], amount: Decimal
) -> dict[str, Any]:
    ref = p.ref(code)
    return {"id": b.next_id("row"), "project_id": p.pid, "cost_code_id": ref["id"], "cost_code": ref,
            "cost_code_origin_id": None, "root_cost_code_id": ref["id"], "category_id": ctype[0],
            "category": ctype[1], "wbs_code_id": None, "original_budget_amount": wire.pc_money(amount),
            "budget_modifications": "0.00", "currency_configuration": {"currency_iso_code": "USD"}}  # fmt: skip


def actuals(b: Builder) -> None:
    """Journal-entry postings (several per WBS/GL/cost center) and their Procore totals."""
    rng = b.rng
    for p in b.projects.values():
        keys: list[tuple[str, str, str]] = []
        for seg, areas in p.areas.items():
            for wbs in areas:
                keys += [(wbs, gl, "") for gl in rng.sample(TRADE_BY_SEG[seg].gls, rng.randint(1, 2))]
        keys += [(p.wbs, OVERHEAD_GL, ""), (p.wbs, OVERHEAD_GL, POOL_CC)]
        if p.wbs == GL_PROJECT:
            keys += [(p.areas["01"][0], SITE_GL, ""), (p.areas["03"][0], SITE_GL, "")]
        for wbs, gl, cc in keys:
            for amount in wire.split_amount(rng, wire.random_amount(rng, 2_000, 90_000), rng.randint(2, 4)):
                b.posting(wbs, gl, cc, amount)
            if rng.random() < 0.1:  # a posting and its reversal: nets to zero, still several rows
                a = wire.random_amount(rng, 100, 900)
                b.posting(wbs, gl, cc, a)
                b.posting(wbs, gl, cc, -a)


def procore_actuals(b: Builder) -> None:
    """Approved direct costs and approved subcontractor invoices matching each total, plus noise
    (draft / pending / under-review documents) that must not count."""
    rng = b.rng
    for (number, code), total in sorted(b.actual_totals.items()):
        p = b.projects[number]
        for amount in wire.split_amount(rng, total, rng.randint(1, 3)):
            if rng.random() < 0.4 and _contracts(b, p):
                rec = b.requisition(p, [(code, amount)], status=rng.choice(["approved", "approved_as_noted"]))
                rec["origin_id"] = f"51{rec['id']}"  # posted in SAP: the ERP integration wrote its document
                rec["erp_status"] = "synced"
            else:
                b.direct_cost(p, [(code, amount)], status="approved")
    for p in b.projects.values():
        codes = sorted(c for (n, c) in b.actual_totals if n == p.number)
        for status in ("draft", "pending", "revise_and_resubmit"):
            b.direct_cost(p, [(rng.choice(codes), wire.random_amount(rng, 500, 9_000))], status=status)
        for status in ("draft", "under_review"):
            b.requisition(p, [(rng.choice(codes), wire.random_amount(rng, 500, 9_000))], status=status)


def _contracts(b: Builder, p: Project) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = (
        b.procore["work_order_contracts"][str(p.pid)] + b.procore["purchase_order_contracts"][str(p.pid)]
    )
    return out


def change_orders(b: Builder) -> None:
    """A few pending commitment change orders: present on the wire, never part of the amount."""
    rng = b.rng
    for p in b.projects.values():
        for c in rng.sample(_contracts(b, p), 2):
            b.procore["commitment_change_orders"][str(p.pid)].append({
                "id": b.next_id("cco"), "contract_id": c["id"], "number": "001", "status": "pending",
                "grand_total": wire.pc_money(wire.random_amount(rng, 500, 20_000)),
                "updated_at": wire.pc_ts(wire.moment(rng)),
            })  # fmt: skip
