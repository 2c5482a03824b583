"""The demo company as SAP ECC stores it: LFA1, PROJ/PRPS, EKKO/EKPO/EKKN, BPGE, COSP, TCURX.

The same company as the S/4 demo (``sample_data.generate``), rendered from its S/4 seed into
ECC's tables the way ECC would hold the same business: internal numbers for WBS elements
(PRPS-PSPNR; EKKN-PS_PSP_PNR and the CO object numbers ``PR`` + PSPNR refer to them),
zero-padded supplier, GL account and cost center numbers, ``YYYYMMDD`` dates, names in four
35-character fields, the item's net value in EKPO-NETWR, budgets in BPGE (value type 41,
original budget), actual costs in COSP (value type 04) by cost element and period.

Where ECC cannot hold a fact the S/4 seed plants, ``ecc_view`` first turns the S/4 seed into
what ECC would hold, and the answer key is computed by ``sample_data.rules`` from that view, so
the key says what a correct engine finds in the ECC rendering (``NOTES`` lists every such case):

- CURR amounts have two decimals: PO 4500000006 item 10's 1,250.011 is 1,250.01 in ECC, the
  tolerance exactly, so neither that line nor its PO is an exception;
- COSP has no cost center: the ``590000,4100,,01-910`` row of ``cost_codes.csv`` matches no
  ECC actual, which maps through the GL-only row ``590000,,,01-900`` instead;
- SOAP is XML 1.0, which cannot carry control characters such as ESC: supplier 1000006's
  ``\\x1b[31m…`` name arrives without them, a name mismatch against Procore's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sample_data.company import COMPANY_CODE
from sample_data.rules import answer_key as rules_answer_key

NAME_WIDTH, NAME_FIELDS = 35, 4
TEXT_WIDTH = 40
CENT = Decimal("0.01")
NOTES = (
    "PO 4500000006 item 00010: ECC stores amounts with two decimals, so 1250.011 is 1250.01 (= tolerance).",
    "Actuals: COSP has no cost center, so cost_codes.csv row 590000,4100,,01-910 matches no ECC actual.",
    "Supplier 1000006: SOAP (XML 1.0) cannot carry the ESC characters of its name.",
)
#: Characters XML 1.0 cannot carry (tab, line feed and carriage return it can).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DATE = re.compile(r"/Date\((-?\d+)")


def xml_safe(value: str) -> str:
    return _NOT_XML.sub("", value)


def name_fields(name: str) -> list[str]:
    """A name in NAME1–NAME4 (35 characters each), broken at single blanks so that joining
    the fields with one space gives the name back; a name that cannot be broken so is cut."""
    parts: list[str] = []
    rest = name
    while rest and len(parts) < NAME_FIELDS - 1 and len(rest) > NAME_WIDTH:
        cut = next(
            (i for i in range(NAME_WIDTH, 0, -1) if rest[i] == " " and rest[i - 1] != " "),
            None,
        )
        if cut is None:
            parts.append(rest[:NAME_WIDTH])
            rest = rest[NAME_WIDTH:]
        else:
            parts.append(rest[:cut])
            rest = rest[cut + 1 :]
    if rest:
        parts.append(rest[:NAME_WIDTH])
    return parts


def joined(fields: list[str]) -> str:
    """What Tieout reads back from NAME1–NAME4 (trailing blanks are padding)."""
    return " ".join(f.rstrip() for f in fields if f.rstrip())


def _cents(value: str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _dats(odata: str) -> str:
    m = _DATE.match(odata or "")
    if m is None:
        return "00000000"
    return datetime.fromtimestamp(int(m.group(1)) / 1000, UTC).strftime("%Y%m%d")


def ecc_view(sap: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The S/4 seed reduced to what ECC can hold (module docstring); same shape, new lists."""
    view = {k: [dict(r) for r in v] for k, v in sap.items()}
    for s in view["A_Supplier"]:
        s["SupplierName"] = s["SupplierFullName"] = joined(name_fields(xml_safe(s["SupplierName"])))
    for it in view["A_PurchaseOrderItem"]:
        it["PurchaseOrderItemText"] = xml_safe(it["PurchaseOrderItemText"])[:TEXT_WIDTH]
        it["NetPriceAmount"] = str(_cents(it["NetPriceAmount"]))
    for a in view["A_PurOrdAccountAssignment"]:
        a["PurgDocNetAmount"] = str(_cents(a["PurgDocNetAmount"]))
    for je in view["A_JournalEntryItemBasic"]:
        je["CostCenter"] = ""
    return view


