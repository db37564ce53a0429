"""Retention: the raw JSON of old posts is pruned; every column derived from it stays."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb


def prune_raw(con: duckdb.DuckDBPyConnection, *, now: datetime, keep_days: int) -> int:
    """Set `_posts.raw` to NULL where the post was fetched more than `keep_days` ago.

    Returns the number of posts pruned. Only rows still holding raw JSON are touched, so a
    run after the first costs only the posts that aged past the limit since.
    """
    if keep_days < 1:
        raise ValueError(f"raw_retention_days must be at least 1 (got {keep_days})")
    cutoff = now - timedelta(days=keep_days)
    row = con.execute(
        "UPDATE _posts SET raw = NULL WHERE raw IS NOT NULL AND fetched_at < ?", [cutoff]
    ).fetchone()
    return int(row[0]) if row else 0
