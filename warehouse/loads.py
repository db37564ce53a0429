"""The loads table: every collect or enrich run is a load, and every row names its load."""

from __future__ import annotations

import json
import os
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb


def start_load(con: duckdb.DuckDBPyConnection, job: str) -> str:
    """Record the start of a writing job and return its `load_id`.

    Jobs take turns on the write lock batch by batch, so another job's load may be running
    now. A load still marked 'running' whose process ('host:pid' in `owner`) is gone died (a
    kill, a crash): it is marked 'aborted', its stored rows stay.
    """
    now = datetime.now(UTC)
    load_id = f"{job}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    running = con.execute("SELECT load_id, owner FROM _loads WHERE status = 'running'").fetchall()
    dead = [lid for lid, owner in running if not _alive(owner)]
    if dead:
        con.execute(
            "UPDATE _loads SET status = 'aborted', finished_at = ? WHERE list_contains(?, load_id)",
            [now, dead],
        )
    con.execute(
        "INSERT INTO _loads (load_id, job, started_at, status, owner) "
        "VALUES (?, ?, ?, 'running', ?)",
        [load_id, job, now, _owner()],
    )
    return load_id


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str | None) -> bool:
    """Is the process that started a load still running? Unknown owners count as gone."""
    if owner is None or owner == _owner():
        # This process starts one load at a time per job; one of its own left 'running'
        # was interrupted (an exception before finish_load).
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine's writer: we cannot tell, so leave it be
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


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


def add_rows(con: duckdb.DuckDBPyConnection, load_id: str, rows: int) -> None:
    """Count `rows` more rows to a running load, in the caller's transaction (so a batch and
    the load's progress commit together)."""
    con.execute("UPDATE _loads SET rows_added = rows_added + ? WHERE load_id = ?", [rows, load_id])
