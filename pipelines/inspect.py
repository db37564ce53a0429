"""Read-only views for the CLI: source health and ad-hoc analyst queries (on the analytics
copy)."""

from __future__ import annotations

from typing import Any

import duckdb

from pipelines.config import LoadedConfig
from warehouse import WarehouseError, open_warehouse
from warehouse.publish import open_analytics_copy


def source_rows(loaded: LoadedConfig) -> list[dict[str, Any]]:
    """The configured sources with their health; sources never fetched are listed too."""
    known: dict[str, dict[str, Any]] = {}
    # The analytics copy (as of the last write cycle) when there is one: reading it never
    # holds up a scheduled job; before the first publish, the warehouse itself, read-only.
    path = loaded.analytics_path
    if not path.exists():
        path = loaded.warehouse_path
    if path.exists():
        con = open_warehouse(path, read_only=True)
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
    """Run `query` on the read-only analytics copy: an analyst query can never change the
    warehouse, and never blocks (nor waits for) a scheduled job."""
    con = open_analytics_copy(loaded.analytics_path)
    try:
        cursor = con.execute(query)
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as exc:
        raise WarehouseError(f"{loaded.analytics_path}: query failed: {exc}") from None
    finally:
        con.close()
