"""The connection profile (TOML), loaded through pydantic with errors that name the key.

The format is the user-facing contract of shared/interfaces.md section 1. Secrets never
live here; see ``reconcile.secrets``.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from adapters.settings import ErpSettings, ProcoreSettings

__all__ = [
    "ErpSettings",
    "MappingSettings",
    "ProcoreSettings",
    "Profile",
    "ProfileError",
    "PullSettings",
    "PushSettings",
    "RuleSettings",
    "load_profile",
]


class ProfileError(Exception):
    """A profile that is missing or malformed; the message names the file and key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MappingSettings(_Section):
    dir: Path = Path("mappings")


class RuleSettings(_Section):
    amount_tolerance: Decimal = Decimal("0.01")
    reason_codes: list[str] = Field(
        default_factory=lambda: [
            "timing",
            "retention",
            "tax",
            "erp_only_cost",
            "procore_only_cost",
            "rounding",
            "under_review",
        ]
    )

    @field_validator("amount_tolerance", mode="before")
    @classmethod
    def _decimal_not_float(cls, value: object) -> object:
        if isinstance(value, float):
            raise ValueError('write the tolerance as a string, e.g. "0.01", so it stays exact')
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal amount") from None


class PushSettings(_Section):
    allow: list[Literal["erp_to_procore", "procore_to_erp"]] = Field(default_factory=list)


class PullSettings(_Section):
    #: The workstation pulls on startup when the current snapshot is older than this.
    auto_pull_after_minutes: int = 12 * 60


class Profile(_Section):
    name: str
    store: Path
    procore: ProcoreSettings
    erp: ErpSettings
    mappings: MappingSettings = Field(default_factory=MappingSettings)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    pull: PullSettings = Field(default_factory=PullSettings)
    #: The file the profile came from; relative paths inside it resolve against its folder.
    source_path: Path | None = Field(default=None, exclude=True)

    @property
    def store_path(self) -> Path:
        return self._resolve(self.store)

    @property
    def mappings_dir(self) -> Path:
        return self._resolve(self.mappings.dir)

    def _resolve(self, p: Path) -> Path:
        if p.is_absolute() or self.source_path is None:
            return p
        return (self.source_path.parent / p).resolve()


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile; any problem becomes one ``ProfileError`` sentence."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"Profile {path} does not exist.") from None
    except OSError as exc:
        raise ProfileError(f"Profile {path} cannot be read: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise ProfileError(f"Profile {path} is not UTF-8 text.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"Profile {path} is not valid TOML: {exc}.") from None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _where(first["loc"])
        if first["type"] == "missing":
            raise ProfileError(f"Profile {path}: required key `{key}` is missing.") from None
        if first["type"] == "extra_forbidden":
            raise ProfileError(f"Profile {path}: unknown key `{key}`.") from None
        raise ProfileError(f"Profile {path}: key `{key}`: {first['msg']}.") from None
    return profile.model_copy(update={"source_path": path.resolve()})
