"""The grid's two query paths agree: DuckDB SQL (grid_page) and the in-memory GridCache."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tui_fakes import make_profile

from reconcile import decisions, query
from reconcile.close.api import tie_out

FILTERS = [
    query.ExceptionFilter(),
    query.ExceptionFilter(object="vendor"),
    query.ExceptionFilter(kind="value_mismatch", project="1001"),
    query.ExceptionFilter(band="< 1k"),
    query.ExceptionFilter(band="10k-100k"),
    query.ExceptionFilter(search="P-1002"),
    query.ExceptionFilter(search="%"),  # a LIKE wildcard is searched literally
    query.ExceptionFilter(status="explained"),
    query.ExceptionFilter(sort="key", descending=False),
    query.ExceptionFilter(sort="key", descending=True),
    query.ExceptionFilter(sort="status", descending=False),
    query.ExceptionFilter(sort="project", descending=True),
    query.ExceptionFilter(not_object="vendor"),  # as the money grid leaves out user rows
    query.ExceptionFilter(assigned_to="erp_team"),
    query.ExceptionFilter(sort="assigned_to", descending=False),
    query.ExceptionFilter(sort="assigned_to", descending=True),
]


@pytest.mark.parametrize("f", FILTERS, ids=repr)
def test_cache_matches_sql(seeded, f):
    decisions.decide(seeded, "X000000000010", "explained", actor="t", reason_code="timing")
    decisions.assign(seeded, "X000000000011", "erp_team", actor="t")
    decisions.assign(seeded, "X000000000012", "project_team", actor="t")
    cache = query.GridCache.load(seeded, not_object=f.not_object)
    sql = query.grid_page(seeded, f, limit=7)
    mem = cache.page(f, limit=7)
    assert (mem.matching, mem.total, mem.capped) == (sql.matching, sql.total, sql.capped)
    if f.sort in ("difference",):  # unique enough to compare order exactly
        assert mem.table.column("exception_id").to_pylist() == sql.table.column("exception_id").to_pylist()
    else:
        assert mem.table.column(f.sort).to_pylist() == sql.table.column(f.sort).to_pylist()


def test_set_status_patches_cache(seeded):
    cache = query.GridCache.load(seeded)
    cache.page(query.ExceptionFilter(sort="status"), limit=5)
    cache.set_status("X000000000003", "explained")
    page = cache.page(query.ExceptionFilter(status="explained"), limit=5)
    assert page.table.column("exception_id").to_pylist() == ["X000000000003"]


def test_home_summary(seeded):
    s = query.home_summary(seeded)
    totals = {t.object: t for t in s.totals}
    assert totals["budget"].variance == Decimal("2000")
    assert totals["vendor"].erp == 2 and totals["vendor"].procore == 3
    assert ("vendor", "value_mismatch", 1) in s.counts
    assert set(s.snapshots) == {"procore", "erp"}


def test_home_summary_totals_follow_the_tie_out(seeded, tmp_path):
    """With the tie-out, the money totals are its column sums: the same scope as the table."""
    frame = tie_out(seeded, make_profile(tmp_path))
    totals = {t.object: t for t in query.home_summary(seeded, tieout=frame).totals}
    # The one Procore actual line names no source, so it is no approved cost: not counted.
    assert (totals["actual"].erp, totals["actual"].procore) == (Decimal("700"), Decimal("0"))
    assert totals["commitment"].variance == Decimal("100")
    assert totals["vendor"].procore == 3  # counts stay counts


def test_report_frame_has_contract_columns(seeded):
    frame = query.report_frame(seeded)
    assert tuple(frame.columns) == query.REPORT_COLUMNS
    assert frame.height == 30


def test_unknown_sort_is_refused(seeded):
    with pytest.raises(ValueError):
        query.grid_page(seeded, query.ExceptionFilter(sort="1; DROP TABLE exceptions"))
