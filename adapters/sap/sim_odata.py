"""The OData V2 query language as the SAP simulator understands it.

Kept apart from the routes so each half stays readable: this module knows the EDMX
(entity sets, keys, property types, navigation properties), ``$filter`` (a deliberately
small subset, with anything else refused the way Gateway refuses it), ``$select`` /
``$expand`` trees and the aggregation analytical services apply to ``$select``.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from adapters.sap.wire import date_ms

METADATA_DIR = Path(__file__).with_name("metadata")

#: Service name in the URL → its $metadata file.
SERVICES: dict[str, str] = {
    "API_BUSINESS_PARTNER": "API_BUSINESS_PARTNER.edmx",
    "API_PURCHASEORDER_PROCESS_SRV": "API_PURCHASEORDER_PROCESS_SRV.edmx",
    "API_JOURNALENTRYITEMBASIC_SRV": "API_JOURNALENTRYITEMBASIC_SRV.edmx",
    "API_ENTERPRISE_PROJECT_SRV;v=0002": "API_ENTERPRISE_PROJECT_SRV_0002.edmx",
    "API_SUPPLIERINVOICE_PROCESS_SRV": "API_SUPPLIERINVOICE_PROCESS_SRV.edmx",
    "ZTIEOUT_WBS_BUDGET_SRV": "ZTIEOUT_WBS_BUDGET_SRV.edmx",
}

#: The navigation properties the simulator can expand: (set, nav) → (child set, join fields).
NAVS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("A_PurchaseOrder", "to_PurchaseOrderItem"): ("A_PurchaseOrderItem", ("PurchaseOrder",)),
    ("A_PurchaseOrderItem", "to_AccountAssignment"): (
        "A_PurOrdAccountAssignment",
        ("PurchaseOrder", "PurchaseOrderItem"),
    ),
    ("A_Supplier", "to_SupplierCompany"): ("A_SupplierCompany", ("Supplier",)),
    ("A_EnterpriseProject", "to_EnterpriseProjectElement"): ("A_EnterpriseProjectElement", ("ProjectUUID",)),
    ("A_SupplierInvoice", "to_SuplrInvcItemPurOrdRef"): (
        "A_SuplrInvcItemPurOrdRef",
        ("SupplierInvoice", "FiscalYear"),
    ),
}


class ODataError(Exception):
    """A request the simulated Gateway refuses; becomes SAP error JSON with ``status``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class EntitySet:
    name: str
    service: str
    type_name: str  # "API_PURCHASEORDER_PROCESS_SRV.A_PurchaseOrderType"
    keys: tuple[str, ...]
    types: dict[str, str]  # property → Edm type
    navs: tuple[str, ...] = field(default_factory=tuple)


@functools.cache
def entity_sets() -> dict[str, EntitySet]:
    """Every entity set of the served services, read from the real EDMX files (parsed once)."""
    out: dict[str, EntitySet] = {}
    for service, fname in SERVICES.items():
        root = ET.parse(METADATA_DIR / fname).getroot()
        types: dict[str, tuple[tuple[str, ...], dict[str, str], tuple[str, ...]]] = {}
        namespace = ""
        for schema in root.iter():
            if not schema.tag.endswith("}Schema"):
                continue
            namespace = schema.get("Namespace") or ""
            for et in schema:
                if not et.tag.endswith("}EntityType"):
                    continue
                keys = tuple(k.get("Name") or "" for k in et.iter() if k.tag.endswith("}PropertyRef"))
                props = {p.get("Name") or "": p.get("Type") or "" for p in et if p.tag.endswith("}Property")}
                navs = tuple(p.get("Name") or "" for p in et if p.tag.endswith("}NavigationProperty"))
                types[f"{namespace}.{et.get('Name')}"] = (keys, props, navs)
            for es in schema.iter():
                if es.tag.endswith("}EntitySet"):
                    tname = es.get("EntityType") or ""
                    if tname in types:
                        keys, props, navs = types[tname]
                        out[es.get("Name") or ""] = EntitySet(
                            es.get("Name") or "", service, tname, keys, props, navs
                        )
    return out


@functools.cache
def metadata_bytes(service: str) -> bytes:
    return (METADATA_DIR / SERVICES[service]).read_bytes()


# -- $filter ----------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<typed>(?:datetimeoffset|datetime|guid|time)'[^']*')"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<num>-?\d+(?:\.\d+)?[mMdDlL]?)"
    r"|(?P<paren>[(),])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r")"
)
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}

Predicate = Callable[[dict[str, Any]], bool]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ODataError(
                400,
                "/IWBEP/CM_MGW_RT/022",
                f"Invalid token at position {pos} in the system query option $filter",
            )
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _literal(kind: str, text: str) -> tuple[str, Any]:
    if kind == "typed":
        prefix, _, rest = text.partition("'")
        body = rest[:-1]
        if prefix in ("datetimeoffset", "datetime"):
            ms = date_ms(body if prefix == "datetimeoffset" or body.endswith("Z") else body + "Z")
            return "dt", ms
        if prefix == "guid":
            return "guid", body.lower()
        return "str", body
    if kind == "str":
        return "str", text[1:-1].replace("''", "'")
    if kind == "num":
        return "num", Decimal(text.rstrip("mMdDlL"))
    if kind == "name" and text in ("true", "false"):
        return "bool", text == "true"
    if kind == "name" and text == "null":
        return "null", None
    raise ODataError(400, "/IWBEP/CM_MGW_RT/022", f"Expected a literal in $filter, found '{text}'")


