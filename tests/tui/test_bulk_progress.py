"""A bulk decision of more than one chunk: its progress in the title bar, esc stops it between chunks."""

from __future__ import annotations

from tui_fakes import make_app, notes, open_grid, settle

from reconcile import audit, batch, decisions


async def test_a_bulk_decision_shows_its_progress_and_esc_stops_it_between_chunks(
    tmp_path, seeded, monkeypatch
):
    monkeypatch.setattr(batch, "CHUNK", 4)  # the grid's 30 rows are eight chunks
    app = make_app(tmp_path, seeded)
    title = app.sub_title
    shown: list[str] = []
    real = app.services.explain_many

    async with app.run_test(size=(120, 40)) as pilot:

        async def analyst_presses_esc() -> None:
            await pilot.pause()  # the progress ticks posted so far are on screen
            shown.append(app.sub_title)
            await pilot.press("escape")

        def explain_many(ids, reason_code, note, *, actor=None, cancel=None, progress=None):  # type: ignore[no-untyped-def]
            def tick(seen: int, total: int) -> None:
                progress(seen, total)
                if seen == 8 and not shown:  # two chunks in: the worker waits while the analyst stops it
                    app.call_from_thread(analyst_presses_esc)

            return real(ids, reason_code, note, actor=actor, cancel=cancel, progress=tick)

        app.services.explain_many = explain_many  # type: ignore[method-assign]
        grid = await open_grid(pilot)
        await pilot.press("asterisk", "x", "1", "enter")  # the dialog named the count: no second question
        await settle(pilot)

        assert shown == [f"{title} — Explaining 8 of 30… esc stops"]
        assert app.sub_title == title  # the progress line is gone
        assert any(n == "Explained 8 exceptions. Stopped; 22 not decided." for n in notes(app))
        decided = seeded.query("SELECT exception_id FROM decisions")["exception_id"].to_list()
        assert len(decided) == 8 and all(decisions.status(seeded, x) == "explained" for x in decided)
        assert audit.verify(seeded) == []
        # The grid shows the eight as explained, the rest as they were; none is left "deciding".
        statuses = dict(
            zip(
                grid.page.table.column("exception_id").to_pylist(),
                grid.page.table.column("status").to_pylist(),
                strict=True,
            )
        )
        assert sorted(x for x, s in statuses.items() if s == "explained") == sorted(decided)
        assert "deciding" not in app.session_status.values()
        assert app.decide_cancel is None
        # Stopped is over: the next bulk decision runs (and this time to the end).
        assert grid.marked == set()
        await pilot.press("asterisk", "x", "2", "enter")
        await settle(pilot)
        assert notes(app)[-1] == "Explained 30 exceptions."
        assert audit.verify(seeded) == []
