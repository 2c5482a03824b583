"""Benchmark the diff engine's commitment-line path against a bare Polars full join.

    .venv/bin/python bench/diff.py            # 1M and 5M lines per side
    .venv/bin/python bench/diff.py --n 1000000

Each size runs in its own subprocess so its peak resident memory (ru_maxrss) is its own.
The engine is timed from canonical frames to the exceptions frame; the bare join is a full
join of the same Procore lines to the same ERP lines on the line key, in the same process.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mappings import Mappings  # noqa: E402
from reconcile.canonical import MONEY, conform  # noqa: E402
from reconcile.diff import diff  # noqa: E402

PROJECTS = 20
WBS_PER_PROJECT = 10
ITEMS_PER_PO = 10


def money(cents: np.ndarray) -> pl.Series:
    """Exact decimals from integer cents (no float on the way)."""
    return (pl.Series(cents, dtype=pl.Int64).cast(pl.Decimal(18, 4)) * Decimal("0.01")).cast(MONEY)


def generate(
    n: int, seed: int = 7
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame], Mappings, dict[str, int]]:
    """N lines per side with planted differences; returns both sides, mappings and the plant counts."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    po = 4_500_000_000 + i // ITEMS_PER_PO
    item = (i % ITEMS_PER_PO + 1) * 10
    project = (i // ITEMS_PER_PO) % PROJECTS + 1
    wbs_k = rng.integers(1, WBS_PER_PROJECT + 1, n)
    cents = rng.integers(100, 10_000_000, n)
    po_s = pl.Series(po).cast(pl.String)
    item_s = pl.Series(item).cast(pl.String).str.zfill(5)
    dims = pl.DataFrame({"p": project, "k": wbs_k}).select(
        pl.format("P-{}-{}", "p", "k").alias("wbs"), pl.format("{}-{}", "p", "k").alias("code")
    )
    wbs, codes = dims["wbs"], dims["code"]
    erp_lines = pl.DataFrame(
        {"po_number": po_s, "item": item_s, "amount": money(cents), "wbs_element": wbs}
    ).with_columns(pl.lit("51000000").alias("gl_account"))
    # Planted: 0.5% amounts differ, 0.2% codes differ, 0.2% missing on each side, 10% without origin_id.
    r = rng.random(n)
    amount_diff = r < 0.005
    code_diff = (r >= 0.005) & (r < 0.007)
    missing_in_procore = (r >= 0.007) & (r < 0.009)
    missing_in_erp = (r >= 0.009) & (r < 0.011)
    no_origin = rng.random(n) < 0.10
    pc_cents = np.where(amount_diff, cents + rng.integers(2, 5000, n), cents)
    pc_lines = pl.DataFrame(
        {
            "id": i + 1,
            "contract_id": po - 4_500_000_000 + 1,
            "project_id": project,
            "position": item // 10,
            "amount": money(pc_cents),
            "cost_code": codes,
            "origin_id": (po_s + "/" + item_s),
            "_code_diff": code_diff,
            "_no_origin": no_origin,
        }
    ).with_columns(
        pl.when(pl.col("_code_diff")).then(pl.lit("0-0")).otherwise(pl.col("cost_code")).alias("cost_code"),
        pl.when(pl.col("_no_origin")).then(None).otherwise(pl.col("origin_id")).alias("origin_id"),
    )
    pc_lines = pc_lines.filter(~pl.Series(missing_in_procore))
    erp_lines = erp_lines.filter(~pl.Series(missing_in_erp))
    n_po = int(po[-1] - 4_500_000_000 + 1)
    pos = np.arange(n_po)
    erp_commitments = pl.DataFrame(
        {"po_number": pl.Series(4_500_000_000 + pos).cast(pl.String), "supplier": "1000"}
    )
    pc_commitments = pl.DataFrame(
        {
            "id": pos + 1,
            "project_id": pos % PROJECTS + 1,
            "number": erp_commitments["po_number"],
            "origin_id": erp_commitments["po_number"],
            "vendor_id": 1,
        }
    )
    procore = {
        "procore_projects": conform(
            "procore_projects",
            pl.DataFrame(
                {
                    "id": range(1, PROJECTS + 1),
                    "project_number": [str(p) for p in range(1, PROJECTS + 1)],
                    "active": True,
                }
            ),
        ),
        "procore_vendors": conform(
            "procore_vendors", pl.DataFrame({"id": [1], "name": ["Acme"], "origin_id": ["1000"]})
        ),
        "procore_commitments": conform("procore_commitments", pc_commitments),
        "procore_commitment_lines": conform("procore_commitment_lines", pc_lines),
    }
    erp = {
        "erp_vendors": conform("erp_vendors", pl.DataFrame({"supplier": ["1000"], "name": ["Acme"]})),
        "erp_commitments": conform("erp_commitments", erp_commitments),
        "erp_commitment_lines": conform("erp_commitment_lines", erp_lines),
    }
    m = Mappings.from_rows(
        [(f"P-{p}", str(p)) for p in range(1, PROJECTS + 1)],
        [
            (None, None, f"P-{p}-{k}", f"{p}-{k}")
            for p in range(1, PROJECTS + 1)
            for k in range(1, WBS_PER_PROJECT + 1)
        ],
    )
    planted = {
        "amount": int((amount_diff & ~missing_in_erp & ~missing_in_procore).sum()),
        "cost_code": int(code_diff.sum()),
        "missing_in_procore": int(missing_in_procore.sum()),
        "missing_in_erp": int(missing_in_erp.sum()),
    }
    return procore, erp, m, planted


def bare_join(procore: dict[str, pl.DataFrame], erp: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The floor: one full join of the same line frames on the line key."""
    lines = (
        erp["erp_commitment_lines"]
        .lazy()
        .with_columns((pl.col("po_number") + "/" + pl.col("item")).alias("key"))
    )
    return (
        procore["procore_commitment_lines"]
        .lazy()
        .join(lines, left_on="origin_id", right_on="key", how="full")
        .collect()
    )


def child(n: int) -> dict[str, object]:
    procore, erp, m, planted = generate(n)
    # Best of three for both, alternating: the machine may be shared, and both deserve the same luck.
    t_join = t_engine = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        joined = bare_join(procore, erp)
        t_join = min(t_join, time.perf_counter() - t0)
        del joined
        t0 = time.perf_counter()
        found = diff(procore, erp, m, Decimal("0.01"))
        t_engine = min(t_engine, time.perf_counter() - t0)
    lines = found.filter(pl.col("object") == "commitment_line")
    counts = {f"{k}/{f}": c for k, f, c in lines.group_by("kind", "field").len().iter_rows()}
    return {
        "n": n,
        "engine_s": round(t_engine, 3),
        "join_s": round(t_join, 3),
        "ratio": round(t_engine / t_join, 2),
        "rows_per_s": int(2 * n / t_engine),
        "exceptions": found.height,
        "line_exceptions": counts,
        "planted": planted,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=int, action="append", help="lines per side (repeatable; default 1M and 5M)"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    for n in args.n or [1_000_000, 5_000_000]:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n)], capture_output=True, text=True, check=True
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['n']:>10,} lines/side  engine {r['engine_s']:6.3f}s  bare join {r['join_s']:6.3f}s  "
            f"ratio {r['ratio']:4.2f}x  {r['rows_per_s']:>12,} rows/s  peak {r['peak_mb']:>6,} MB  "
            f"exceptions {r['exceptions']:,}"
        )
        print(f"{'':>12}planted {r['planted']}  found {r['line_exceptions']}")


if __name__ == "__main__":
    main()