def _coerce(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "dt":
        return date_ms(value)
    if kind == "num":
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if kind == "guid":
        return str(value).lower()
    return value


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        return bool({"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op])
    except TypeError:
        return False


def parse_filter(text: str, es: EntitySet) -> Predicate:
    """``$filter`` with eq/ne/gt/ge/lt/le, and/or/not, parentheses; functions are refused."""
    toks = _tokens(text)
    pos = 0

    def peek() -> tuple[str, str] | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(toks):
            raise ODataError(400, "/IWBEP/CM_MGW_RT/022", "Unexpected end of the system query option $filter")
        pos += 1
        return toks[pos - 1]

    def or_expr() -> Predicate:
        left = and_expr()
        while (t := peek()) and t == ("name", "or"):
            take()
            right = and_expr()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def and_expr() -> Predicate:
        left = unary()
        while (t := peek()) and t == ("name", "and"):
            take()
            right = unary()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def unary() -> Predicate:
        t = take()
        if t == ("name", "not"):
            inner = unary()
            return lambda r: not inner(r)
        if t == ("paren", "("):
            inner = or_expr()
            if take() != ("paren", ")"):
                raise ODataError(
                    400, "/IWBEP/CM_MGW_RT/022", "Missing ')' in the system query option $filter"
                )
            return inner
        if t[0] != "name":
            raise ODataError(400, "/IWBEP/CM_MGW_RT/022", f"Expected a property in $filter, found '{t[1]}'")
        prop = t[1]
        nxt = peek()
        if nxt == ("paren", "("):
            raise ODataError(
                400,
                "/IWBEP/CM_MGW_RT/022",
                f"Function '{prop}' is not supported in the system query option $filter",
            )
        if es.types and prop not in es.types:
            raise ODataError(
                400, "/IWBEP/CM_MGW_RT/021", f"Property '{prop}' not found in type '{es.type_name}'"
            )
        op = take()
        if op[0] != "name" or op[1] not in _OPS:
            raise ODataError(400, "/IWBEP/CM_MGW_RT/022", f"Operator '{op[1]}' is not supported in $filter")
        kind, value = _literal(*take())
        return lambda r: _compare(op[1], _coerce(r.get(prop), kind), value)

    pred = or_expr()
    if pos != len(toks):
        raise ODataError(
            400, "/IWBEP/CM_MGW_RT/022", f"Unexpected '{toks[pos][1]}' in the system query option $filter"
        )
    return pred


def order_by(rows: list[dict[str, Any]], text: str, es: EntitySet) -> list[dict[str, Any]]:
    """``$orderby=A,B desc``: a stable sort, nulls first, as Gateway sorts on the database."""
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        name, _, direction = part.strip().partition(" ")
        direction = direction.strip().lower()
        if (es.types and name not in es.types) or direction not in ("", "asc", "desc"):
            raise ODataError(
                400, "/IWBEP/CM_MGW_RT/021", f"Invalid sort property '{part.strip()}' in $orderby"
            )
        keys.append((name, direction == "desc"))
    out = list(rows)
    for name, desc in reversed(keys):

        def sort_key(r: dict[str, Any], n: str = name) -> tuple[bool, str]:
            value = r.get(n)
            return (value is not None, "" if value is None else str(value))

        out.sort(key=sort_key, reverse=desc)
    return out


# -- $select / $expand trees ----------------------------------------------------------
Tree = dict[str, "Tree"]


def path_tree(text: str | None) -> Tree | None:
    """``a,b/c,b/d/e`` → ``{"a": {}, "b": {"c": {}, "d": {"e": {}}}}``; None when absent."""
    if not text:
        return None
    tree: Tree = {}
    for part in text.split(","):
        node = tree
        for seg in part.strip().split("/"):
            if seg:
                node = node.setdefault(seg, {})
    return tree


def check_select(tree: Tree | None, es: EntitySet, sets: dict[str, EntitySet]) -> None:
    """Refuse unknown properties in ``$select`` as Gateway does (it catches typos in the adapter)."""
    for name, sub in (tree or {}).items():
        if name == "*":
            continue
        if name in es.navs:
            child = sets.get(NAVS.get((es.name, name), ("", ()))[0])
            if child is not None:
                check_select(sub, child, sets)
            continue
        if name not in es.types:
            raise ODataError(
                400, "/IWBEP/CM_MGW_RT/021", f"Property '{name}' not found in type '{es.type_name}'"
            )


def aggregate(rows: list[dict[str, Any]], es: EntitySet, select: Tree | None) -> list[dict[str, Any]]:
    """Group by the selected dimensions and sum the selected Edm.Decimal measures (analytical services)."""
    if not select:
        return rows
    names = list(select)
    measures = [n for n in names if es.types.get(n) == "Edm.Decimal"]
    dims = [n for n in names if n not in measures]
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        k = tuple(r.get(d) for d in dims)
        g = groups.get(k)
        if g is None:
            g = groups[k] = {d: r.get(d) for d in dims} | {m: Decimal(0) for m in measures}
        for m in measures:
            g[m] += Decimal(str(r.get(m) or "0"))
    out = []
    for k in sorted(groups, key=lambda t: tuple("" if v is None else str(v) for v in t)):
        g = groups[k]
        for m in measures:
            g[m] = f"{g[m]:.3f}"
        g["ID"] = "AGG~" + "~".join("" if v is None else str(v) for v in k)
        out.append(g)
    return out
