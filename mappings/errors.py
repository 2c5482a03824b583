"""The one error type of the mapping tables: a sentence naming file, line and reason."""

from __future__ import annotations


class MappingError(Exception):
    """A mapping table the analyst must fix; ``str()`` names the file and line."""

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file
        return f"{where}: {self.reason}"
