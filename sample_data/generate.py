"""The demo company: ``generate(seed)`` builds both seeds, the mapping tables and the answer key.

Deterministic (one ``random.Random(seed)``) and fast, so nothing large is committed: the demo and
the tests generate it at run time. ``write_demo`` writes it out for humans and for ``tieout demo``::

    python -m sample_data.generate --out /tmp/demo
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sample_data import bulk, plants
from sample_data.company import (
    BUDGET_VIEW,
    COMPANY_CODE,
    COMPANY_ID,
    COMPANY_NAME,
    CURRENCY,
    FISCAL_YEAR,
    GL_PROJECT,
    OVERHEAD_GL,
    OVERRIDE_WBS,
    POOL_CC,
    SITE_GL,
    Builder,
)  # fmt: skip
from sample_data.rules import answer_key

KEY_COLUMNS = ["object", "kind", "key", "project", "field", "erp_value", "procore_value", "difference"]
MAPPING_HEADERS = {
    "projects.csv": ["wbs_element", "procore_project_number"],
    "cost_codes.csv": ["gl_account", "cost_center", "wbs_element", "procore_cost_code"],
    "vendors.csv": ["erp_vendor", "procore_vendor_id"],
}


@dataclass
class DemoCompany:
    """Both seeds in wire shape, the mapping CSVs (file name -> text), the answer key, profile values."""

    procore: dict[str, Any]
    sap: dict[str, Any]
    mappings: dict[str, str]
    answer_key: list[dict[str, str]]
    profile_extras: dict[str, Any]
    #: What each plant is meant to produce, and the sub-tolerance differences (for tests and README).
    expected: list[dict[str, str]]
    silent: list[dict[str, Any]]


def _csv(header: list[str], rows: Sequence[tuple[str, ...]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _mappings(b: Builder) -> dict[str, str]:
    projects = [(p.wbs, p.number) for p in b.projects.values()]
    codes: list[tuple[str, ...]] = [
        ("", "", f"{p.wbs}-{t.seg}", t.code) for p in b.projects.values() for t in p.trades
    ]
    codes += [
        ("", "", OVERRIDE_WBS, "03-310"),  # deeper WBS row overrides its subtree row
        (SITE_GL, "", GL_PROJECT, "01-500"),  # GL + WBS beats the WBS-only subtree rows
        (OVERHEAD_GL, "", "", "01-900"),  # GL-only wildcard (posted on top WBS elements only)
        (OVERHEAD_GL, POOL_CC, "", "01-910"),  # GL + cost center beats the GL-only row
    ]
    return {
        "projects.csv": _csv(MAPPING_HEADERS["projects.csv"], projects),
        "cost_codes.csv": _csv(MAPPING_HEADERS["cost_codes.csv"], codes),
        "vendors.csv": _csv(MAPPING_HEADERS["vendors.csv"], b.vendor_rows),
    }


PROFILE_EXTRAS: dict[str, Any] = {
    "company_name": COMPANY_NAME,
    "company_id": COMPANY_ID,
    "budget_view": BUDGET_VIEW,
    "amount_tolerance": "0.01",
    "tolerance": "0.01",  # the same, under the name app/demo.py reads
    "company_code": COMPANY_CODE,
    "currency": CURRENCY,
    "fiscal_year": FISCAL_YEAR,
    "sap_client": "100",
    "procore_client_id": "tieout-demo-procore",
    "erp_client_id": "TIEOUT_DEMO",
    # Simulator-only credentials: they open nothing but the loopback simulators of the demo.
    "procore_client_secret": "demo-procore-secret",
    "erp_client_secret": "demo-sap-secret",
}


def generate(seed: int = 7) -> DemoCompany:
    """The demo company for ``seed``: the same seed always gives byte-identical seeds and key."""
    b = Builder(seed)
    bulk.projects(b)
    plants.vendors(b)
    bulk.suppliers(b, 41, 200)
    plants.commitments(b)
    bulk.purchase_orders(b, plants.HOSTILE_TEXTS)
    bulk.budgets(b)
    plants.budgets(b)
    bulk.procore_budget_rows(b)
    bulk.actuals(b)
    plants.actuals(b)
    bulk.procore_actuals(b)
    bulk.change_orders(b)
    plants.inactive_projects(b)
    mappings = _mappings(b)
    extras = dict(PROFILE_EXTRAS)
    key = answer_key(b.procore, b.sap, mappings, extras)
    return DemoCompany(b.procore, b.sap, mappings, key, extras, b.expected, b.silent)


def write_demo(out: Path, seed: int = 7) -> DemoCompany:
    """Write procore.json, sap.json, mappings/*.csv, answer_key.csv and profile_extras.json to ``out``."""
    demo = generate(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "procore.json").write_text(
        json.dumps(demo.procore, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (out / "sap.json").write_text(json.dumps(demo.sap, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "mappings").mkdir(exist_ok=True)
    for name, text in demo.mappings.items():
        (out / "mappings" / name).write_text(text, encoding="utf-8")
    with (out / "answer_key.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, KEY_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(demo.answer_key)
    public = {k: v for k, v in demo.profile_extras.items() if not k.endswith("_secret")}
    (out / "profile_extras.json").write_text(json.dumps(public, indent=1), encoding="utf-8")
    return demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_data.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="folder to write the demo company into")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    demo = write_demo(args.out, args.seed)
    counts: dict[str, int] = {}
    for row in demo.answer_key:
        counts[f"{row['object']}/{row['kind']}"] = counts.get(f"{row['object']}/{row['kind']}", 0) + 1
    print(f"wrote {args.out}: {len(demo.answer_key)} exceptions in the answer key")  # noqa: T201
    for name, n in sorted(counts.items()):
        print(f"  {name:40} {n}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
