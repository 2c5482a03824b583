"""The demo company seen from each ERP: ``DEMO_ERPS`` maps an ERP kind to its demo module.

Why: ``tieout demo --erp <kind>`` runs the workstation on the SAME company (``company.py`` +
``plants.py``) through whichever ERP the analyst wants to try, so the planted facts and the
engine are shared and only the ERP's wire shape differs. Each module exposes:

- ``start(company, **options) -> (simulator, erp_toml_section)``: the ERP's simulator started on
  loopback with the company rendered in its wire shape (``sample_data/<kind>_wire.py``), and
  the profile's ``[erp]`` section (TOML text, ``[erp]`` header included) pointing at it;
- ``SHORT``: the ERP's short name for the demo profile's name (``Demo GC / SAP``);
- ``SECRET``: the simulator's ERP credential (``TIEOUT_ERP_CLIENT_SECRET``; opens nothing else);
- ``ANSWER_KEY``: the path of its committed answer key CSV for the demo seed (``KEY_COLUMNS``),
  and ``answer_key(company)``, which computes it (a test keeps the two equal; where the ERP
  cannot express a planted fact, the module's ``NOTES`` say so);
- ``mappings(company) -> {file name: CSV text}``: the mapping tables in the ERP's columns;
- ``procore(company)``: the Procore seed linked to that ERP (``origin_id`` in its key form).
"""

from __future__ import annotations

import csv
import importlib
from pathlib import Path
from types import ModuleType

#: ERP kind → the module that renders the demo company for it.
DEMO_ERPS: dict[str, str] = {
    "sap-s4": "sample_data.sap_s4_demo",
    "peoplesoft": "sample_data.peoplesoft_wire",
    "sap-ecc": "sample_data.sap_ecc_demo",
    "oracle-ebs": "sample_data.oracle_ebs_demo",
}
DEFAULT_ERP = "sap-s4"
#: The seed every committed answer key is for (``generate(DEMO_SEED)``).
DEMO_SEED = 7


def demo_module(kind: str) -> ModuleType:
    """The demo module of ``kind``; ``ValueError`` (one sentence) when there is none."""
    path = DEMO_ERPS.get(kind)
    if path is None:
        available = ", ".join(DEMO_ERPS)
        raise ValueError(f"There is no demo for ERP kind {kind!r}; available: {available}.")
    return importlib.import_module(path)


def read_answer_key(path: Path) -> list[dict[str, str]]:
    """An answer key CSV as rows of text (blank cells as ``""``), in file order."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [dict(row) for row in csv.DictReader(fh)]


def write_answer_key(path: Path, rows: list[dict[str, str]]) -> None:
    """Write an answer key CSV (``python -m sample_data.erps`` refreshes them all)."""
    from sample_data.generate import KEY_COLUMNS

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, KEY_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main() -> int:
    """Recompute and write every ERP's committed answer key for the demo seed."""
    from sample_data.generate import generate

    company = generate(DEMO_SEED)
    for kind in DEMO_ERPS:
        module = demo_module(kind)
        write_answer_key(module.ANSWER_KEY, module.answer_key(company))
        print(f"{kind}: {module.ANSWER_KEY}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
