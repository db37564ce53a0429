"""The alert log (`_alerts`): which spike was announced when, so the cooldown can hold."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import duckdb


def recently_alerted(
    con: duckdb.DuckDBPyConnection, now: datetime, cooldown: timedelta
) -> set[tuple[str, str]]:
    """(topic_id, kind) pairs announced within `cooldown` before `now`."""
    rows = con.execute(
        "SELECT DISTINCT topic_id, kind FROM _alerts WHERE fired_at > ?::TIMESTAMPTZ - ?",
        [now, cooldown],
    ).fetchall()
    return {(r[0], r[1]) for r in rows}


def record_alert(
    con: duckdb.DuckDBPyConnection,
    *,
    topic_id: str,
    kind: str,
    fired_at: datetime,
    posts: int,
    baseline: float,
    z: float,
    channels: Sequence[str],
    details: dict[str, Any] | None = None,
) -> str:
    alert_id = uuid.uuid4().hex
    con.execute(
        "INSERT INTO _alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            alert_id,
            topic_id,
            kind,
            fired_at,
            posts,
            baseline,
            z,
            list(channels),
            json.dumps(details or {}),
        ],
    )
    return alert_id
