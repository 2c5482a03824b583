"""Decisions in bulk: milliseconds per audited decision when "all rows of this filter" are explained.

Run: ``.venv/bin/python bench/bulk.py [--rows 100000] [--decide N]``. Builds a store of
``--rows`` generated exceptions (``bench/tui.py``'s ``make_store``), then times
``batch.explain_all`` over the first ``--decide`` of them (all by default), the way the
workstation's ``*`` then ``x <digit> enter`` records them: one decision row and one audit
entry per exception. Prints the figures and the audit entries written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "tui"))


def main() -> int:
    from tui import make_store

    from reconcile import audit, batch

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000, help="exceptions in the store")
    parser.add_argument("--decide", type=int, default=None, help="how many to explain (default: all)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        store = make_store(Path(tmp) / "bulk.duckdb", args.rows)
        cur = store.cursor()
        ids = [
            str(r[0])
            for r in cur.execute("SELECT exception_id FROM exceptions ORDER BY exception_id").fetchall()
        ]
        cur.close()
        ids = ids[: args.decide] if args.decide is not None else ids
        t0 = time.perf_counter()
        out = batch.explain_all(store, ids, "timing", note="bench", actor="bench")
        seconds = time.perf_counter() - t0
        done = len(out.done)
        print(f"store: {args.rows:,} exceptions; explained {done:,}, refused {len(out.refused):,}")
        print(f"explain_all: {seconds:.1f} s, {seconds * 1000 / max(done, 1):.3f} ms per decision")
        t0 = time.perf_counter()
        entries = len(audit.entries(store))
        print(f"audit entries: {entries:,} (read in {time.perf_counter() - t0:.1f} s)")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
