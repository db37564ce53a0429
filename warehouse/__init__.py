"""Warehouse: one DuckDB file, its migrations, bulk loading and the queries jobs need.

Imports only record types from `listeners`; knows nothing of Prefect or spaCy.
"""

from warehouse.connection import WarehouseError, WarehouseLocked, open_warehouse
from warehouse.migrate import migrate

__all__ = ["WarehouseError", "WarehouseLocked", "migrate", "open_warehouse"]
