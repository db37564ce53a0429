"""The organisation's topics and content buckets, mirrored into the warehouse for the views."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb


def sync_taxonomy(
    con: duckdb.DuckDBPyConnection,
    topics: Sequence[tuple[str, str, str | None]],
    buckets: Sequence[tuple[str, str, float]],
    *,
    timezone: str,
) -> None:
    """Replace topics (id, label, bucket) and buckets (id, label, target share); set the zone."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM _topics")
        con.execute("DELETE FROM _buckets")
        if topics:
            con.executemany("INSERT INTO _topics VALUES (?, ?, ?)", [list(t) for t in topics])
        if buckets:
            con.executemany("INSERT INTO _buckets VALUES (?, ?, ?)", [list(b) for b in buckets])
        con.execute(
            "INSERT INTO _settings VALUES ('timezone', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [timezone],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
