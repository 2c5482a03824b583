"""The demo company seen from SAP ECC (``erps.DEMO_ERPS["sap-ecc"]``): ``tieout demo --erp sap-ecc``.

``sap_ecc_wire`` renders the company's S/4 seed as ECC's tables; this module starts the
SOAP simulator on them and says how a profile points at it. The mapping tables are the
S/4 demo's: ECC has the same dimensions (``wbs_element``, ``gl_account``, ``cost_center``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sample_data.sap_ecc_wire import NOTES, answer_key, ecc_tables, ecc_view

__all__ = ["ANSWER_KEY", "NOTES", "SECRET", "SHORT", "answer_key", "erp_section", "mappings", "start"]

SHORT = "SAP ECC"  # the demo profile is named "Demo GC / SAP ECC"
USERNAME = "TIEOUT_RFC"
#: The simulator's password (not a secret: it opens nothing but the simulator).
SECRET = "sim-ecc-rfc-password"
SAP_CLIENT = "100"
ANSWER_KEY = Path(__file__).resolve().parent / "demo" / "answer_key_sap-ecc.csv"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def erp_section(sim: Any, extras: dict[str, Any]) -> str:
    """The profile's ``[erp]`` section for the ECC simulator ``sim``."""
    return f"""[erp]
kind = "sap-ecc"
base_url = {_toml_str(sim.base_url)}
wsdl_url = {_toml_str(sim.wsdl_url)}
username = {_toml_str(USERNAME)}
sap_client = {_toml_str(SAP_CLIENT)}
company_code = {_toml_str(str(extras.get("company_code", "1000")))}
"""


def mappings(company: Any) -> dict[str, str]:
    """ECC's mapping tables have S/4's columns: the builder's tables as they are."""
    return dict(company.mappings)


def start(company: Any, **options: Any) -> tuple[Any, str]:
    """Start the ECC simulator on the company's ECC tables; (simulator, ``[erp]`` section)."""
    from adapters.sap_ecc.simulator import EccSimulator

    sim = EccSimulator(
        ecc_tables(ecc_view(company.sap)),
        username=USERNAME,
        password=SECRET,
        sap_client=SAP_CLIENT,
        **options,
    )
    sim.start()
    return sim, erp_section(sim, dict(getattr(company, "profile_extras", {}) or {}))
