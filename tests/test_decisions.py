"""Decisions: validated, historical, and audited in the same transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconcile import audit, decisions
from reconcile.decisions import DecisionError
from reconcile.store import Store, now


def add_exception(store: Store, exception_id: str = "XABC", **over: object) -> str:
    row = {
        "exception_id": exception_id,
        "object": "vendor",
        "kind": "value_mismatch",
        "key": "100001",
        "project": None,
        "field": "name",
        "erp_value": "Acme",
        "procore_value": "ACME",
        "difference": None,
        "rule": "vendor.name",
        "detail": None,
        **over,
    }
    cols = ", ".join(row)
    store.cursor().execute(
        f"INSERT INTO exceptions ({cols}, first_seen, last_seen, last_diff_run_id, is_open) "
        f"VALUES ({', '.join('?' * len(row))}, ?, ?, 1, true)",
        [*row.values(), now(), now()],
    )
    return exception_id


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "d.duckdb")
    add_exception(s)
    yield s
    s.close()


def test_default_status_is_open(store: Store) -> None:
    assert decisions.current(store, "XABC")["status"] == "open"
    assert decisions.history(store, "XABC") == []


def test_explain_writes_decision_and_audit(store: Store) -> None:
    d = decisions.decide(
        store,
        "XABC",
        "explained",
        reason_code="timing",
        note="posted in Dec",
        allowed_reason_codes=["timing"],
    )
    assert d["decided_by"] == decisions.default_actor()
    assert decisions.status(store, "XABC") == "explained"
    log = audit.entries(store, "XABC")
    assert log["action"].to_list() == ["decision:explained"]
    assert '"status":"open"' in log["before"][0]
    assert '"reason_code":"timing"' in log["after"][0]
    assert audit.verify(store) == []


def test_history_keeps_every_decision(store: Store) -> None:
    decisions.decide(store, "XABC", "explained", actor="ana", reason_code="timing")
    decisions.decide(store, "XABC", "open", actor="bob")
    decisions.decide(store, "XABC", "approved", actor="ana", assigned_to="erp_team")
    assert [d["status"] for d in decisions.history(store, "XABC")] == ["explained", "open", "approved"]
    assert decisions.current(store, "XABC")["assigned_to"] == "erp_team"


@pytest.mark.parametrize(
    ("status", "kwargs", "message"),
    [
        ("done", {}, "is not one of"),
        (
            "explained",
            {"reason_code": "whim", "allowed_reason_codes": ["timing"]},
            "not in the profile's list",
        ),
        ("explained", {}, "needs a reason code"),
        ("open", {"assigned_to": "nobody"}, "Assignee"),
        ("pushed", {}, "only an approved exception"),
    ],
)
def test_bad_decisions_are_refused_without_trace(
    store: Store, status: str, kwargs: dict, message: str
) -> None:
    with pytest.raises(DecisionError, match=message):
        decisions.decide(store, "XABC", status, actor="ana", **kwargs)
    assert decisions.history(store, "XABC") == []
    assert audit.entries(store).is_empty()


def test_unknown_exception(store: Store) -> None:
    with pytest.raises(DecisionError, match="no exception XNOPE"):
        decisions.decide(store, "XNOPE", "approved", actor="ana")


def test_approved_then_pushed(store: Store) -> None:
    decisions.decide(store, "XABC", "approved", actor="ana")
    decisions.decide(store, "XABC", "pushed", actor="ana")
    assert decisions.status(store, "XABC") == "pushed"
    assert [e for e in audit.entries(store)["action"]] == ["decision:approved", "decision:pushed"]


def test_assigning_keeps_the_status_and_a_status_change_keeps_the_assignment(store: Store) -> None:
    decisions.decide(store, "XABC", "explained", reason_code="timing", note="posted in Dec")
    decisions.assign(store, "XABC", "erp_team", actor="ana")
    now = decisions.current(store, "XABC")
    assert (now["status"], now["reason_code"], now["note"], now["assigned_to"]) == (
        "explained",
        "timing",
        "posted in Dec",
        "erp_team",
    )
    entry = audit.entries(store, "XABC").row(-1, named=True)
    assert entry["action"] == "decision:assigned"
    decisions.decide(store, "XABC", "approved")
    assert decisions.current(store, "XABC")["assigned_to"] == "erp_team"
    decisions.assign(store, "XABC", "project_team")
    assert decisions.status(store, "XABC") == "approved"
    with pytest.raises(DecisionError, match="not one of"):
        decisions.assign(store, "XABC", "nobody")
    assert audit.verify(store) == []
