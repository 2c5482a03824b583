"""The bundled demo company: both simulators on loopback, a fresh store, a ready profile.

``tieout demo`` and the end-to-end tests use the same environment, so the demo runs
exactly the code a customer runs: the real adapters over real HTTP, only the far end
is simulated.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Credentials of the simulated systems (not secrets: the simulators accept nothing else).
SIM_PROCORE_CLIENT = "tieout-demo-dmsa"
SIM_PROCORE_SECRET = "sim-procore-client-secret"
SIM_ERP_CLIENT = "TIEOUT_COMM_USER"
SIM_ERP_SECRET = "sim-erp-client-secret"

#: The demo's Procore grants a generous rate limit. At Procore's default (3,600 an hour,
#: 100 per 10 s) the demo's ~2,300 requests are paced over minutes, correct but not a
#: demo; the pacing itself is exercised by tests that pass their own limits.
DEMO_PROCORE_LIMITS: dict[str, Any] = {"rate_limit_hour": 1_000_000, "rate_limit_spike": 100_000}


@dataclass
class DemoEnv:
    """A running demo: the profile to open and the simulators behind it."""

    dir: Path
    profile_path: Path
    procore: Any  # ProcoreSimulator
    sap: Any  # SapSimulator
    company: Any  # sample_data.generate.DemoCompany


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_profile(
    path: Path, *, procore_url: str, sap_url: str, extras: dict[str, Any], push_allow: list[str] | None = None
) -> None:
    """Write a demo profile pointing at the simulators (contract section 1 format)."""
    allow = ", ".join(_toml_str(a) for a in (push_allow or []))
    text = f"""name = "Demo GC / SAP"
store = "demo.duckdb"

[procore]
base_url = {_toml_str(procore_url)}
login_url = {_toml_str(procore_url)}
company_id = {int(extras.get("company_id", 562949953421312))}
client_id = {_toml_str(SIM_PROCORE_CLIENT)}
projects = "active"
budget_view = {_toml_str(str(extras.get("budget_view", "Procore Standard Budget")))}

[erp]
kind = "sap-s4"
base_url = {_toml_str(sap_url)}
token_url = {_toml_str(sap_url + "/sap/bc/sec/oauth2/token")}
client_id = {_toml_str(SIM_ERP_CLIENT)}
sap_client = "100"
company_code = {_toml_str(str(extras.get("company_code", "1000")))}

[mappings]
dir = "mappings"

[rules]
amount_tolerance = {_toml_str(str(extras.get("tolerance", "0.01")))}

[push]
allow = [{allow}]
"""
    path.write_text(text, encoding="utf-8")


@contextmanager
def demo_environment(
    directory: Path | None = None,
    *,
    seed: int = 7,
    push_allow: list[str] | None = None,
    procore_options: dict[str, Any] | None = None,
    sap_options: dict[str, Any] | None = None,
) -> Iterator[DemoEnv]:
    """Generate the demo company, start both simulators, write mappings and a profile."""
    from adapters.procore.simulator import ProcoreSimulator
    from adapters.sap.simulator import SapSimulator
    from sample_data.generate import generate

    company = generate(seed)
    extras = dict(getattr(company, "profile_extras", {}) or {})
    directory = Path(directory or tempfile.mkdtemp(prefix="tieout-demo-"))
    (directory / "mappings").mkdir(parents=True, exist_ok=True)
    for name, text in company.mappings.items():
        (directory / "mappings" / name).write_text(text, encoding="utf-8")
    procore = ProcoreSimulator(
        company.procore,
        client_id=SIM_PROCORE_CLIENT,
        client_secret=SIM_PROCORE_SECRET,
        company_id=int(extras.get("company_id", 562949953421312)),
        **{**DEMO_PROCORE_LIMITS, **(procore_options or {})},
    )
    sap = SapSimulator(
        company.sap, client_id=SIM_ERP_CLIENT, client_secret=SIM_ERP_SECRET, **(sap_options or {})
    )
    procore_url = procore.start()
    sap_url = sap.start()
    saved = {k: os.environ.get(k) for k in ("TIEOUT_PROCORE_CLIENT_SECRET", "TIEOUT_ERP_CLIENT_SECRET")}
    os.environ["TIEOUT_PROCORE_CLIENT_SECRET"] = SIM_PROCORE_SECRET
    os.environ["TIEOUT_ERP_CLIENT_SECRET"] = SIM_ERP_SECRET
    profile_path = directory / "demo.toml"
    write_profile(
        profile_path, procore_url=procore_url, sap_url=sap_url, extras=extras, push_allow=push_allow
    )
    try:
        yield DemoEnv(directory, profile_path, procore, sap, company)
    finally:
        procore.stop()
        sap.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
