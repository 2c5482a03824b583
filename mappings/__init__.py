"""Mapping tables (projects.csv, cost_codes.csv, vendors.csv): loading, validation and resolution.

The format is the user-facing contract of shared/interfaces.md section 3.
"""

from mappings.errors import MappingError
from mappings.load import Mappings, load_mappings
from mappings.resolve import ancestors, resolve_cost_codes, resolve_projects

__all__ = [
    "MappingError",
    "ancestors",
    "Mappings",
    "load_mappings",
    "resolve_cost_codes",
    "resolve_projects",
]
