"""The whole month-end loop in the workstation, against both simulators over loopback.

Only the keyboard: pull on startup, find an exception, approve its push (choosing the side
when either could be corrected), confirm; link a vendor through the suggested mapping row;
then pull and diff again, and each fixed exception is gone. One exception of every push the
demo company offers, in both directions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_fakes import notes, settle

from app.demo import demo_environment
from app.tui.app import TieoutApp
from app.tui.screens.detail import DetailScreen
from app.tui.screens.modals import ConfirmModal, DirectionModal, MappingModal
from reconcile.profile import load_profile
from reconcile.store import Store

pytestmark = pytest.mark.slow

#: (object, kind, field, key, side to correct when asked): one of each push the demo offers.
PUSHES = [
    ("vendor", "missing_in_procore", "", "1000017", None),  # create the vendor, origin_id = supplier
    ("vendor", "value_mismatch", "name", "1000010", None),  # rename it in Procore
    ("commitment", "missing_in_procore", "", "4500000007", None),  # PO contract with its lines
    ("commitment_line", "missing_in_procore", "", "4500000009/00030", None),  # add the line
    ("commitment_line", "value_mismatch", "amount", "4500000002/00020", "e"),  # fix Procore's amount
    ("commitment_line", "value_mismatch", "cost_code", "4500000003/00010", "e"),  # fix its cost code
    ("commitment_line", "value_mismatch", "amount", "4500000006/00010", "s"),  # fix SAP's price (PATCH)
    ("actual", "value_mismatch", "amount", "1005/03-300", None),  # post the waiting invoice to SAP
]


def exception_id(store: Store, obj: str, kind: str, field: str, key: str) -> str:
    frame = store.query(
        "SELECT exception_id FROM exceptions WHERE object = ? AND kind = ? AND coalesce(field, '') = ? "
        "AND key = ? AND is_open",
        [obj, kind, field, key],
    )
    assert frame.height == 1, (obj, kind, field, key)
    return str(frame["exception_id"][0])


async def test_push_one_of_each_then_the_next_pull_no_longer_shows_them(tmp_path: Path) -> None:
    with demo_environment(tmp_path, push_allow=["erp_to_procore", "procore_to_erp"]) as env:
        profile = load_profile(env.profile_path)
        store = Store(profile.store_path)
        app = TieoutApp(profile, store, pull_on_start=True, settings_path=tmp_path / "none.toml")
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            assert store.current_snapshot("procore") is not None, notes(app)
            pushed = []
            for obj, kind, field, key, side in PUSHES:
                xid = exception_id(store, obj, kind, field, key)
                await pilot.press("2")
                await settle(pilot)
                await pilot.press("X", "slash", *xid, "enter", "enter")  # clear, search the id, open
                await settle(pilot)
                assert isinstance(app.screen, DetailScreen), (xid, notes(app)[-3:])
                await pilot.press("y")
                await settle(pilot)
                if side is not None:
                    assert isinstance(app.screen, DirectionModal), (xid, notes(app)[-3:])
                    await pilot.press(side)
                    await settle(pilot)
                assert isinstance(app.screen, ConfirmModal), (xid, notes(app)[-3:])
                await pilot.press("y")
                await settle(pilot)
                status = store.query("SELECT status FROM decisions WHERE exception_id = ? ORDER BY id", [xid])
                assert status["status"].to_list()[-1] == "pushed", (xid, notes(app)[-3:])
                pushed.append(xid)
                await pilot.press("escape")
                await settle(pilot)
            # A vendor one side lacks, with its twin under another spelling: the detail
            # offers the vendors.csv row; previewed and kept, the two exceptions resolve.
            twin = exception_id(store, "vendor", "missing_in_procore", "", "1009501")
            pushed.append(exception_id(store, "vendor", "missing_in_erp", "", "procore:7109005"))
            await pilot.press("2")
            await settle(pilot)
            await pilot.press("X", "slash", *twin, "enter", "enter")
            await settle(pilot)
            await pilot.press("m")
            await settle(pilot)
            assert isinstance(app.screen, MappingModal)
            await pilot.press("enter")  # preview the suggested row
            await settle(pilot)
            assert isinstance(app.screen, ConfirmModal)
            await pilot.press("y")  # keep it: written, then re-diffed
            await settle(pilot)
            assert "1009501,7109005" in (env.dir / "mappings" / "vendors.csv").read_text()
            pushed.append(twin)
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("p")
            await settle(pilot)
            still_open = store.query(
                "SELECT exception_id FROM exceptions WHERE is_open AND exception_id IN "
                "(SELECT unnest(?::VARCHAR[]))",
                [pushed],
            )
            assert still_open.is_empty(), still_open
        store.close()
