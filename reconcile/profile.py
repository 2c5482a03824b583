"""The connection profile (TOML), loaded through pydantic with errors that name the key.

The format is the user-facing contract of shared/interfaces.md section 1. Secrets never
live here; see ``reconcile.secrets``.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from adapters.oracle_ebs.settings import OracleEbsSettings
from adapters.peoplesoft.settings import PeopleSoftSettings
from adapters.sap_ecc.settings import SapEccSettings
from adapters.settings import (
    ERP_ADAPTERS,
    ERP_KINDS_PLANNED,
    ErpBase,
    ErpSettings,
    ProcoreSettings,
    check_url,
    kind_problem,
)
from reconcile.people.settings import PeopleSettings

__all__ = [
    "ERP_ADAPTERS",
    "ERP_KINDS_PLANNED",
    "ErpSettings",
    "MappingSettings",
    "ProcoreSettings",
    "Profile",
    "ProfileError",
    "PullSettings",
    "PushSettings",
    "RuleSettings",
    "check_url",
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
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal amount") from None
        if not amount.is_finite():
            raise ValueError(f'{value!r} is not a finite amount; write e.g. "0.01"')
        if amount < 0:
            raise ValueError(f"{value!r} is negative; a tolerance is a difference of at most this much, >= 0")
        return amount


class PushSettings(_Section):
    allow: list[Literal["erp_to_procore", "procore_to_erp", "idp_to_procore"]] = Field(default_factory=list)


class PullSettings(_Section):
    #: The workstation pulls on startup when the current snapshot is older than this.
    auto_pull_after_minutes: int = 12 * 60


#: The ``[erp]`` section: the settings model of its ``kind`` (each ERP kind declares its own keys).
ErpSection = Annotated[
    ErpSettings | OracleEbsSettings | PeopleSoftSettings | SapEccSettings, Field(discriminator="kind")
]


class Profile(_Section):
    name: str
    store: Path
    procore: ProcoreSettings
    #: Optional when ``people`` is present (an IT admin's profile); read it through ``erp``.
    erp_section: ErpSection | None = Field(default=None, alias="erp")
    people: PeopleSettings | None = None
    mappings: MappingSettings = Field(default_factory=MappingSettings)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    pull: PullSettings = Field(default_factory=PullSettings)
    #: The file the profile came from; relative paths inside it resolve against its folder.
    source_path: Path | None = Field(default=None, exclude=True)

    @field_validator("erp_section", mode="before")
    @classmethod
    def _kind_is_pulled(cls, value: object) -> object:
        # Checked before the kind's own model, so an unbuilt or unknown kind is one sentence.
        if isinstance(value, dict) and "kind" in value:
            problem = kind_problem(value["kind"])
            if problem:
                raise ValueError(f"kind {problem}")
        return value

    @model_validator(mode="after")
    def _something_to_compare(self) -> Profile:
        if self.erp_section is None and self.people is None:
            raise ValueError("the profile needs an [erp] section, a [people] section, or both")
        return self

    @property
    def erp(self) -> ErpBase:
        """The ERP connection; asking a people-only profile for it is a ``ProfileError``."""
        if self.erp_section is None:
            where = f"Profile {self.source_path}" if self.source_path else f"Profile {self.name!r}"
            raise ProfileError(f"{where} has no [erp] section; add one to compare money with an ERP.")
        return self.erp_section

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


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\](?:\s*#.*)?\s*$")


def _table_name(header: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in header.split("."))


def line_of(text: str, data: dict[str, Any], loc: tuple[int | str, ...]) -> int | None:
    """The TOML line holding the key a validation error points at (its table's header if missing).

    tomllib keeps no positions, so the text is scanned: find the table's ``[header]``, then the
    ``key =`` line inside it. None when the key cannot be found (an inline table, a dotted key).
    """
    path: list[str] = []
    node: Any = data
    for part in loc:
        if not (isinstance(node, dict) and isinstance(part, str) and part in node):
            break
        path.append(part)
        node = node[part]
    if not path:
        return None
    if isinstance(node, dict):
        tables, key = path, None
    else:
        tables, key = path[:-1], path[-1]
    table = ".".join(tables)
    current = ""
    key_line = (
        re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
        if key
        else None
    )
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = _table_name(header.group(1))
            if key_line is None and current == table:
                return number
            continue
        if key_line is not None and current == table and key_line.match(line):
            return number
    return None


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ").rstrip(".")


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile; any problem becomes one ``ProfileError`` sentence.

    A UTF-8 byte-order mark (Notepad writes one) is accepted. Validation errors name the
    line of the key they concern.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProfileError(f"Profile {path} does not exist.") from None
    except IsADirectoryError:
        raise ProfileError(f"Profile {path} is a folder, not a TOML file.") from None
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
        first: dict[str, Any] = dict(exc.errors()[0])
        loc = tuple(first["loc"])
        if loc[:1] == ("erp",) and len(loc) > 1 and loc[1] in ERP_KINDS_PLANNED:
            loc = loc[:1] + loc[2:]  # the union's tag (the kind) is not a key the user wrote
        if loc == ("erp",) and str(first["msg"]).startswith("Value error, kind "):
            loc, first["msg"] = ("erp", "kind"), str(first["msg"]).replace("Value error, kind ", "", 1)
        if first["type"] == "union_tag_not_found":
            first["type"], loc = "missing", (*loc, "kind")
        first["loc"] = loc
        key = _where(loc)
        if not first["loc"]:
            raise ProfileError(f"Profile {path}: {first['msg'].removeprefix('Value error, ')}.") from None
        line = line_of(text, data, first["loc"])
        if first["type"] == "missing":
            where = f" (in the table at line {line})" if line else ""
            raise ProfileError(f"Profile {path}: required key `{key}` is missing{where}.") from None
        at = f"{path} line {line}" if line else f"{path}"
        if first["type"] == "extra_forbidden":
            raise ProfileError(f"Profile {at}: unknown key `{key}`.") from None
        raise ProfileError(f"Profile {at}: key `{key}`: {_message(first['msg'])}.") from None
    return profile.model_copy(update={"source_path": path.resolve()})
