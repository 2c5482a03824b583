"""Command palette provider: every registry action of the app and of the current screen."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from app.tui.actions import ACTIONS, Action


def scope_of(screen: object) -> str:
    """The registry scope of a screen (``ExceptionsScreen`` → ``exceptions``)."""
    return type(screen).__name__.removesuffix("Screen").lower()


class TieoutCommands(Provider):
    """Context-aware: only actions that make sense where the palette was opened."""

    def _actions(self) -> list[Action]:
        scope = scope_of(self.screen)
        return [a for a in ACTIONS if a.scope in ("app", scope) and a.scope != "help"]

    async def _run(self, a: Action) -> None:
        node = self.app if a.scope == "app" else self.screen
        await node.run_action(a.action)

    async def discover(self) -> Hits:
        for a in self._actions():
            yield DiscoveryHit(a.description, partial(self._run, a), help=a.tooltip)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for a in self._actions():
            score = matcher.match(f"{a.description} {a.tooltip}")
            if score > 0:
                yield Hit(score, matcher.highlight(a.description), partial(self._run, a), help=a.tooltip)
