"""The canonical people tables (re-exported): they live in ``adapters.people_schema`` so the
identity-provider adapters and the engine share them without importing each other."""

from adapters.people_schema import PEOPLE_TABLES, Schema, empty_people, people_frame

__all__ = ["PEOPLE_TABLES", "Schema", "empty_people", "people_frame"]
