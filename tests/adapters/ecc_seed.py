"""A small ECC company code for the adapter tests, as SAP stores it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

USER = "TIEOUT_RFC"
PASSWORD = "sim-password"  # a simulator's, not a real secret
COMPANY = "1000"


def ecc_tables() -> dict[str, list[dict[str, Any]]]:
    lfa1 = [
        {
            "LIFNR": f"{i:010d}",
            "NAME1": f"Vendor {i}",
            "NAME2": "Steel & Co" if i == 1 else "",
            "LOEVM": "",
            "SORTL": "VEND",
            "ORT01": "Springfield",
            "STRAS": f"{i} Main St",
        }
        for i in range(1, 8)
    ]
    ekko = [
        {
            "EBELN": f"45000000{n:02d}",
            "BUKRS": COMPANY,
            "BSTYP": "F",
            "BSART": "NB",
            "LIFNR": f"{n:010d}",
            "WAERS": "USD",
            "AEDAT": "20261101",
            "UNSEZ": "",
        }
        for n in range(1, 5)
    ]
    ekko.append({**ekko[0], "EBELN": "4500000099", "BUKRS": "2000"})
    ekpo = [
        {
            "EBELN": f"45000000{n:02d}",
            "EBELP": f"{i * 10:05d}",
            "TXZ01": f"Item {i}",
            "BUKRS": COMPANY,
            "MENGE": Decimal("1.000"),
            "NETPR": Decimal("12500.00"),
            "PEINH": Decimal(1),
            "NETWR": Decimal("12500.00"),
            "KNTTP": "P",
            "AEDAT": "20261101",
            "LOEKZ": "",
        }
        for n in range(1, 5)
        for i in (1, 2)
    ]
    ekpo[1]["NETWR"] = Decimal("-250.50")
    prps = [
        {
            "PSPNR": f"{k:08d}",
            "POSID": pos,
            "POST1": f"Element {pos}",
            "PSPHI": "00000001",
            "STUFE": str(pos.count("-")),
            "PBUKR": COMPANY,
        }
        for k, pos in enumerate(("P-1001", "P-1001-01", "P-1001-02"), start=1)
    ]
    return {"LFA1": lfa1, "EKKO": ekko, "EKPO": ekpo, "PRPS": prps}


def ecc_settings(sim: Any, **over: Any) -> Any:
    from adapters.sap_ecc.settings import SapEccSettings

    values: dict[str, Any] = {
        "base_url": sim.base_url,
        "wsdl_url": sim.wsdl_url,
        "username": USER,
        "sap_client": "100",
        "company_code": COMPANY,
        "page_size": 3,
    }
    values.update(over)
    return SapEccSettings(**values)


def ecc_full_tables() -> dict[str, list[dict[str, Any]]]:
    """``ecc_tables`` plus what the canonical tables need: a project, account assignments (one
    item split 60/40), a deleted item, a PO in a zero-decimal currency, budgets and CO totals."""
    tables = ecc_tables()
    tables["LFA1"].append({"LIFNR": "0000000008", "NAME1": "Blocked Vendor", "SPERR": "X"})
    tables["PROJ"] = [{"PSPNR": "00000001", "PSPID": "P-1001", "POST1": "Tower", "VBUKR": COMPANY}]
    tables["EKKN"] = [
        {
            "EBELN": "4500000001",
            "EBELP": "00010",
            "ZEKKN": zekkn,
            "PS_PSP_PNR": pspnr,
            "SAKTO": sakto,
            "KOSTL": kostl,
            "MENGE": Decimal(menge),
            "VPROZ": Decimal(share),
            "NETWR": Decimal(netwr),
        }
        # 40 % first, 60 % second: the larger share decides, not the first row.
        for zekkn, pspnr, sakto, kostl, menge, share, netwr in (
            ("01", "00000002", "0000511000", "", "0.4", "40.0", "5000.00"),
            ("02", "00000003", "0000510000", "0000004100", "0.6", "60.0", "7500.00"),
        )
    ] + [
        {
            "EBELN": f"45000000{n:02d}",
            "EBELP": item,
            "ZEKKN": "01",
            "PS_PSP_PNR": "00000002",
            "SAKTO": "0000510000",
            "MENGE": Decimal(1),
            "VPROZ": Decimal(0),
            "NETWR": Decimal("12500.00"),
        }
        for n in (2, 3, 4)
        for item in ("00010", "00020")
    ]
    for line in tables["EKPO"]:
        if (line["EBELN"], line["EBELP"]) == ("4500000002", "00020"):
            line["LOEKZ"] = "L"
    for head in tables["EKKO"]:
        if head["EBELN"] == "4500000003":
            head["WAERS"] = "JPY"
    for line in tables["EKPO"]:
        if line["EBELN"] == "4500000003":
            line["NETPR"] = line["NETWR"] = Decimal("125.00")  # JPY 12,500 as SAP stores it
    tables["TCURX"] = [{"CURRKEY": "JPY", "CURRDEC": "0"}, {"CURRKEY": "KWD", "CURRDEC": "3"}]
    budget = {"LEDNR": "0001", "OBJNR": "PR00000002", "TRGKZ": "B", "VERSN": "000", "TWAER": "USD"}
    tables["BPGE"] = [
        {**budget, "WRTTP": "41", "VORGA": "KBUD", "WTGES": Decimal("1000.00")},
        {**budget, "WRTTP": "41", "VORGA": "KBN0", "WTGES": Decimal("250.00")},
        {**budget, "WRTTP": "01", "VORGA": "KSTP", "WTGES": Decimal("9999.00")},  # plan: not budget
    ]
    cosp = {"LEDNR": "00", "OBJNR": "PR00000003", "GJAHR": "2026", "VERSN": "000", "TWAER": "USD"}
    tables["COSP"] = [
        {
            **cosp,
            "WRTTP": "04",
            "KSTAR": "0000510000",
            "BEKNZ": "S",
            "WTG001": Decimal("100.00"),
            "WTG016": Decimal("1.00"),
        },
        {**cosp, "WRTTP": "04", "KSTAR": "0000510000", "BEKNZ": "H", "WTG012": Decimal("-50.25")},
        {**cosp, "WRTTP": "01", "KSTAR": "0000510000", "BEKNZ": "S", "WTG001": Decimal("777.00")},
    ]
    return tables
