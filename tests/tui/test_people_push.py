"""People pushes from the workstation, against the Okta and Procore simulators over loopback.

An IT admin's profile (``[people]``, no ``[erp]``): pulled and diffed with the CLI, then only
the keyboard: the People tab, find the exception, open it, approve (``y``), read the confirm
dialog, confirm. Every people push kind is applied once; a deactivation and a removal show,
before anything is written, the project roles the user still holds. A second pull and diff
then see each one closed.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console
from textual.widgets import Label, Static
from tui_fakes import notes, settle

from app.cli import main
from app.demo import DemoEnv, demo_environment
from app.tui.app import TieoutApp
from app.tui.screens.detail import DetailScreen
from app.tui.screens.modals import ConfirmModal
from app.tui.screens.people import PeopleScreen
from reconcile import decisions
from reconcile.profile import load_profile
from reconcile.query import ExceptionFilter, report_frame
from reconcile.store import Store

#: A small workforce (the planted cases stay): the quick run can afford it.
STAFF = 40


def people_only(env: DemoEnv) -> Path:
    """The demo profile without its [erp] section and allowed to write people: an IT admin's."""
    text = env.profile_path.read_text(encoding="utf-8")
    text = re.sub(r"\n\[erp\]\n(?:[^\[\n][^\n]*\n)*", "\n", text)
    text = text.replace('store = "demo.duckdb"', 'store = "people.duckdb"')
    text = re.sub(r"allow = \[[^\]]*\]", 'allow = ["idp_to_procore"]', text)
    assert "[erp]" not in text and "[people]" in text
    path = env.dir / "people.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path) -> Iterator[DemoEnv]:
    with demo_environment(tmp_path, idp="okta", staff=STAFF) as env:
        yield env


@pytest.fixture
def path(env: DemoEnv) -> Path:
    """The admin's profile, pulled and diffed with the CLI (in the main thread: it owns SIGINT)."""
    path = people_only(env)
    assert main(["pull", "--profile", str(path)]) == 0
    assert main(["diff", "--profile", str(path)]) == 0
    return path


async def pull_and_diff(app: TieoutApp) -> None:
    """Pull and diff again through the workstation's services, as its ``p`` does (a thread)."""
    result = await asyncio.to_thread(
        app.services.pull, full=False, progress=lambda *_: None, cancel=threading.Event()
    )
    assert result.ok, result.error
    await asyncio.to_thread(app.services.diff)


def open_people(store: Store) -> pl.DataFrame:
    return report_frame(store, ExceptionFilter(object="user"), grid_order=False)


def pick(frame: pl.DataFrame, kind: str, field: str = "", *, erp: bool = True, procore: bool = True) -> str:
    """The id of one open exception of this shape (erp/procore: whether that value is present)."""
    rows = frame.filter(
        (pl.col("kind") == kind)
        & (pl.col("field").fill_null("") == field)
        & (pl.col("erp_value").is_not_null() == erp)
        & (pl.col("procore_value").is_not_null() == procore)
    ).sort("key")
    assert rows.height, f"no {kind} {field} exception"
    return str(rows["exception_id"][0])


def writes(env: DemoEnv) -> list[object]:
    """The REST writes the Procore simulator received (token POSTs are not writes)."""
    return [r for r in env.procore.server.log if r.method != "GET" and r.path.startswith("/rest/")]


def role_holder(env: DemoEnv, frame: pl.DataFrame) -> str:
    """The planted orphan who still holds a project role (index 4 of the demo workforce)."""
    holder = env.workforce.people[4].email
    rows = frame.filter((pl.col("key") == holder) & (pl.col("kind") == "orphaned"))
    assert rows.height == 1, holder
    return str(rows["exception_id"][0])


def shown(widget: Static) -> str:
    """What a Static shows, as plain text (its content may be a Rich table)."""
    console = Console(width=160, file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


def make_app(path: Path, store: Store, tmp_path: Path) -> TieoutApp:
    return TieoutApp(load_profile(path), store, pull_on_start=False, settings_path=tmp_path / "none.toml")


async def confirm_dialog(pilot, xid: str) -> tuple[str, str]:
    """From anywhere: People tab, find ``xid``, open it, approve; the dialog's title and body."""
    app = pilot.app
    await pilot.press("5")
    await settle(pilot)
    assert isinstance(app.screen, PeopleScreen), notes(app)[-3:]
    await pilot.press("X", "slash", *xid, "enter", "enter")  # clear, search the id, open
    await settle(pilot)
    assert isinstance(app.screen, DetailScreen), (xid, notes(app)[-3:])
    await pilot.press("y")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmModal), (xid, notes(app)[-3:])
    title = str(app.screen.query_one(".title", Label).render())
    body = str(app.screen.query_one(".body Static", Static).render())
    return title, body


