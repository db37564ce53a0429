"""The organisation's topics and content buckets, mirrored into the warehouse for the views."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from earshot.warehouse.connection import transaction
from earshot.warehouse.facts import mark_all_dirty


def sync_taxonomy(
    con: duckdb.DuckDBPyConnection,
    topics: Sequence[tuple[str, str, str | None]],
    buckets: Sequence[tuple[str, str, float]],
    *,
    timezone: str,
) -> None:
    """Replace topics (id, label, bucket) and buckets (id, label, target share); set the zone."""
    # the digest facts depend on the zone (weeks) and on each topic's bucket
    buckets_of = sorted((t[0], t[2]) for t in topics)
    stored = con.execute("SELECT topic_id, bucket_id FROM _topics ORDER BY topic_id").fetchall()
    zone = con.execute("SELECT value FROM _settings WHERE key = 'timezone'").fetchall()
    changed = [r[0] for r in zone] != [timezone] or sorted(stored) != buckets_of
    with transaction(con):
        if changed:
            mark_all_dirty(con, "time zone or topic buckets changed")
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
