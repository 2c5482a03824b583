"""Command palette provider: every action the analyst can reach from where the palette opened.

The app's actions and the current screen's run in place; a screen's actions from elsewhere
(the grid's Explain from home, the audit's Expand from the grid) switch to that screen first.
The detail's actions need an exception in hand, so they are offered in the detail only.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from app.tui.actions import ACTIONS, SCOPE_TITLES, Action

#: Scopes that are modes of the app: reachable from anywhere by switching to them.
MODES = ("home", "exceptions", "audit", "log")


def scope_of(screen: object) -> str:
    """The registry scope of a screen (``ExceptionsScreen`` → ``exceptions``)."""
    return type(screen).__name__.removesuffix("Screen").lower()


class TieoutCommands(Provider):
    """Context-aware: here first, then every other screen's actions under that screen's name."""

    def _actions(self) -> list[tuple[str, Action]]:
        scope = scope_of(self.screen)
        here = [(a.description, a) for a in ACTIONS if a.scope in ("app", scope) and a.scope != "help"]
        elsewhere = [
            (f"{SCOPE_TITLES[a.scope]}: {a.description}", a)
            for a in ACTIONS
            if a.scope in MODES and a.scope != scope
        ]
        return here + elsewhere

    async def _run(self, a: Action) -> None:
        if a.scope == "app":
            await self.app.run_action(a.action)
            return
        if a.scope != scope_of(self.app.screen) and a.scope in MODES:
            await self.app.run_action(f"switch_mode('{a.scope}')")
        await self.app.screen.run_action(a.action)

    async def discover(self) -> Hits:
        for label, a in self._actions():
            yield DiscoveryHit(label, partial(self._run, a), help=a.tooltip)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, a in self._actions():
            score = matcher.match(f"{label} {a.tooltip}")
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._run, a), help=a.tooltip)
