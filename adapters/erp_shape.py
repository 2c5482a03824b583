"""What each ERP kind declares about itself: its project key, its accounting dimensions, its keys.

Why a declaration: the canonical ERP tables, the mapping tables (``projects.csv``,
``cost_codes.csv``), the diff's lookups and exception keys, and the screens that show an
ERP record all need to know which columns an ERP's records carry and how they nest. Each
kind says so once here; nothing downstream names ``wbs_element`` or ``gl_account``, so adding
an ERP adds a declaration and touches no diff code (see ``docs/erp-seam.md``).

A dimension keeps the ERP's own name: it is at once the canonical column, the mapping-table
header and (with its label) what a person sees.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Column names an ERP may give its dimensions: they become SQL columns and CSV headers.
NAME_FORM = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

#: Columns the canonical ERP tables and the mapping tables already use for themselves.
RESERVED = frozenset(
    {
        "po_number",
        "item",
        "description",
        "quantity",
        "net_price",
        "price_unit",
        "amount",
        "currency",
        "etag",
        "fiscal_year",
        "supplier",
        "line",
        "procore_cost_code",
        "procore_project_number",
        "project_number",
        "project",
        "node",
        "parent",
        "project_line",
        "cost_code_line",
        "cost_code",
        "origin_id",
        "link",
        "id",
    }
)


@dataclass(frozen=True)
class Dimension:
    """One accounting dimension (or the project key): a column of the ERP's records."""

    column: str  # canonical column and mapping-table header, in the ERP's own words
    label: str  # what a person reads: "WBS element", "GL account"
    short: str  # the compact form in one-line summaries: "WBS", "GL"


@dataclass(frozen=True)
class Hierarchy:
    """How one dimension nests, so a mapping row on a node also matches everything below it.

    The nodes and their parents come from the canonical ``erp_hierarchy`` table. A node the
    table does not list falls back to its ``separator`` segments (SAP: ``P-1001-02`` is below
    ``P-1001``), or matches only itself when there is no separator.
    """

    column: str  # the dimension the hierarchy table describes
    separator: str | None = None
    #: Node ids are unique only within a project (EBS task numbers): look them up per project.
    per_project: bool = False
    #: The chain ends with the node's project (SAP: a WBS element is below its project definition).
    reaches_project: bool = False


@dataclass(frozen=True)
class LineKeys:
    """How commitment and commitment-line keys are formed.

    The canonical ``po_number`` holds the whole commitment key (PeopleSoft ``BU/PO_ID``) and
    ``item`` the line's number within it; a line's key is ``po_number/item``.
    """

    commitment: str  # how a person reads the commitment key: "PO", "business unit/PO_ID"
    line: str  # and the line key: "PO/item"
    #: A Procore contract's ``number`` holds the key without this prefix (PeopleSoft: ``BU/``).
    number_prefix: str = ""
    #: Procore line position p ↔ ERP item ``p × position_step``, written to ``item_width`` digits.
    position_step: int = 1
    item_width: int = 0  # 0: no zero padding
    #: Keys are digits of a fixed form (SAP): the diff may join them as integers.
    numeric: bool = False

    def item_of_position(self, position: int) -> str:
        """The ERP item number a Procore line at ``position`` falls back to."""
        return str(position * self.position_step).zfill(self.item_width)


