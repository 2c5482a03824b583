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
