"""``RFC_READ_TABLE`` done right: field lists under the row width, paging, a join by key.

The module copies each selected row into one ``WA`` string of at most 512 characters
(``DATA_BUFFER_EXCEEDED`` past that), returns at most ``ROWCOUNT`` rows after skipping
``ROWSKIPS``, and reads ``OPTIONS`` as a dynamic WHERE clause. So a wide field list is read
as several narrower ones that each carry the key fields, and joined back by key; every
part must return the same keys, or the table changed under the read and it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.base import ResponseError
from adapters.sap_ecc.client import SIDE, EccClient, SapFault, option_rows
from adapters.sap_ecc.values import number, text

#: One call's rows are capped at this by the module itself.
MAX_ROWCOUNT = 1000
#: A read that keeps returning full pages past this many is looping, not paging.
MAX_PAGES = 100_000


@dataclass(frozen=True)
class FieldInfo:
    """What RFC_READ_TABLE says of a field: where it sits in ``WA`` and its ABAP type."""

    name: str
    offset: int
    length: int
    type: str


def _infos(answer: dict[str, Any], table: str) -> list[FieldInfo]:
    items = ((answer.get("FIELDS") or {}).get("item")) or []
    try:
        return [
            FieldInfo(
                text(i["FIELDNAME"] or ""),
                int(i["OFFSET"] or 0),
                int(i["LENGTH"] or 0),
                text(i["TYPE"] or "C"),
            )
            for i in items
        ]
    except (KeyError, TypeError, ValueError):
        raise ResponseError(
            f"The {SIDE} answer of RFC_READ_TABLE on {table} has an unreadable FIELDS table."
        ) from None


def _value(raw: str, info: FieldInfo) -> str:
    """A field's slice, trimmed as its type requires (CHAR keeps leading blanks, numbers do not)."""
    if info.type == "C":
        return text(raw)
    return raw.strip()


async def _chunks(
    client: EccClient, table: str, keys: list[str], fields: list[str], options: list[dict[str, str]]
) -> list[list[FieldInfo]]:
    """Field lists that each fit the row width, found by asking (``NO_DATA``), halving on overflow."""
    try:
        answer = await client.call(
            "RFC_READ_TABLE",
            idempotent=True,
            QUERY_TABLE=table,
            NO_DATA="X",
            FIELDS={"item": [{"FIELDNAME": f} for f in [*keys, *fields]]},
            OPTIONS={"item": options},
            DATA={"item": []},
        )
    except SapFault as exc:
        if exc.code != "DATA_BUFFER_EXCEEDED":
            raise _table_error(exc, table) from None
        if len(fields) <= 1:
            raise ResponseError(
                f"The {SIDE} cannot return {table} fields {', '.join([*keys, *fields])} within RFC_READ_TABLE's "
                "512-character row, even one at a time beside the key."
            ) from None
        half = len(fields) // 2
        return [
            *await _chunks(client, table, keys, fields[:half], options),
            *await _chunks(client, table, keys, fields[half:], options),
        ]
    return [_infos(answer, table)]


def _table_error(exc: SapFault, table: str) -> ResponseError:
    if exc.code == "TABLE_NOT_AVAILABLE":
        return ResponseError(f"The {SIDE} has no table {table} (TABLE_NOT_AVAILABLE).")
    if exc.code == "NOT_AUTHORIZED":
        return ResponseError(
            f"The {SIDE} user may not read table {table} (NOT_AUTHORIZED): the SAP team must add it to "
            "the user's S_TABU_NAM authorization (docs/sap-ecc.md)."
        )
    if exc.code == "OPTION_NOT_VALID":
        return ResponseError(f"The {SIDE} refused the selection on {table} (OPTION_NOT_VALID).")
    return ResponseError(f"The {SIDE} raised {exc.code} reading table {table}.")


async def _read_part(
    client: EccClient, table: str, infos: list[FieldInfo], options: list[dict[str, str]], page_size: int
) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    count = min(page_size, MAX_ROWCOUNT)
    for _ in range(MAX_PAGES):
        try:
            answer = await client.call(
                "RFC_READ_TABLE",
                idempotent=True,
                QUERY_TABLE=table,
                ROWSKIPS=len(rows),
                ROWCOUNT=count,
                FIELDS={"item": [{"FIELDNAME": i.name} for i in infos]},
                OPTIONS={"item": options},
                DATA={"item": []},
            )
        except SapFault as exc:
            raise _table_error(exc, table) from None
        layout = _infos(answer, table) or infos
        data = ((answer.get("DATA") or {}).get("item")) or []
        for item in data:
            wa = (item or {}).get("WA") or ""
            rows.append({i.name: _value(wa[i.offset : i.offset + i.length], i) for i in layout})
        if len(data) < count:
            return rows
    raise ResponseError(f"The {SIDE} kept returning full pages of {table} past {MAX_PAGES} pages.")


async def read_table(
    client: EccClient,
    table: str,
    *,
    keys: list[str],
    fields: list[str],
    where: list[str],
    page_size: int = MAX_ROWCOUNT,
) -> list[dict[str, str]]:
    """Every row of ``table`` matching ``where`` (conditions joined by AND), as field → trimmed text."""
    options = option_rows(where)
    parts = await _chunks(client, table, keys, [f for f in fields if f not in keys], options)
    merged: dict[tuple[str, ...], dict[str, str]] = {}
    first_keys: set[tuple[str, ...]] | None = None
    for infos in parts:
        rows = await _read_part(client, table, infos, options, page_size)
        seen: set[tuple[str, ...]] = set()
        for row in rows:
            key = tuple(row.get(k, "") for k in keys)
            if key in seen:
                raise ResponseError(
                    f"The {SIDE} returned {table} record {'/'.join(key)} twice; the key fields "
                    f"{', '.join(keys)} do not identify its rows."
                )
            seen.add(key)
            merged.setdefault(key, {}).update(row)
        if first_keys is None:
            first_keys = seen
        elif seen != first_keys:
            raise ResponseError(
                f"The {SIDE} table {table} changed while it was read in {len(parts)} parts; pull again."
            )
    return list(merged.values())


__all__ = ["FieldInfo", "read_table", "number", "MAX_ROWCOUNT"]
