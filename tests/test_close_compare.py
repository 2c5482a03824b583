"""This close against the last: new, carried (with age) and resolved, against a plain reference."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.close.compare import COMPARE_SCHEMA, compare

IDS = st.sampled_from([f"X{i}" for i in range(6)])
PERIODS = ["2026-08", "2026-09", "2026-10", "2026-11"]


def reference(now: set[str], closes: dict[str, set[str]]) -> dict[str, tuple[str, int]]:
    ordered = [closes[p] for p in sorted(closes, reverse=True)]
    last = ordered[0] if ordered else set()

    def age(eid: str) -> int:
        n = 0
        for ids in ordered:
            if eid not in ids:
                break
            n += 1
        return n

    out = {e: ("carried" if e in last else "new", age(e)) for e in now}
    out |= {e: ("resolved", age(e)) for e in last - now}
    return out


@settings(max_examples=80, deadline=None)
@given(st.sets(IDS), st.dictionaries(st.sampled_from(PERIODS), st.sets(IDS)), st.sets(IDS))
def test_compare_matches_the_reference(now: set[str], closes: dict[str, set[str]], closed: set[str]) -> None:
    rows = [(p, e, True) for p, ids in closes.items() for e in ids]
    rows += [(p, e, False) for p in closes for e in closed - closes[p]]  # closed items a close also listed
    rows += [("2026-12", e, True) for e in now]  # this period's own (or a later) close never counts
    history = pl.DataFrame(
        rows or None,
        schema={"period": pl.String, "exception_id": pl.String, "is_open": pl.Boolean},
        orient="row",
    )
    got = compare(pl.Series(sorted(now), dtype=pl.String), history, "2026-12", [*closes, "2026-12"])
    assert got.schema == pl.Schema(COMPARE_SCHEMA)
    assert {e: (c, a) for e, c, a in got.iter_rows()} == reference(now, closes)
