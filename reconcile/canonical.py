"""The canonical model (re-exported): the schemas live in ``adapters.canonical_schema`` so that
adapters and the engine share them without importing each other."""

from adapters.canonical_schema import (
    ERP_BASE_TABLES,
    ERP_TABLES,
    MONEY,
    MONEY_SQL,
    PROCORE_TABLES,
    QUANTITY,
    SOURCE_TABLES,
    TABLES,
    TS,
    Schema,
    conform,
    empty,
    erp_tables,
    money,
    schema,
    sql_type,
    stored_schema,
)

__all__ = [
    "ERP_BASE_TABLES",
    "ERP_TABLES",
    "MONEY",
    "MONEY_SQL",
    "PROCORE_TABLES",
    "QUANTITY",
    "SOURCE_TABLES",
    "TABLES",
    "TS",
    "Schema",
    "conform",
    "empty",
    "erp_tables",
    "money",
    "schema",
    "sql_type",
    "stored_schema",
]
