"""The demo company seen from SAP S/4HANA (``erps.DEMO_ERPS["sap-s4"]``, the default demo).

The builder writes SAP's OData wire shape directly (``Builder.sap``), so this module only
starts the simulator and says how a profile points at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The simulator's technical user and its secret (not a secret: it opens nothing but the simulator).
SHORT = "SAP"  # the demo profile is named "Demo GC / SAP"
CLIENT = "TIEOUT_COMM_USER"
SECRET = "sim-erp-client-secret"
ANSWER_KEY = Path(__file__).resolve().parent / "demo" / "answer_key_sap-s4.csv"


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def erp_section(url: str, extras: dict[str, Any]) -> str:
    """The profile's ``[erp]`` section for an SAP S/4HANA at ``url``."""
    return f"""[erp]
kind = "sap-s4"
base_url = {_toml_str(url)}
token_url = {_toml_str(url + "/sap/bc/sec/oauth2/token")}
client_id = {_toml_str(CLIENT)}
sap_client = "100"
company_code = {_toml_str(str(extras.get("company_code", "1000")))}
"""


def answer_key(company: Any) -> list[dict[str, str]]:
    """SAP's key is the reference rules' key over the seeds (``rules.answer_key``)."""
    return list(company.answer_key)


def mappings(company: Any) -> dict[str, str]:
    """The builder's mapping tables are SAP's already (``wbs_element``, ``gl_account``, ...)."""
    return dict(company.mappings)


def procore(company: Any) -> dict[str, Any]:
    """The builder's Procore seed is linked to SAP already (line ``origin_id`` = ``PO/item``)."""
    return dict(company.procore)


def start(company: Any, **options: Any) -> tuple[Any, str]:
    """Start the SAP simulator on the company's SAP seed; (simulator, ``[erp]`` section)."""
    from adapters.sap.simulator import SapSimulator

    sim = SapSimulator(company.sap, client_id=CLIENT, client_secret=SECRET, **options)
    url = sim.start()
    return sim, erp_section(url, dict(getattr(company, "profile_extras", {}) or {}))
