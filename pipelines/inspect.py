"""Read-only views for the CLI: source health and ad-hoc analyst queries (on the analytics
copy)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from earshot.pipelines.config import LoadedConfig
from earshot.warehouse import WarehouseError, open_warehouse
from earshot.warehouse.publish import open_analytics_copy


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


def quota_of(row: dict[str, Any]) -> str:
    """The API quota of a source's health row, as `earshot sources` shows it after the status:
    ' (quota used 7, left 993)' for a run's own budget (YouTube comments), ' (quota left: 290)'
    for a platform's daily quota (Stack Exchange), '' for a source without one."""
    left, used = row.get("quota_remaining"), row.get("quota_used")
    if left is None:
        return ""
    return f" (quota used {used}, left {left})" if used is not None else f" (quota left: {left})"


def history_reach(row: dict[str, Any], zone: str) -> str:
    """How far back a source's stored history reaches: its oldest post's day, and what a
    backfill did ('backfilled to 2026-09-01', or where an unfinished one stopped)."""

    def day(value: datetime | None) -> str:
        return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d") if value else ""

    parts = [day(row.get("oldest_post_at"))]
    if row.get("backfilled_to"):
        parts.append(f"(backfilled to {day(row['backfilled_to'])})")
    if row.get("backfill_pending_since"):
        stopped = day(row.get("backfill_stopped_at")) or "the start"
        parts.append(f"(backfill to {day(row['backfill_pending_since'])} stopped at {stopped})")
    return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class QueryPage:
    """The first rows of a query's answer, and how many rows it has in all."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    total: int


def run_query(loaded: LoadedConfig, query: str, limit: int | None = None) -> QueryPage:
    """Run `query` on the read-only analytics copy: an analyst query can never change the
    warehouse, and never blocks (nor waits for) a scheduled job.

    Only the first `limit` rows (all with None) are fetched into Python; the total is
    counted by DuckDB.
    """
    con = open_analytics_copy(loaded.analytics_path)
    try:
        relation = con.sql(query)
        if relation is None:  # a statement without an answer (SET, ...)
            return QueryPage([], [], 0)
        columns = list(relation.columns)
        if limit is None:
            rows = relation.fetchall()
            return QueryPage(columns, rows, len(rows))
        total = relation.aggregate("count(*)").fetchall()[0][0]
        return QueryPage(columns, relation.limit(limit).fetchall(), int(total))
    except duckdb.Error as exc:
        raise WarehouseError(f"{loaded.analytics_path}: query failed: {exc}") from None
    finally:
        con.close()


def query_rows(
    loaded: LoadedConfig, query: str, chunk_size: int = 10_000
) -> Iterator[tuple[Any, ...]]:
    """The column names, then every row of `query`, fetched `chunk_size` rows at a time (so
    a CSV of the whole warehouse never sits in memory). The query runs on the first `next`."""
    con = open_analytics_copy(loaded.analytics_path)
    try:
        try:
            cursor = con.execute(query)
        except duckdb.Error as exc:
            raise WarehouseError(f"{loaded.analytics_path}: query failed: {exc}") from None
        if cursor.description is None:
            return
        yield tuple(d[0] for d in cursor.description)
        while chunk := cursor.fetchmany(chunk_size):
            yield from chunk
    finally:
        con.close()
