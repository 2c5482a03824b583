"""``Secret``: a string that refuses to show itself.

Held here, under ``adapters``, because every adapter takes one; ``reconcile.secrets`` finds
the values (keyring, environment) and wraps them in it.
"""

from __future__ import annotations


class Secret:
    """A string that refuses to show itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value, for the one place that sends it (an auth flow)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__
