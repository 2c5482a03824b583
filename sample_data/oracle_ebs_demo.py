"""The demo company seen from Oracle EBS (``erps.DEMO_ERPS["oracle-ebs"]``).

``oracle_ebs_wire`` renders the company's ERP side as XX_TIEOUT_READ rows and relinks the
Procore side to EBS's line keys; this module starts the EBS simulator on them, writes the
mapping tables in EBS's columns and derives the answer key EBS must reproduce.

Answer key: the same planted facts as SAP's key (``rules.answer_key``), written in EBS's
words (``NOTES``): a commitment line key is ``PO/line`` (``4500000002/2``, SAP's item
``00020``); an unmapped budget or actual is keyed by ``erp_project/account/cost_center/task``
(SAP: ``wbs_element/gl_account/cost_center``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sample_data import oracle_ebs_wire as wire

SHORT = "EBS"
USERNAME = "TIEOUT_INT"
#: The simulator's password for USERNAME (not a secret: it opens nothing but the simulator).
SECRET = "sim-ebs-password"
RESPONSIBILITY = "TIEOUT_INTEGRATION"  # docs/oracle-ebs.md, "Least privileges"
ANSWER_KEY = Path(__file__).resolve().parent / "demo" / "answer_key_oracle-ebs.csv"
NOTES = (
    "Every fact planted in the SAP demo has an EBS counterpart: task numbers are the WBS element "
    "ids, the GL account is SEGMENT2 and the cost center SEGMENT3 (blank where SAP has none). "
    "Only the keys change: commitment lines are PO/line, unmapped budgets and actuals "
    "erp_project/account/cost_center/task."
)
#: SAP mapping column → EBS mapping column.
_COLUMNS = {
    "wbs_element": "task",
    "gl_account": "account",
    "cost_center": "cost_center",
}


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _table(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k} = {_toml_str(v)}" for k, v in mapping.items()) + "}"


def erp_section(url: str) -> str:
    """The profile's ``[erp]`` section for the EBS simulator at ``url``."""
    return f"""[erp]
kind = "oracle-ebs"
base_url = {_toml_str(url)}
username = {_toml_str(USERNAME)}
responsibility = {_toml_str(RESPONSIBILITY)}
resp_application = "SQLGL"
security_group = "STANDARD"
nls_language = "AMERICAN"
org_id = {_toml_str(wire.ORG_ID)}
ledger_id = {_toml_str(wire.LEDGER_ID)}
segments = {_table(wire.SEGMENTS)}
offset_segments = {_table(wire.OFFSET_SEGMENTS)}
fixed_segments = {_table(wire.FIXED_SEGMENTS)}
poll_seconds = 1
"""


def _rewrite(text: str, columns: dict[str, str], order: list[str]) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(order)
    for r in rows:
        w.writerow([r[next(k for k, v in columns.items() if v == col)] for col in order])
    return out.getvalue()


def mappings(company: Any) -> dict[str, str]:
    """The SAP mapping tables in EBS's columns: projects by PA project number (the top WBS
    element's id), cost codes by ``account,cost_center,task`` (the segments, then ``task``)."""
    m = dict(company.mappings)
    m["projects.csv"] = _rewrite(
        m["projects.csv"],
        {"wbs_element": "erp_project", "procore_project_number": "procore_project_number"},
        ["erp_project", "procore_project_number"],
    )
    m["cost_codes.csv"] = _rewrite(
        m["cost_codes.csv"],
        {**_COLUMNS, "procore_cost_code": "procore_cost_code"},
        ["account", "cost_center", "task", "procore_cost_code"],
    )
    return m


def _project_of(sap: dict[str, Any]) -> dict[str, str]:
    """WBS element → its SAP project (the EBS project number)."""
    projects = {p["ProjectUUID"].lower(): p["Project"] for p in sap["A_EnterpriseProject"]}
    return {
        e["ProjectElement"]: projects.get(e["ProjectUUID"].lower(), "")
        for e in sap["A_EnterpriseProjectElement"]
    }


def answer_key(company: Any) -> list[dict[str, str]]:
    """SAP's answer key in EBS's keys (see the module docstring and ``NOTES``)."""
    project_of = _project_of(company.sap)
    out = []
    for row in company.answer_key:
        r = {k: str(v if v is not None else "") for k, v in row.items()}
        if r["object"] == "commitment_line":
            r["key"] = wire.line_key(r["key"])
        elif r["object"] in ("budget", "actual") and r["kind"] == "unmapped":
            wbs, gl, cc = (r["key"].split("/") + ["", "", ""])[:3]
            r["key"] = "/".join((project_of.get(wbs, ""), gl, cc, wbs))
        out.append(r)
    return out


def procore(company: Any) -> dict[str, Any]:
    """The Procore seed linked to EBS (line ``origin_id`` = ``PO/line``)."""
    return wire.relink_procore(company.procore)


def start(company: Any, **options: Any) -> tuple[Any, str]:
    """Start the EBS simulator on the company rendered for EBS; (simulator, ``[erp]`` section)."""
    from adapters.oracle_ebs.simulator import EbsSimulator

    extras = dict(getattr(company, "profile_extras", {}) or {})
    seed = wire.render(company.sap, str(extras.get("company_code", "1000")))
    sim = EbsSimulator(
        seed,
        username=USERNAME,
        password=SECRET,
        responsibility=RESPONSIBILITY,
        org_ids=(wire.ORG_ID,),
        ledger_id=wire.LEDGER_ID,
        **options,
    )
    return sim, erp_section(sim.start())
