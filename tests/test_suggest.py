"""Vendor suggestions: the likely counterpart a vendors.csv link would name, and no noise."""

from __future__ import annotations

import polars as pl

from reconcile.suggest import closest, normalise

PROCORE = pl.DataFrame(
    {
        "key": ["7100188", "7100134", "7100147", "7100126", "7100060", "7100014"],
        "name": [
            "Patel Paving Inc.",
            "Ellis Roofing Supply",
            "Nguyen Rebar Services",
            "Lopez Steel Services",
            "Baker Plumbing Co.",
            "R&J Plumbing",
        ],
    }
)


def test_legal_forms_and_punctuation_do_not_count() -> None:
    assert normalise("R and J Plumbing, Inc.") == normalise("R&J Plumbing") == "r j plumbing"


def test_the_same_company_under_another_name_is_offered_first() -> None:
    assert [k for k, _, _ in closest("Patel Paving Supply", PROCORE)] == ["7100188"]
    assert [k for k, _, _ in closest("Nguyen Steel Services", PROCORE)] == ["7100147"]
    assert closest("R and J Plumbing, Inc.", PROCORE)[0][:2] == ("7100014", "R&J Plumbing")


def test_shared_trade_words_alone_suggest_nothing() -> None:
    assert closest("Carter Plumbing Inc.", PROCORE) == []  # only "Plumbing" in common
    assert closest("Russo Steel Services", PROCORE) == []
    assert closest("", PROCORE) == [] and closest("Patel", PROCORE.clear()) == []


def test_only_unlinked_vendors_are_offered(tmp_path) -> None:
    from reconcile.canonical import conform
    from reconcile.store import ResourceStat, Store
    from reconcile.suggest import vendor_suggestions

    store = Store(tmp_path / "s.duckdb")
    sides = {
        "procore": {
            "procore_vendors": conform(
                "procore_vendors",
                pl.DataFrame(
                    {
                        "id": [7100188, 7100189],
                        "name": ["Patel Paving Inc.", "Patel Paving Co"],
                        "origin_id": ["1000188", None],  # the first belongs to supplier 1000188
                    }
                ),
            )
        },
        "erp": {
            "erp_vendors": conform(
                "erp_vendors",
                pl.DataFrame(
                    {"supplier": ["1000188", "1000018"], "name": ["Patel Paving Inc.", "Patel Paving"]}
                ),
            )
        },
    }
    for source, tables in sides.items():
        sid = store.begin_snapshot(source, "full")
        store.complete_snapshot(sid, [ResourceStat("all", 1, 1, 0.1)], tables)
    missing = {
        "object": "vendor",
        "kind": "missing_in_procore",
        "key": "1000018",
        "erp_value": "Patel Paving",
    }
    assert [s.mapping_row for s in vendor_suggestions(store, missing)] == ["1000018,7100189"]
    extra = {
        "object": "vendor",
        "kind": "missing_in_erp",
        "key": "procore:7100189",
        "procore_value": "Patel Paving Co",
    }
    assert [s.mapping_row for s in vendor_suggestions(store, extra)] == ["1000018,7100189"]
    store.close()
