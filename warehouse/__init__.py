"""Warehouse: one DuckDB file, its migrations, bulk loading and the queries jobs need.

Imports only the record types of `listeners` and `nlp` (their `records` modules); knows
nothing of Prefect or spaCy.
"""

from earshot.warehouse.connection import WarehouseError, WarehouseLocked, open_warehouse
from earshot.warehouse.migrate import migrate

__all__ = ["WarehouseError", "WarehouseLocked", "migrate", "open_warehouse"]
