"""The bounded queries of the close's hot path answer exactly what the whole-table ones did.

A point lookup of one exception's latest decision (index, ``max(id)``) against the latest of
every decision (``LATEST_DECISIONS``); a grid page cut from growing slices of the order
against the whole order filtered; "all rows of this filter" from the grid's cache against the
store's report query, in the grid's order.
"""

from __future__ import annotations

import polars as pl
import pytest
from tui_fakes import exception_rows

from reconcile import decisions, query
from reconcile.decisions import LATEST_DECISIONS

DECIDED = ("status", "reason_code", "assigned_to", "note", "decided_by")


def _decide_several(store) -> None:
    """Several decisions per exception, in an order where the latest is not the first or the last."""
    decisions.decide(store, "X000000000003", "explained", actor="ana", reason_code="timing", note="late PO")
    decisions.assign(store, "X000000000004", "erp_team", actor="ben")
    decisions.decide(store, "X000000000003", "approved", actor="ben")
    decisions.assign(store, "X000000000003", "project_team", actor="ana")
    decisions.decide(store, "X000000000004", "explained", actor="ana", reason_code="tax")
    decisions.carry_forward(store, "X000000000005", "waiting for the invoice", actor="ana")
    decisions.decide(store, "X000000000006", "explained", actor="ana", reason_code="rounding", note="x")
    decisions.decide(store, "X000000000006", "explained", actor="ben", reason_code="rounding")  # note cleared


def _whole_table_latest(store, exception_id: str) -> dict[str, object]:
    """The latest decision as every reader joined it before: ranked over all decisions."""
    cols = ", ".join(DECIDED)
    row = (
        store.cursor()
        .execute(f"SELECT {cols} FROM ({LATEST_DECISIONS}) WHERE exception_id = ?", [exception_id])
        .fetchone()
    )
    return dict(zip(DECIDED, row, strict=True)) if row else {"status": "open"}


def test_the_store_indexes_decisions_by_exception(seeded):
    names = seeded.cursor().execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'decisions'")
    assert ("decisions_exception",) in names.fetchall()


def test_one_exceptions_latest_decision_is_the_latest_of_all(seeded):
    _decide_several(seeded)
    for exception_id in [r[0] for r in exception_rows()[:8]]:
        expected = _whole_table_latest(seeded, exception_id)
        row = query.exception(seeded, exception_id)
        assert row is not None
        current = decisions.current(seeded, exception_id)
        for name, value in expected.items():
            assert row[name] == value, (exception_id, name)
            assert current[name] == value, (exception_id, name)
        assert decisions.status(seeded, exception_id) == expected["status"]
    assert query.exception(seeded, "X000000000006")["note"] is None  # the cleared note stays cleared
    assert query.exception(seeded, "no such id") is None


FILTERS = [
    query.ExceptionFilter(),
    query.ExceptionFilter(object="actual"),
    query.ExceptionFilter(kind="value_mismatch", descending=False),
    query.ExceptionFilter(object="vendor", sort="key"),
    query.ExceptionFilter(kind="unmapped"),
    query.ExceptionFilter(state="undecided"),
    query.ExceptionFilter(search="apex"),
]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: repr(f)[15:70])
@pytest.mark.parametrize("limit", [1, 3, 1000])
def test_a_page_is_the_first_rows_of_the_whole_filtered_order(seeded, f, limit):
    _decide_several(seeded)
    cache = query.GridCache.load(seeded)
    page = cache.page(f, limit=limit)
    order = cache.order(f.sort, f.descending)
    preds = cache._predicates(f)
    if preds:
        mask = cache.frame.select(pl.all_horizontal(preds).fill_null(False)).to_series()
        order = order.filter(mask.gather(order))
    expected = cache.frame.get_column("exception_id").gather(order).to_list()
    assert page.table.column("exception_id").to_pylist() == expected[:limit]
    assert page.matching == len(expected) and page.capped == (len(expected) > limit)