async def test_deactivating_an_orphan_shows_the_roles_they_hold_then_pushes(
    env: DemoEnv, path: Path, tmp_path: Path
) -> None:
    """The quick run's pass over the people push path: one offboarding, from the keyboard."""
    store = Store(load_profile(path).store_path)
    try:
        xid = role_holder(env, open_people(store))
        app = make_app(path, store, tmp_path)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            assert notes(app) == []  # home opens on a profile without [erp], nothing failing
            title, body = await confirm_dialog(pilot, xid)
            holder = env.workforce.people[4].email
            assert title == f"Deactivate {holder} in Procore?"
            assert "Still holds: Project Manager on project 1002" in body
            # Behind the dialog, the detail shows the person from both sides.
            detail = app.screen_stack[-2]
            assert isinstance(detail, DetailScreen)
            idp = shown(detail.query_one("#erp", Static))
            procore = shown(detail.query_one("#procore", Static))
            assert "IdP" in idp and "DEPROVISIONED" in idp, idp
            assert "1002: Project Manager" in procore, procore
            assert writes(env) == []  # nothing is written before the confirmation
            await pilot.press("n")  # declined: nothing written, and the next approval may start
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen), notes(app)[-3:]
            assert writes(env) == []
            await pilot.press("y")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmModal), notes(app)[-3:]
            await pilot.press("y")
            await settle(pilot)
            assert decisions.status(store, xid) == "pushed", notes(app)[-3:]
        user = next(u for u in env.procore.data["users"] if u.get("email_address") == holder)
        assert user["is_active"] is False
        assert len(writes(env)) == 1
    finally:
        store.close()


def procore_user(env: DemoEnv, email: str) -> dict[str, object] | None:
    """The simulator's company user with this e-mail, as Procore holds it now."""
    return next(
        (u for u in env.procore.data["users"] if str(u.get("email_address", "")).lower() == email), None
    )


def project_template(env: DemoEnv, email: str, project: str) -> str | None:
    """The template name ``email`` holds on project number ``project`` (None: not a member)."""
    data = env.procore.data
    user = procore_user(env, email)
    pid = next(str(p["id"]) for p in data["projects"] if p["project_number"] == project)
    member = next(
        (m for m in data.get("project_users", {}).get(pid, []) if user and m["user_id"] == user["id"]), None
    )
    if member is None:
        return None
    names = {t["id"]: t["name"] for t in data["permission_templates"]}
    return str(names.get(member["permission_template_id"]))


def applied(env: DemoEnv, what: str, row: dict[str, object]) -> None:
    """Procore (the simulator's state) now holds what the IdP and access.csv say, for one push."""
    email, idp, project = str(row["key"]), row["erp_value"], row["project"]
    user = procore_user(env, email)
    assert user is not None, (what, email)
    if what == "create":
        person = next(p for p in env.workforce.people if p.email == email)
        assert user["is_active"] is True and user["origin_id"] == person.okta_id, (what, user)
    elif what == "update":
        assert user["job_title"] == idp, (what, user)
    elif what == "reactivate":
        assert user["is_active"] is True, (what, user)
    elif what == "deactivate":
        assert user["is_active"] is False, (what, user)
    elif what == "remove from project":
        assert project_template(env, email, str(project)) is None, (what, email, project)
    else:  # add to project, change template: the template access.csv grants on that project
        assert project_template(env, email, str(project)) == idp, (what, email, project)


@pytest.mark.slow
async def test_every_people_push_kind_approved_and_applied(env: DemoEnv, path: Path, tmp_path: Path) -> None:
    """Each exception opened by its id on the People tab, approved, and checked in Procore at once.

    A push does not move the detail on (only a decision does), so each kind is found afresh
    from the tab: clear, search its id, open, ``y``, read the dialog, ``y``.
    """
    store = Store(load_profile(path).store_path)
    try:
        found = open_people(store)
        #: push kind -> (exception id, the confirm dialog's question starts with)
        pushes = {
            "create": (pick(found, "missing_in_procore", procore=False), "Create "),
            "update": (pick(found, "value_mismatch", "job_title"), "Update "),
            "reactivate": (pick(found, "value_mismatch", "is_active"), "Reactivate "),
            "deactivate": (role_holder(env, found), "Deactivate "),
            "add to project": (pick(found, "access_mismatch", procore=False), "Add "),
            "remove from project": (pick(found, "access_mismatch", erp=False), "Remove "),
            "change template": (pick(found, "access_mismatch"), "Change "),
        }
        rows = {xid: row for row in found.iter_rows(named=True) if (xid := row["exception_id"])}
        app = make_app(path, store, tmp_path)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            for done, (what, (xid, question)) in enumerate(pushes.items(), start=1):
                title, body = await confirm_dialog(pilot, xid)
                assert title.startswith(question), (what, title)
                assert rows[xid]["key"] in title, (what, title)
                if what in ("deactivate", "remove from project"):
                    # What the user still owns, read from Procore now, before anything is written.
                    assert re.search(r"Still holds: |hold no project roles", body), (what, body)
                assert len(writes(env)) == done - 1, what  # nothing written before the confirmation
                await pilot.press("y")
                await settle(pilot)
                assert decisions.status(store, xid) == "pushed", (what, notes(app)[-3:])
                assert len(writes(env)) == done, what  # one write, no retry
                applied(env, what, rows[xid])
                detail = app.screen
                assert isinstance(detail, DetailScreen) and detail.exception_id == xid, what
                assert "status pushed" in str(detail.query_one("#summary", Static).render()), what
                await pilot.press("escape")
                await settle(pilot)
                people = app.screen
                assert isinstance(people, PeopleScreen), (what, notes(app)[-3:])
                assert people.page is not None
                shown_status = dict(
                    zip(
                        people.page.table.column("exception_id").to_pylist(),
                        people.page.table.column("status").to_pylist(),
                        strict=True,
                    )
                )
                assert shown_status.get(xid) == "pushed", (what, shown_status)
            await pull_and_diff(app)
        ids = [xid for xid, _ in pushes.values()]
        still = store.query(
            "SELECT exception_id FROM exceptions WHERE is_open AND exception_id IN "
            f"({', '.join('?' for _ in ids)})",
            ids,
        )
        assert still.is_empty(), still
    finally:
        store.close()
