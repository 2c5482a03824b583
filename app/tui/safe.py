"""Plain text from outside: every string an API, a CSV or a person typed goes through here.

Why: vendor names and notes are data, never markup or terminal commands. A vendor called
``[bold red]x`` must show exactly that, an ESC sequence must not move the cursor, a
right-to-left override must not turn ``exe.txt`` round, a TAB must not jump the terminal's
cursor past its grid cell, and a 40,000-character name must not push a screen's layout
off the terminal. Widgets take ``rich.text.Text`` built from ``text(...)`` (or strings from
``plain(...)``), so Rich never parses the value; the grid cleans whole Arrow columns with
``sanitise_column``, the same rules as one vectorised pass.
"""

from __future__ import annotations

import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from rich.text import Text

# CSI / OSC / other ESC sequences, then any remaining C0/C1 control except tab and newline.
# Written in the subset RE2 (Arrow's regex engine) shares with ``re``, so the grid uses it too.
ESCAPE_PATTERN = (
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]"
)
#: Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the
#: directional marks (U+200E, U+200F, U+061C) and the zero-width characters (U+200B–U+200D,
#: U+2060, U+FEFF): invisible, and able to reorder or hide what is shown. Literal characters
#: in the class, so ``re`` and RE2 read it alike.
INVISIBLE = "\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\u2060\ufeff"
CONTROL_PATTERN = ESCAPE_PATTERN + r"|[\x00-\x08\x0b-\x1f\x7f-\x9f" + INVISIBLE + "]"
_ESCAPES = re.compile(ESCAPE_PATTERN)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f" + INVISIBLE + "]")

#: The longest line a value shows before it is cut with an ellipsis and its length.
LINE_LIMIT = 200


def plain(value: Any) -> str:
    """``value`` as a string with control sequences and invisible characters removed.

    Markup is left literal; a TAB becomes one space (a terminal would jump to its next
    stop, past the cell the text was measured for); newlines stay.
    """
    if value is None:
        return ""
    s = str(value)
    s = _ESCAPES.sub("", s)
    return _CONTROLS.sub("", s.replace("\t", " "))


def capped(value: Any, limit: int | None = LINE_LIMIT, *, hint: str = "") -> str:
    """``plain(value)`` with every line longer than ``limit`` cut: ``abc… (40,000 characters)``.

    ``limit=None`` shows everything; ``hint`` says where the full text is (``v shows all``).
    """
    s = plain(value)
    if limit is None or len(s) <= limit:
        return s
    note = f"; {hint}" if hint else ""
    return "\n".join(
        line if len(line) <= limit else f"{line[:limit]}… ({len(line):,} characters{note})"
        for line in s.split("\n")
    )


def text(value: Any, style: str = "", *, limit: int | None = LINE_LIMIT, hint: str = "") -> Text:
    """A Rich ``Text`` that shows ``value`` verbatim: no markup, no control codes, long lines cut."""
    return Text(capped(value, limit, hint=hint), style=style)


def sanitise_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``plain`` over a whole Arrow string column (RE2, no Python loop)."""
    column = pc.replace_substring(column, "\t", " ")
    return pc.replace_substring_regex(column, CONTROL_PATTERN, "")
