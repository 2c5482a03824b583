"""SVG snapshots of every screen at 80x24 and 160x48 (fixed clock, fixed data)."""

from __future__ import annotations

import pytest
from tui_fakes import PULLED_AT, make_app, settle

SIZES = [(80, 24), (160, 48)]


def _decided(store) -> None:
    """One decision and its audit entry, with fixed times (the real API stamps 'now')."""
    cur = store.cursor()
    cur.execute(
        "INSERT INTO decisions (exception_id, status, reason_code, assigned_to, note, decided_by, decided_at) "
        "VALUES ('X000000000001', 'explained', 'timing', NULL, '[i]posted[/i] in April', 'ana', ?)",
        [PULLED_AT],
    )
    cur.execute(
        "INSERT INTO audit_log (seq, logged_at, actor, action, exception_id, before, after, prev_hash, hash) "
        "VALUES (1, ?, 'ana', 'decision:explained', 'X000000000001', "
        '\'{"status": "open"}\', \'{"status": "explained", "reason_code": "timing"}\', \'0\', \'h1\')',
        [PULLED_AT],
    )


def _keys(*keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for k in keys:
            await pilot.press(k)
            await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


SCREENS = {
    "home": (),
    "exceptions": ("2",),
    "detail": ("2", "slash", *"V2", "enter", "enter"),
    "audit": ("3",),
    "log": ("r", "4"),
    "help": ("f1",),
    "pull-plan": ("P",),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, tmp_path, seeded, screen, size):
    _decided(seeded)
    app = make_app(tmp_path, seeded)
    assert snap_compare(app, terminal_size=size, run_before=_keys(*SCREENS[screen]))


@pytest.mark.parametrize("screen", ["home", "exceptions", "detail"])
def test_light_theme(snap_compare, tmp_path, seeded, screen):
    _decided(seeded)
    settings = tmp_path / "settings.toml"
    settings.write_text('theme = "textual-light"\n')
    app = make_app(tmp_path, seeded, settings_path=settings)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys(*SCREENS[screen]))


def test_push_dialog_80x24_scrolls_and_shows_its_buttons(snap_compare, tmp_path, seeded):
    """A push plan longer than the terminal: the body scrolls, Push and Cancel stay on screen."""
    from app.tui.services import PushPreview

    plan = "\n".join(
        f"PATCH purchase_order_contracts/5 line_items[{i}].amount 10{i}.00 → 11{i}.00" for i in range(40)
    )
    app = make_app(tmp_path, seeded)
    app.services.plan_push = lambda exception_id, direction=None: PushPreview(plan, True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_keys("2", "enter", "y"))
