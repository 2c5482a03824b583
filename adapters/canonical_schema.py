"""The canonical model: the tables every adapter's pull is reduced to, and the diff reads.

Adapters speak their own wire shapes; the engine never sees them. Each adapter's
``canonical.py`` turns a snapshot's raw payloads into frames with exactly these
schemas (``conform`` enforces it), the store keeps them per snapshot, and
``reconcile.diff`` reads them. The ERP tables carry the dimensions the ERP kind declares
(``adapters.erp_shape``). This module lives under ``adapters`` so adapters and the engine
both import it without importing each other. Money is always ``MONEY`` (a fixed-point decimal),
never float, so totals tie to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import polars as pl

from adapters.erp_shape import SAP_S4, ErpShape

#: Fixed point with four places: SAP amounts carry three, Procore's two; 18 digits
#: keep DuckDB on 64-bit integers and still hold any job a contractor runs.
MONEY = pl.Decimal(18, 4)
MONEY_SQL = "DECIMAL(18,4)"
QUANTITY = pl.Decimal(18, 3)
TS = pl.Datetime("us", "UTC")

Schema = Mapping[str, pl.DataType]

PROCORE_TABLES: dict[str, Schema] = {
    "procore_projects": {
        "id": pl.Int64(),
        "project_number": pl.String(),
        "name": pl.String(),
        "active": pl.Boolean(),
        "origin_id": pl.String(),
        "updated_at": TS,
    },
    "procore_vendors": {
        "id": pl.Int64(),
        "name": pl.String(),
        "is_active": pl.Boolean(),
        "origin_id": pl.String(),
        "updated_at": TS,
    },
    "procore_cost_codes": {
        "id": pl.Int64(),
        "project_id": pl.Int64(),
        "full_code": pl.String(),
        "name": pl.String(),
        "origin_id": pl.String(),
    },
    # Purchase order and work order contracts in one table; contract_type tells them apart.
    "procore_commitments": {
        "id": pl.Int64(),
        "project_id": pl.Int64(),
        "contract_type": pl.String(),  # "purchase_order" | "work_order"
        "number": pl.String(),
        "title": pl.String(),
        "status": pl.String(),
        "vendor_id": pl.Int64(),
        "origin_id": pl.String(),
        "grand_total": MONEY,
        "updated_at": TS,
    },
    "procore_commitment_lines": {
        "id": pl.Int64(),
        "contract_id": pl.Int64(),
        "project_id": pl.Int64(),
        "position": pl.Int64(),
        "description": pl.String(),
        "cost_code_id": pl.Int64(),
        "cost_code": pl.String(),  # the cost code's full_code
        "line_item_type_id": pl.Int64(),
        "amount": MONEY,
        "origin_id": pl.String(),
        "updated_at": TS,
    },
    "procore_commitment_change_orders": {
        "id": pl.Int64(),
        "project_id": pl.Int64(),
        "contract_id": pl.Int64(),
        "number": pl.String(),
        "status": pl.String(),
        "grand_total": MONEY,
        "updated_at": TS,
    },
    # Detail rows of the profile's budget view (budget_row_type=all), one per cost code and cost type.
    "procore_budget_lines": {
        "project_id": pl.Int64(),
        "cost_code_id": pl.Int64(),
        "cost_code": pl.String(),
        "category_id": pl.Int64(),
        "original_budget_amount": MONEY,
    },
    # Direct cost line items and subcontractor-invoice (requisition) amounts, by cost code.
    "procore_actual_lines": {
        "id": pl.String(),  # "direct_cost:<line id>" | "requisition:<id>:<item id>"
        "project_id": pl.Int64(),
        "source": pl.String(),  # "direct_cost" | "requisition"
        "document_id": pl.Int64(),
        "status": pl.String(),
        "cost_code": pl.String(),
        "amount": MONEY,
        "origin_id": pl.String(),
        "updated_at": TS,
        # The direct cost's date or the invoice's billing date: places the line in a close period.
        "document_date": pl.Date(),
    },
}

#: The ERP tables' own columns. The tables of records that sit somewhere in the books
#: (commitment lines, budgets, actuals) also carry the ERP's declared project key and
#: dimensions (``ErpShape.columns``) as String, under the ERP's own names: see ``erp_tables``.
ERP_BASE_TABLES: dict[str, Schema] = {
    # The ERP's hierarchical dimension (SAP WBS elements, EBS tasks): node, parent, project.
    "erp_hierarchy": {
        "node": pl.String(),
        "project": pl.String(),
        "parent": pl.String(),
        "level": pl.Int64(),
        "description": pl.String(),
    },
    "erp_vendors": {
        "supplier": pl.String(),
        "name": pl.String(),
        "blocked": pl.Boolean(),
    },
    "erp_commitments": {
        "po_number": pl.String(),  # the whole commitment key (PeopleSoft: business unit/PO_ID)
        "supplier": pl.String(),
        "company_code": pl.String(),
        "currency": pl.String(),
        "po_date": pl.Date(),
        "last_change": TS,
        "etag": pl.String(),
    },
    # One row per line and account assignment (distribution): a line can be split.
    "erp_commitment_lines": {
        "po_number": pl.String(),
        "item": pl.String(),  # "00010"; EBS line number; PeopleSoft LINE_NBR
        "description": pl.String(),
        "quantity": QUANTITY,
        "net_price": MONEY,
        "price_unit": QUANTITY,
        "amount": MONEY,
        "currency": pl.String(),
        "etag": pl.String(),
    },
    "erp_budgets": {
        "fiscal_year": pl.String(),
        "amount": MONEY,
        "currency": pl.String(),
    },
    "erp_actuals": {
        "amount": MONEY,
        "currency": pl.String(),
        # Places the row in a close period: the posting date, or for a balance the ERP reports
        # per fiscal period, that period's last day (``adapters.fiscal_period``).
        "posting_date": pl.Date(),
    },
}

#: The tables whose rows carry the ERP's project key and dimensions.
DIMENSIONED = ("erp_commitment_lines", "erp_budgets", "erp_actuals")


def erp_tables(shape: ErpShape) -> dict[str, Schema]:
    """The ERP tables of one kind: the base columns plus its declared dimensions."""
    dims = {c: pl.String() for c in shape.columns}
    return {t: {**cols, **dims} if t in DIMENSIONED else dict(cols) for t, cols in ERP_BASE_TABLES.items()}


#: SAP S/4's tables: the default where no profile says otherwise (tests, bench, the demo).
ERP_TABLES: dict[str, Schema] = erp_tables(SAP_S4)

TABLES: dict[str, Schema] = {**PROCORE_TABLES, **ERP_TABLES}

#: Which source fills which tables.
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "procore": tuple(PROCORE_TABLES),
    "erp": tuple(ERP_TABLES),
}


def schema(table: str, shape: ErpShape | None = None) -> Schema:
    """A table's schema; ERP tables as ``shape`` declares them (SAP S/4 when none is given)."""
    if shape is not None and table in ERP_BASE_TABLES:
        return erp_tables(shape)[table]
    return TABLES[table]