def test_slices_grow_until_the_page_is_full():
    order = pl.Series(range(100_000), dtype=pl.UInt32)
    mask = pl.Series([i % 997 == 0 for i in range(100_000)])  # 101 rows, spread over the whole order
    got = query._first_through(order, mask, 50)
    assert got.to_list() == [i for i in range(100_000) if i % 997 == 0][:50]
    assert query._first_through(order, mask, 1000).len() == 101
    assert query._first_through(order.head(0), mask, 10).len() == 0


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: repr(f)[15:70])
def test_all_ids_of_a_filter_from_the_cache_are_the_stores_in_the_grids_order(seeded, f):
    _decide_several(seeded)
    cache = query.GridCache.load(seeded)
    ids = cache.ids(f)
    assert ids == cache.page(f, limit=10_000).table.column("exception_id").to_pylist()  # the grid's order
    from_store = query.report_frame(seeded, f).get_column("exception_id").to_list()
    assert sorted(ids) == sorted(from_store) and len(ids) == len(from_store)


def _all_rows_placed(store, table: str, m, project: str, code: str) -> list[dict[str, object]]:
    """The ERP rows the detail showed before: the whole snapshot mapped, then one (project, code)."""
    from mappings.resolve import cost_code_lookup, project_lookup

    frame = store.query(f"SELECT * EXCLUDE (snapshot_id) FROM {table} WHERE snapshot_id = 2")
    dims = list(m.shape.columns)
    frame = frame.with_columns(pl.lit(None, pl.String).alias(c) for c in dims if c not in frame.columns)
    key = m.shape.project.column
    placed = frame.join(project_lookup(frame[key], m).select(key, "project_number"), on=key, how="left").join(
        cost_code_lookup(frame.select(dims), m).select(*dims, "procore_cost_code"),
        on=dims,
        how="left",
        nulls_equal=True,
    )
    kept = placed.filter((pl.col("project_number") == project) & (pl.col("procore_cost_code") == code))
    return kept.drop("project_number", "procore_cost_code").sort("wbs_element", "amount").to_dicts()


@pytest.mark.parametrize("key", ["1001/01-100", "1002/01-100", "1001/02-200", "9999/01-100"])
def test_source_records_read_one_projects_erp_rows_as_the_whole_snapshot_placed_them(tmp_path, seeded, key):
    from tui_fakes import make_profile

    from mappings.load import load_mappings
    from reconcile import sources

    erp = seeded.current_snapshot("erp")
    assert erp is not None and erp.id == 2
    seeded.cursor().execute(
        "INSERT INTO erp_budgets (snapshot_id, wbs_element, amount) VALUES "
        "(2, 'P-1001', 100), (2, 'P-1002', 200), (2, 'P-1002', 300), (2, 'P-9', 400), (2, NULL, 500)"
    )
    profile = make_profile(tmp_path)
    m = load_mappings(profile.mappings_dir, shape=profile.erp.shape)
    groups = sources.source_records(seeded, {"object": "budget", "key": key, "detail": {}}, lambda: m)
    erp_rows = sorted(groups[0].rows, key=lambda r: (r["wbs_element"], r["amount"]))
    project, code = key.split("/")
    assert erp_rows == _all_rows_placed(seeded, "erp_budgets", m, project, code)
    assert groups[0].count == len(erp_rows)
    assert len(erp_rows) == (2 if key == "1001/01-100" else 0)  # P-1001's two rows; the rest unplaced


def test_a_patch_found_by_binary_search_is_the_patch_of_every_row(seeded):
    cache = query.GridCache.load(seeded)
    assert cache.by_id and cache.frame.get_column("exception_id").is_sorted()
    statuses = {
        "X000000000030": "explained",
        "X000000000001": "approved",
        "X000000000017": "failed",  # not a deciding status: stays undecided
        "X000000000004": "open",
        "no such id": "explained",  # gone since the grid was read: ignored
        "X00000000001": "explained",  # a prefix of real ids: matches none
    }
    fast = cache.with_statuses(statuses)
    slow = query.GridCache(cache.frame).with_statuses(statuses)  # not known to be in id order
    assert not slow.by_id
    assert fast.frame.equals(slow.frame)
    assert cache.frame.filter(pl.col("exception_id") == "X000000000030")["status"][0] == "open"  # untouched
    got = fast.frame.filter(pl.col("exception_id").is_in(list(statuses))).sort("exception_id")
    assert got.select("exception_id", "status", "_undecided").rows() == [
        ("X000000000001", "approved", False),
        ("X000000000004", "open", True),
        ("X000000000017", "failed", True),
        ("X000000000030", "explained", False),
    ]
    assert cache.with_statuses({}).frame.equals(cache.frame)
