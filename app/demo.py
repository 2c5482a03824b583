"""The bundled demo company: both simulators on loopback, a fresh store, a ready profile.

``tieout demo`` and the end-to-end tests use the same environment, so the demo runs
exactly the code a customer runs: the real adapters over real HTTP, only the far end
is simulated. The ERP side is any kind in ``sample_data.erps.DEMO_ERPS`` (default SAP S/4).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sample_data import sap_s4_demo
from sample_data.erps import DEFAULT_ERP, demo_module, read_answer_key

#: Credentials of the simulated systems (not secrets: the simulators accept nothing else).
SIM_PROCORE_CLIENT = "tieout-demo-dmsa"
SIM_PROCORE_SECRET = "sim-procore-client-secret"
SIM_ERP_CLIENT = sap_s4_demo.CLIENT
SIM_ERP_SECRET = sap_s4_demo.SECRET
#: The people side's simulated identity providers (``sample_data.people``).
SIM_OKTA_TOKEN = "sim-okta-api-token"
SIM_ENTRA_TENANT = "keystonebuilders.onmicrosoft.com"
SIM_ENTRA_CLIENT = "00000000-0000-4000-8000-00000000c11e"
SIM_ENTRA_SECRET = "sim-entra-client-secret"

#: What a demo folder holds besides its mapping tables: the profile and the store (with DuckDB's log).
PROFILE_NAME, STORE_NAME = "demo.toml", "demo.duckdb"
_STORE_FILES = (STORE_NAME, STORE_NAME + ".wal")

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
    erp: Any  # the ERP's simulator (SapSimulator, EbsSimulator, ...)
    company: Any  # sample_data.generate.DemoCompany
    erp_kind: str = DEFAULT_ERP
    #: The exceptions the demo plants, as that ERP sees them (its committed answer key).
    answer_key: list[dict[str, str]] | None = None
    #: The people side (None when the demo runs without ``[people]``).
    idp: Any = None  # OktaSimulator | GraphSimulator
    workforce: Any = None  # sample_data.people.Workforce

    @property
    def sap(self) -> Any:
        """The ERP simulator under its first name (the SAP demo's tests call it ``sap``)."""
        return self.erp


class DemoFolderError(ValueError):
    """A ``--dir`` the demo cannot start fresh in; the message is one sentence naming it."""


def start_fresh(directory: Path) -> bool:
    """Make ``directory`` ready for a fresh demo; True when an earlier demo's store was removed.

    A rerun must show the whole answer key again: the simulators start from the seed every
    time, so a store kept from an earlier run (its snapshots, decisions and pushes against
    simulators that no longer hold them) would show a company that exists nowhere. So an
    earlier demo's store is removed and the profile and mapping tables are rewritten; other
    files (exports the analyst wrote there) stay. A folder that holds something else is not
    ours to clear, and a store another process has open (a workstation still running on it)
    is not removed under it: both refuse with ``DemoFolderError``.
    """
    if directory.exists() and not directory.is_dir():
        raise DemoFolderError(f"--dir {directory} is a file; give the demo a new or empty folder.")
    if not directory.is_dir() or not any(directory.iterdir()):
        return False
    profile = directory / PROFILE_NAME
    if not _is_demo_profile(profile):
        raise DemoFolderError(
            f"The folder {directory} is not a Tieout demo folder (it has files but no demo profile "
            f"{PROFILE_NAME}); give --dir a new or empty folder."
        )
    store = directory / STORE_NAME
    if not store.exists():
        return False
    _refuse_if_open(store)
    for name in _STORE_FILES:
        (directory / name).unlink(missing_ok=True)
    return True


def _is_demo_profile(path: Path) -> bool:
    """Whether ``path`` is a profile ``write_profile`` wrote (its name and store are the demo's)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    lines = text.splitlines()
    return bool(lines) and lines[0].startswith('name = "Demo GC / ') and f'store = "{STORE_NAME}"' in lines


def _refuse_if_open(store: Path) -> None:
    """``DemoFolderError`` when another process holds the store (DuckDB locks the file it writes)."""
    import duckdb

    try:
        duckdb.connect(str(store), read_only=True).close()
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            return  # unreadable or damaged: it is being replaced anyway
        holder = re.search(r"\(PID (\d+)\)", str(exc))
        who = f"process {holder[1]}" if holder else "another process"
        raise DemoFolderError(
            f"The demo store {store} is in use by {who} (a workstation or pull on this folder); "
            "close it, then run the demo again."
        ) from None
    except duckdb.Error:
        return


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def people_section(idp: str, url: str, groups: list[str], exclude: list[str], domain: str) -> str:
    """The demo profile's ``[people]`` section (contract section 6) for the IdP simulator at ``url``."""
    lines = ["[people]", f"idp = {_toml_str(idp)}", f"base_url = {_toml_str(url)}"]
    if idp == "entra":
        lines += [
            f"login_url = {_toml_str(url)}",
            f"tenant = {_toml_str(SIM_ENTRA_TENANT)}",
            f"client_id = {_toml_str(SIM_ENTRA_CLIENT)}",
        ]
    lines += [
        "groups = [" + ", ".join(_toml_str(g) for g in groups) + "]",
        f"sso_domains = [{_toml_str(domain)}]",
        "exclude = [" + ", ".join(_toml_str(e) for e in exclude) + "]",
    ]
    return "\n".join(lines) + "\n"


def write_profile(
    path: Path,
    *,
    procore_url: str,
    sap_url: str = "",
    extras: dict[str, Any],
    push_allow: list[str] | None = None,
    erp_section: str | None = None,
    name: str = "Demo GC / SAP",
    people: str = "",
) -> None:
    """Write a demo profile pointing at the simulators (contract section 1 format).

    ``erp_section`` is the ``[erp]`` section of the ERP's demo module; without it, an SAP
    S/4 at ``sap_url``.
    """
    allow = ", ".join(_toml_str(a) for a in (push_allow or []))
    erp = erp_section or sap_s4_demo.erp_section(sap_url, extras)
    text = f"""name = {_toml_str(name)}
store = {_toml_str(STORE_NAME)}

[procore]
base_url = {_toml_str(procore_url)}
login_url = {_toml_str(procore_url)}
company_id = {int(extras.get("company_id", 562949953421312))}
client_id = {_toml_str(SIM_PROCORE_CLIENT)}
projects = "active"
budget_view = {_toml_str(str(extras.get("budget_view", "Procore Standard Budget")))}

{erp}
[mappings]
dir = "mappings"

[rules]
amount_tolerance = {_toml_str(str(extras.get("tolerance", "0.01")))}

[push]
allow = [{allow}]
"""
    path.write_text(text + ("\n" + people if people else ""), encoding="utf-8")


@contextmanager
def demo_environment(
    directory: Path | None = None,
    *,
    seed: int = 7,
    push_allow: list[str] | None = None,
    procore_options: dict[str, Any] | None = None,
    sap_options: dict[str, Any] | None = None,
    erp: str = DEFAULT_ERP,
    idp: str | None = "okta",
    staff: int | None = None,
) -> Iterator[DemoEnv]:
    """Generate the demo company, start both simulators, write mappings and a profile.

    ``erp`` is the ERP kind the company is seen from (``sample_data.erps.DEMO_ERPS``);
    ``sap_options`` go to that ERP's simulator (SAP's, by its first name). ``idp`` (``okta``,
    ``entra``, or None for money only) adds the demo workforce: that IdP's simulator, the
    Procore directory, ``access.csv`` and the profile's ``[people]`` section; ``staff``
    shrinks the workforce for quick tests (the planted cases stay).
    """
    from adapters.procore.simulator import ProcoreSimulator
    from sample_data.erps import DEMO_SEED
    from sample_data.generate import generate

    module = demo_module(erp)
    company = generate(seed)
    extras = dict(getattr(company, "profile_extras", {}) or {})
    temporary = directory is None  # a folder the demo made is removed again on exit
    directory = Path(directory or tempfile.mkdtemp(prefix="tieout-demo-"))
    (directory / "mappings").mkdir(parents=True, exist_ok=True)
    for name, text in module.mappings(company).items():
        (directory / "mappings" / name).write_text(text, encoding="utf-8")
    key = read_answer_key(module.ANSWER_KEY) if seed == DEMO_SEED else module.answer_key(company)
    # An ERP whose keys Procore's origin_ids spell differently gives its own view of Procore.
    procore_seed = module.procore(company) if hasattr(module, "procore") else company.procore
    people_of = None
    if idp is not None:
        from sample_data.people import workforce

        people_of = workforce(seed, staff=staff, collaborators=staff // 6) if staff else workforce(seed)
        procore_seed = {**procore_seed, **people_of.procore}
        (directory / "mappings" / "access.csv").write_text(people_of.access_csv, encoding="utf-8")
    procore = ProcoreSimulator(
        procore_seed,
        client_id=SIM_PROCORE_CLIENT,
        client_secret=SIM_PROCORE_SECRET,
        company_id=int(extras.get("company_id", 562949953421312)),
        **{**DEMO_PROCORE_LIMITS, **(procore_options or {})},
    )
    procore_url = procore.start()
    try:
        erp_sim, section = module.start(company, **(sap_options or {}))
    except BaseException:
        procore.stop()
        raise
    idp_sim, people = _idp_simulator(idp, people_of), ""
    names = ("TIEOUT_PROCORE_CLIENT_SECRET", "TIEOUT_ERP_CLIENT_SECRET", "TIEOUT_IDP_SECRET")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["TIEOUT_PROCORE_CLIENT_SECRET"] = SIM_PROCORE_SECRET
    os.environ["TIEOUT_ERP_CLIENT_SECRET"] = module.SECRET
    if idp_sim is not None and people_of is not None:
        from sample_data.people import DOMAIN

        os.environ["TIEOUT_IDP_SECRET"] = SIM_OKTA_TOKEN if idp == "okta" else SIM_ENTRA_SECRET
        people = people_section(str(idp), idp_sim.start(), people_of.groups, people_of.exclude, DOMAIN)
    profile_path = directory / PROFILE_NAME
    write_profile(
        profile_path,
        procore_url=procore_url,
        extras=extras,
        push_allow=push_allow,
        erp_section=section,
        name=f"Demo GC / {module.SHORT}",
        people=people,
    )
    try:
        yield DemoEnv(directory, profile_path, procore, erp_sim, company, erp, key, idp_sim, people_of)
    finally:
        procore.stop()
        erp_sim.stop()
        if idp_sim is not None:
            idp_sim.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)


def _idp_simulator(idp: str | None, staff: Any) -> Any:
    """The (not yet started) simulator of the demo's identity provider, if any."""
    if idp is None or staff is None:
        return None
    if idp == "okta":
        from adapters.okta.simulator import OktaSimulator

        return OktaSimulator(staff.okta, token=SIM_OKTA_TOKEN)
    if idp == "entra":
        from adapters.entra.simulator import GraphSimulator

        return GraphSimulator(
            staff.entra, tenant=SIM_ENTRA_TENANT, client_id=SIM_ENTRA_CLIENT, client_secret=SIM_ENTRA_SECRET
        )
    raise ValueError(f"unknown demo idp {idp!r}; use okta or entra")