def stored_schema(table: str, columns: Iterable[str]) -> Schema:
    """The schema the store keeps ``table`` under, given the columns it holds: the base columns,
    plus (for dimensioned ERP tables) every other column as String, whichever ERP wrote it."""
    if table not in ERP_BASE_TABLES:
        return TABLES[table]
    base = ERP_BASE_TABLES[table]
    extra = (
        {c: pl.String() for c in columns if c not in base and c != "snapshot_id"}
        if table in DIMENSIONED
        else {}
    )
    return {**base, **extra}


def empty(table: str, shape: ErpShape | None = None, *, of: Schema | None = None) -> pl.DataFrame:
    """An empty frame with the table's schema (or the schema ``of``)."""
    return pl.DataFrame(schema=dict(of if of is not None else schema(table, shape)))


def conform(
    table: str, frame: pl.DataFrame, shape: ErpShape | None = None, *, of: Schema | None = None
) -> pl.DataFrame:
    """Select and cast ``frame`` to the canonical schema of ``table`` (or the schema ``of``).

    Missing columns become nulls; extra columns are dropped; a value that cannot be
    cast raises, because a silently wrong amount is worse than a failed pull.
    """
    target = of if of is not None else schema(table, shape)
    if not frame.columns:  # selecting only literals from a frame with no columns would yield one null row
        return empty(table, of=target)
    cols = []
    for name, dtype in target.items():
        if name in frame.columns:
            cols.append(pl.col(name).cast(dtype, strict=True))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(cols)


def money(value: str | int | Decimal | None) -> Decimal | None:
    """Parse a wire amount into a Decimal without ever passing through float."""
    if value is None or value == "":
        return None
    if isinstance(value, float):  # pragma: no cover - guarded by the wire models
        raise TypeError("money must never be a float")
    return Decimal(str(value))


def sql_type(dtype: pl.DataType) -> str:
    """The DuckDB column type for a canonical Polars dtype."""
    if isinstance(dtype, pl.Decimal):
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ"
    mapping: dict[type[pl.DataType], str] = {
        pl.Int64: "BIGINT",
        pl.String: "VARCHAR",
        pl.Boolean: "BOOLEAN",
        pl.Date: "DATE",
    }
    return mapping[type(dtype)]
