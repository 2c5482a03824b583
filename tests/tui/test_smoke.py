from __future__ import annotations

from tui_fakes import make_app


async def test_home_shows_profile(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Acme" in str(app.screen.query_one("#profile").render())
