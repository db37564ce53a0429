"""Read-only views for the CLI: source health and ad-hoc analyst queries."""

from __future__ import annotations

from typing import Any

import duckdb

from pipelines.config import LoadedConfig
from warehouse import WarehouseError, open_warehouse


def source_rows(loaded: LoadedConfig) -> list[dict[str, Any]]:
    """The configured sources with their health; sources never fetched are listed too."""
    known: dict[str, dict[str, Any]] = {}
    if loaded.warehouse_path.exists():
        con = open_warehouse(loaded.warehouse_path, read_only=True)
        try:
            cursor = con.execute("SELECT * FROM source_health")
            names = [d[0] for d in cursor.description]
            known = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
        finally:
            con.close()
    rows = []
    for s in loaded.config.sources:
        rows.append(
            known.get(s.id)
            or {
                "source_id": s.id,
                "kind": s.kind,
                "owned": s.owned,
                "last_status": None,
                "last_success_at": None,
                "posts_last_7_days": 0,
                "next_attempt_at": None,
                "failure_count": 0,
                "last_error": None,
            }
        )
    return rows


def run_query(loaded: LoadedConfig, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run `query` on a read-only connection: an analyst query can never change the warehouse."""
    con = open_warehouse(loaded.warehouse_path, read_only=True)
    try:
        cursor = con.execute(query)
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as exc:
        raise WarehouseError(f"{loaded.warehouse_path}: query failed: {exc}") from None
    finally:
        con.close()