@dataclass(frozen=True)
class ErpShape:
    """One ERP kind's declaration (built from the profile where the profile decides it)."""

    kind: str  # the profile's ``[erp].kind``
    title: str  # "SAP S/4HANA"
    project: Dimension  # the key ``projects.csv`` maps (SAP wbs_element, EBS erp_project)
    dimensions: tuple[Dimension, ...]  # ``cost_codes.csv`` key columns, in table order
    keys: LineKeys
    hierarchy: Hierarchy | None = None

    def __post_init__(self) -> None:
        names = [d.column for d in self.dimensions]
        for name in {self.project.column, *names}:
            if not NAME_FORM.match(name):
                raise ValueError(
                    f"{self.title}: dimension name {name!r} must be lower-case letters, digits and _."
                )
            if name in RESERVED:
                raise ValueError(f"{self.title}: dimension name {name!r} is a column Tieout uses itself.")
        if len(set(names)) != len(names):
            raise ValueError(f"{self.title}: a dimension is named twice.")
        if self.hierarchy is not None and self.hierarchy.column not in self.columns:
            raise ValueError(f"{self.title}: the hierarchy describes an undeclared dimension.")

    # -- columns ----------------------------------------------------------------
    @property
    def columns(self) -> tuple[str, ...]:
        """The columns an ERP record carries: the project key, then the other dimensions."""
        rest = tuple(d.column for d in self.dimensions if d.column != self.project.column)
        return (self.project.column, *rest)

    @property
    def cost_code_keys(self) -> tuple[str, ...]:
        """``cost_codes.csv``'s key columns, in table order."""
        return tuple(d.column for d in self.dimensions)

    @property
    def project_columns(self) -> tuple[str, str]:
        """``projects.csv``'s header."""
        return (self.project.column, "procore_project_number")

    @property
    def cost_code_columns(self) -> tuple[str, ...]:
        """``cost_codes.csv``'s header."""
        return (*self.cost_code_keys, "procore_cost_code")

    def dimension(self, column: str) -> Dimension:
        """The declaration of one record column."""
        for d in (self.project, *self.dimensions):
            if d.column == column:
                return d
        raise KeyError(column)

    def is_hierarchical(self, column: str) -> bool:
        """True when a mapping row on this column also matches the nodes below it."""
        return self.hierarchy is not None and self.hierarchy.column == column

    @property
    def project_is_hierarchical(self) -> bool:
        """SAP: a WBS element maps to the project of its nearest listed ancestor; others: exact."""
        return self.is_hierarchical(self.project.column)

    # -- presentation -----------------------------------------------------------
    def describe(self, row: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
        """``(column, label, value)`` for an ERP record's project key and dimensions, in display
        order: what a detail screen or a push plan shows of where the record sits."""
        out = []
        for column in self.columns:
            value = row.get(column)
            out.append((column, self.dimension(column).label, None if value in (None, "") else str(value)))
        return out

    def summary(self, row: Mapping[str, Any]) -> str:
        """One line: ``WBS P-1, GL 51000000, cost center -``."""
        return ", ".join(
            f"{self.dimension(c).short} {'-' if v is None else v}" for c, _label, v in self.describe(row)
        )


def _dim(column: str, label: str, short: str | None = None) -> Dimension:
    return Dimension(column, label, short or label)


_WBS = _dim("wbs_element", "WBS element", "WBS")
_SAP_DIMS = (_dim("gl_account", "GL account", "GL"), _dim("cost_center", "cost center"), _WBS)
_SAP_KEYS = LineKeys(commitment="PO", line="PO/item", position_step=10, item_width=5, numeric=True)
_WBS_TREE = Hierarchy("wbs_element", separator="-", reaches_project=True)

SAP_S4 = ErpShape("sap-s4", "SAP S/4HANA", _WBS, _SAP_DIMS, _SAP_KEYS, _WBS_TREE)
#: ECC stores the same objects as S/4 (EKPO/EKKN, PRPS, COSP): the same shape.
SAP_ECC = ErpShape("sap-ecc", "SAP ECC", _WBS, _SAP_DIMS, _SAP_KEYS, _WBS_TREE)


def oracle_ebs(segments: Mapping[str, str]) -> ErpShape:
    """EBS: the profile's GL segments (``{"SEGMENT2": "account", ...}``, in segment order) plus
    ``task``; the project is the PA project number (or the segment named ``project``), exact."""

    def number(column: str) -> int:
        digits = column.upper().removeprefix("SEGMENT")
        if not digits.isdigit() or not 1 <= int(digits) <= 30:
            raise ValueError(f"Oracle EBS: segments key {column!r} is not SEGMENT1..SEGMENT30.")
        return int(digits)

    ordered = sorted(segments.items(), key=lambda kv: number(kv[0]))
    dims = tuple(_dim(name, name.replace("_", " ")) for _col, name in ordered if name != "project")
    return ErpShape(
        "oracle-ebs",
        "Oracle E-Business Suite",
        _dim("erp_project", "project"),
        (*dims, _dim("task", "task")),
        LineKeys(commitment="PO", line="PO/line"),
        Hierarchy("task", per_project=True),
    )


def peoplesoft(business_unit: str) -> ErpShape:
    """PeopleSoft: ChartField dimensions, exact; keys carry the business unit."""
    project = _dim("project_id", "project")
    return ErpShape(
        "peoplesoft",
        "Oracle PeopleSoft",
        project,
        (_dim("account", "account"), _dim("deptid", "department"), project, _dim("activity_id", "activity")),
        LineKeys(
            commitment="business unit/PO_ID",
            line="business unit/PO_ID/LINE_NBR",
            number_prefix=f"{business_unit}/",
        ),
    )


def shape_for(kind: str, settings: Any = None) -> ErpShape:
    """The declaration of ``kind``; EBS and PeopleSoft read theirs from the ERP settings
    (``segments``; ``business_unit``)."""
    if kind == "sap-s4":
        return SAP_S4
    if kind == "sap-ecc":
        return SAP_ECC
    if kind == "oracle-ebs":
        segments = getattr(settings, "segments", None)
        if not segments:
            raise ValueError("Oracle EBS needs [erp].segments (GL segment column = dimension name).")
        return oracle_ebs(segments)
    if kind == "peoplesoft":
        unit = getattr(settings, "business_unit", None)
        if not unit:
            raise ValueError("PeopleSoft needs [erp].business_unit.")
        return peoplesoft(str(unit))
    raise ValueError(f"Unknown ERP kind {kind!r}.")