def ecc_tables(view: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """ECC's tables holding ``view`` (an ``ecc_view``), as the simulator serves them."""
    lfa1 = []
    for s in view["A_Supplier"]:
        names = name_fields(s["SupplierName"])
        row = {"LIFNR": s["Supplier"].zfill(10), "KTOKK": "KRED", "ERDAT": _dats(s.get("CreationDate", ""))}
        row |= {f"NAME{i}": n for i, n in enumerate(names, start=1)}
        row |= {
            "LOEVM": "X" if s.get("DeletionIndicator") else "",
            "SPERR": "X" if s.get("PostingIsBlocked") else "",
            "SPERM": "X" if s.get("PurchasingIsBlocked") else "",
        }
        lfa1.append(row)

    projects = {p["ProjectUUID"]: p for p in view["A_EnterpriseProject"]}
    proj_nr = {uuid: n for n, uuid in enumerate(projects, start=1)}
    proj = [
        {
            "PSPNR": f"{proj_nr[u]:08d}",
            "PSPID": p["Project"],
            "POST1": p["ProjectDescription"][:40],
            "VBUKR": p["CompanyCode"],
        }  # fmt: skip
        for u, p in projects.items()
    ]
    elements = view["A_EnterpriseProjectElement"]
    by_uuid = {e["ProjectElementUUID"]: e for e in elements}
    pspnr = {e["ProjectElement"]: f"{n:08d}" for n, e in enumerate(elements, start=1)}

    def level(e: dict[str, Any]) -> int:
        depth, parent = 1, by_uuid.get(e["ParentObjectUUID"])
        while parent is not None:
            depth, parent = depth + 1, by_uuid.get(parent["ParentObjectUUID"])
        return depth

    prps = [
        {
            "PSPNR": pspnr[e["ProjectElement"]],
            "POSID": e["ProjectElement"],
            "POST1": e["ProjectElementDescription"][:40],
            "PSPHI": f"{proj_nr[e['ProjectUUID']]:08d}",
            "STUFE": str(level(e)),
            "PBUKR": projects[e["ProjectUUID"]]["CompanyCode"],
        }  # fmt: skip
        for e in elements
    ]

    heads = {p["PurchaseOrder"]: p for p in view["A_PurchaseOrder"]}
    ekko = [
        {
            "EBELN": n,
            "BUKRS": p["CompanyCode"],
            "BSTYP": "F",
            "BSART": p["PurchaseOrderType"],
            "LOEKZ": "",
            "AEDAT": _dats(p["PurchaseOrderDate"]),
            "LIFNR": p["Supplier"].zfill(10),
            "WAERS": p["DocumentCurrency"],
            "UNSEZ": "",
            "EKORG": p.get("PurchasingOrganization", ""),
            "EKGRP": p.get("PurchasingGroup", ""),
        }  # fmt: skip
        for n, p in heads.items()
    ]
    accounts: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for a in view["A_PurOrdAccountAssignment"]:
        accounts[(a["PurchaseOrder"], a["PurchaseOrderItem"])].append(a)
    ekpo, ekkn = [], []
    for it in view["A_PurchaseOrderItem"]:
        po, item = it["PurchaseOrder"], it["PurchaseOrderItem"]
        live = accounts[(po, item)]
        ekpo.append(
            {
                "EBELN": po,
                "EBELP": item,
                "LOEKZ": "",
                "AEDAT": _dats(heads[po]["LastChangeDateTime"]),
                "TXZ01": it["PurchaseOrderItemText"],
                "BUKRS": heads[po]["CompanyCode"],
                "MENGE": Decimal(it["OrderQuantity"]),
                "MEINS": it["PurchaseOrderQuantityUnit"][:3],
                "NETPR": Decimal(it["NetPriceAmount"]),
                "PEINH": Decimal(it["NetPriceQuantity"]),
                "NETWR": sum(
                    (Decimal(a["PurgDocNetAmount"]) for a in live if not a["IsDeleted"]), Decimal(0)
                ),
                "KNTTP": "P",
                "VRTKZ": "2" if len(live) > 1 else "",
            }  # fmt: skip
        )
        for a in live:
            ekkn.append(
                {
                    "EBELN": po,
                    "EBELP": item,
                    "ZEKKN": a["AccountAssignmentNumber"],
                    "LOEKZ": "X" if a["IsDeleted"] else "",
                    "SAKTO": a["GLAccount"].zfill(10),
                    "KOSTL": a["CostCenter"].zfill(10) if a["CostCenter"] else "",
                    "PS_PSP_PNR": pspnr.get(a["WBSElement"], ""),
                    "MENGE": Decimal(a["Quantity"]),
                    "VPROZ": Decimal(a["MultipleAcctAssgmtDistrPercent"]),
                    "NETWR": Decimal(a["PurgDocNetAmount"]),
                }  # fmt: skip
            )

    bpge = []
    for b in view["WBSBudget"]:
        objnr = f"PR{pspnr[b['WBSElement']]}"
        row = {"LEDNR": "0001", "OBJNR": objnr, "POSIT": "", "TRGKZ": "B", "GEBER": "", "VERSN": "000",
               "TWAER": b["Currency"]}  # fmt: skip
        bpge.append({**row, "WRTTP": "41", "VORGA": "KBUD", "WTGES": Decimal(b["BudgetAmount"])})
        # The overall plan beside it (value type 01): read by neither budgets nor actuals.
        bpge.append({**row, "WRTTP": "01", "VORGA": "KSTP", "WTGES": Decimal(b["BudgetAmount"]) * 2})

    cosp: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for je in view["A_JournalEntryItemBasic"]:
        if je["CompanyCode"] != COMPANY_CODE or je["Ledger"] != "0L":
            continue
        amount = Decimal(je["AmountInCompanyCodeCurrency"])
        key = (pspnr[je["WBSElement"]], je["FiscalYear"], je["GLAccount"], "H" if amount < 0 else "S",
               je["CompanyCodeCurrency"])  # fmt: skip
        row = cosp.setdefault(
            key,
            {
                "LEDNR": "00",
                "OBJNR": f"PR{key[0]}",
                "GJAHR": key[1],
                "WRTTP": "04",
                "VERSN": "000",
                "KSTAR": key[2].zfill(10),
                "HRKFT": "",
                "VRGNG": "COIN",
                "VBUND": "",
                "PARGB": "",
                "BEKNZ": key[3],
                "TWAER": key[4],
                "PERBL": "016",
            },  # fmt: skip
        )
        period = f"WTG{int(je['FiscalYearPeriod'][-3:]):03d}"
        row[period] = row.get(period, Decimal(0)) + amount
    plans = [{**r, "WRTTP": "01", "VRGNG": "RKP1"} for r in list(cosp.values())[::10]]
    return {
        "LFA1": lfa1,
        "PROJ": proj,
        "PRPS": prps,
        "EKKO": ekko,
        "EKPO": ekpo,
        "EKKN": ekkn,
        "BPGE": bpge,
        "COSP": [*cosp.values(), *plans],
        "TCURX": [{"CURRKEY": "JPY", "CURRDEC": "0"}, {"CURRKEY": "KWD", "CURRDEC": "3"}],
    }


def answer_key(company: Any) -> list[dict[str, str]]:
    """Every exception a correct engine finds tying Procore out against the ECC rendering."""
    return rules_answer_key(company.procore, ecc_view(company.sap), company.mappings, company.profile_extras)
