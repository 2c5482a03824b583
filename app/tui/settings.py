"""The workstation's settings file: theme and key remaps by binding id.

Lives at the platform's user config dir (``tieout/settings.toml``) unless a path is given.
Example::

    theme = "textual-light"
    [keymap]
    "tieout.pull" = "ctrl+r"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_dir

from app.tui.actions import ACTIONS


class SettingsError(Exception):
    """The settings file cannot be read; the message names the file and key."""


@dataclass
class Settings:
    """What the user set; defaults when there is no file."""

    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    actor: str | None = None


def default_path() -> Path:
    """Where the settings file lives on this OS."""
    return Path(user_config_dir("tieout")) / "settings.toml"


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; a missing file gives defaults, a bad one one clear sentence."""
    path = path or default_path()
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"Settings {path} cannot be read: {exc}.") from None
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        raise SettingsError(f"Settings {path}: [keymap] must be a table of binding id = keys.")
    known = {a.id for a in ACTIONS}
    for key, value in keymap.items():
        if key not in known:
            raise SettingsError(f"Settings {path}: [keymap] has unknown binding id `{key}`.")
        if not isinstance(value, str):
            raise SettingsError(f"Settings {path}: [keymap] `{key}` must be a string of keys.")
    theme = data.get("theme", "textual-dark")
    actor = data.get("actor")
    return Settings(theme=str(theme), keymap=dict(keymap), actor=str(actor) if actor else None)
