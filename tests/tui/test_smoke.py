from __future__ import annotations

from tui_fakes import make_app


async def test_home_shows_profile(tmp_path, seeded):
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Acme" in str(app.screen.query_one("#profile").render())


async def test_every_screens_stylesheet_is_read_at_start(tmp_path, seeded):
    """A screen whose stylesheet is read on its first opening restyles the whole app then (the
    first detail over a million rows took 190 ms, 130 of them for that)."""
    import importlib
    import inspect
    import pkgutil
    from pathlib import Path

    from textual.screen import Screen

    import app.tui.screens as screens

    wanted: set[str] = set()
    for info in pkgutil.iter_modules(screens.__path__):
        module = importlib.import_module(f"app.tui.screens.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__ and cls.CSS_PATH:
                paths = cls.CSS_PATH if isinstance(cls.CSS_PATH, list) else [cls.CSS_PATH]
                wanted |= {str(Path(module.__file__).parent / p) for p in paths}
    assert len(wanted) >= 6  # home, grid, people, detail, audit, the dialogs
    app = make_app(tmp_path, seeded)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert [p for p in sorted(wanted) if not app.stylesheet.has_source(p)] == []
