"""Plain text from outside: every string an API, a CSV or a person typed goes through ``plain``.

Why: vendor names and notes are data, never markup or terminal commands. A vendor called
``[bold red]x`` must show exactly that, and an ESC sequence must not move the cursor.
Widgets take ``rich.text.Text`` built from ``plain(...)``, so Rich never parses the value.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

# CSI / OSC / other ESC sequences, then any remaining C0/C1 control except tab and newline.
# Written in the subset RE2 (Arrow's regex engine) shares with ``re``, so the grid uses it too.
ESCAPE_PATTERN = (
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]"
)
CONTROL_PATTERN = ESCAPE_PATTERN + r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
_ESCAPES = re.compile(ESCAPE_PATTERN)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(value: Any) -> str:
    """``value`` as a string with terminal control sequences removed (markup is left literal)."""
    if value is None:
        return ""
    s = str(value)
    s = _ESCAPES.sub("", s)
    return _CONTROLS.sub("", s)


def text(value: Any, style: str = "") -> Text:
    """A Rich ``Text`` that shows ``value`` verbatim: no markup parsing, no control codes."""
    return Text(plain(value), style=style)
