"""The loads table: every collect or enrich run is a load, and every row names its load."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb


def start_load(con: duckdb.DuckDBPyConnection, job: str) -> str:
    """Record the start of a writing job and return its `load_id`.

    A writer holds DuckDB's only write lock, so a load still marked 'running' now belongs to
    a process that died (a kill, a crash): it is marked 'aborted', its stored rows stay.
    """
    now = datetime.now(UTC)
    load_id = f"{job}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    con.execute(
        "UPDATE _loads SET status = 'aborted', finished_at = ? WHERE status = 'running'", [now]
    )
    con.execute(
        "INSERT INTO _loads (load_id, job, started_at, status) VALUES (?, ?, ?, 'running')",
        [load_id, job, now],
    )
    return load_id


def finish_load(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    *,
    status: str,
    rows_added: int,
    details: dict[str, Any] | None = None,
) -> None:
    con.execute(
        "UPDATE _loads SET finished_at = ?, status = ?, rows_added = ?, details = ? "
        "WHERE load_id = ?",
        [datetime.now(UTC), status, rows_added, json.dumps(details or {}), load_id],
    )
