"""Procore's JSON answers decoded strictly: exact money, and nothing the store cannot keep.

Numbers with a fraction become ``Decimal`` (``parse_float=Decimal``), so money never
passes through float. A body is then walked once and refused, naming the endpoint and
the record, when it holds what would otherwise fail far from its cause: a lone UTF-16
surrogate (DuckDB refuses the text), an integer beyond 64 bits (Procore's ids are
64-bit; the canonical frames are too), or nesting deeper than any Procore record has.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from adapters.base import ResponseError

#: Procore records nest a few levels (a line item's cost code, a requisition's g702); far
#: deeper is a hostile or broken body, refused before it can exhaust the recursion limit.
MAX_DEPTH = 32
_INT64 = (-(2**63), 2**63 - 1)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _check(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _Bad(f"nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        if not value.isascii() and _SURROGATE.search(value):
            raise _Bad("holds text that is not valid Unicode (a lone surrogate)")
    elif isinstance(value, bool) or value is None or isinstance(value, Decimal):
        return
    elif isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise _Bad(f"holds the number {str(value)[:30]}, beyond 64 bits")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check(k, depth + 1)
            _check(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check(v, depth + 1)


def _which(record: Any, index: int | None) -> str:
    rid = record.get("id") if isinstance(record, dict) else None
    # Only an id that is itself sound names the record; else its position does.
    if isinstance(rid, int) and not isinstance(rid, bool) and _INT64[0] <= rid <= _INT64[1]:
        return f"record id {rid}"
    return f"record #{index}" if index is not None else "the record"


def decode_body(content: bytes, endpoint: str) -> Any:
    """The JSON body, checked; a ``ResponseError`` naming the endpoint (and record) if it is unusable."""
    try:
        body = json.loads(content, parse_float=Decimal)
    except RecursionError:  # the C decoder recurses once per level
        raise ResponseError(
            f"Procore's answer from {endpoint} nests deeper than {MAX_DEPTH} levels."
        ) from None
    except ValueError:
        raise ResponseError(f"Procore's answer from {endpoint} is not valid JSON.") from None
    records = body if isinstance(body, list) else [body]
    for i, rec in enumerate(records):
        try:
            _check(rec, 1)
        except _Bad as bad:
            which = _which(rec, i if isinstance(body, list) else None)
            raise ResponseError(f"Procore's answer from {endpoint} {bad.reason} in {which}.") from None
    return body
