"""Backfills of a source's history: their progress, stored with each page's posts.

A backfill is one row of `_backfills` (source, date range, progress). Every page a listener
walks back commits its posts and the backfill's new progress in one transaction, so a run
killed between pages goes on from the last stored page, and a page stored twice adds nothing
(posts are deduplicated by `post_id`). The source's own incremental state (`_sources.state`)
is never read or written here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from earshot.listeners.records import Post
from earshot.warehouse.connection import transaction
from earshot.warehouse.loads import add_rows, finish_load, start_load
from earshot.warehouse.sources import insert_posts

JOB = "backfill"


@dataclass(frozen=True, slots=True)
class Backfill:
    """One backfill as a run sees it: where it stands and the load this run writes under."""

    backfill_id: str
    source_id: str
    since: datetime
    until: datetime
    progress: dict[str, Any]
    load_id: str
    resumed: bool  # an earlier run of it stopped half-way; this run goes on from there


def open_backfill(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    since: datetime,
    until: datetime | None,
    *,
    now: datetime | None = None,
) -> Backfill:
    """Resume the source's unfinished backfill of the same range, or start a new one.

    `until` None takes the unfinished backfill's own end (or `now` for a new one). An
    unfinished backfill of another range is marked 'superseded' (its posts stay). Each run is
    a load of its own (`warehouse.loads`), which the backfill's row names.
    """
    now = now or datetime.now(UTC)
    with transaction(con):
        open_rows = con.execute(
            "SELECT backfill_id, since, until, progress FROM _backfills "
            "WHERE source_id = ? AND status = 'running' ORDER BY started_at DESC",
            [source_id],
        ).fetchall()
        load_id = start_load(con, JOB)
        same = [r for r in open_rows if r[1] == since and (until is None or r[2] == until)]
        stale = [r[0] for r in open_rows if not same or r[0] != same[0][0]]
        if stale:
            con.execute(
                "UPDATE _backfills SET status = 'superseded', finished_at = ? "
                "WHERE list_contains(?, backfill_id)",
                [now, stale],
            )
        if same:
            backfill_id, since, until, progress = same[0]
            con.execute(
                "UPDATE _backfills SET load_id = ? WHERE backfill_id = ?", [load_id, backfill_id]
            )
            details = {"backfill_id": backfill_id, "source_id": source_id, "resumed": True}
            _describe_load(con, load_id, details)
            saved = json.loads(progress or "{}")
            return Backfill(backfill_id, source_id, since, until, saved, load_id, True)
        backfill_id = f"{source_id}-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        end = until or now
        con.execute(
            "INSERT INTO _backfills (backfill_id, source_id, since, until, load_id, started_at, "
            "status) VALUES (?, ?, ?, ?, ?, ?, 'running')",
            [backfill_id, source_id, since, end, load_id, now],
        )
        _describe_load(con, load_id, {"backfill_id": backfill_id, "source_id": source_id})
        return Backfill(backfill_id, source_id, since, end, {}, load_id, False)


def _describe_load(con: duckdb.DuckDBPyConnection, load_id: str, details: dict[str, Any]) -> None:
    con.execute("UPDATE _loads SET details = ? WHERE load_id = ?", [json.dumps(details), load_id])


def store_backfill_page(
    con: duckdb.DuckDBPyConnection,
    backfill: Backfill,
    posts: Iterable[Post],
    progress: dict[str, Any],
    *,
    reached: datetime | None,
    exhausted: bool = False,
) -> int:
    """A page's posts and the backfill's progress after it, in one transaction; posts added.

    The posts' weeks are marked for the digest facts with them (`insert_posts`).
    """
    with transaction(con):
        added = insert_posts(con, posts, backfill.load_id)
        add_rows(con, backfill.load_id, added)
        con.execute(
            """
            UPDATE _backfills SET progress = ?, pages = pages + 1,
                posts_added = posts_added + ?,
                reached = CASE WHEN ?::TIMESTAMPTZ IS NULL THEN reached
                               ELSE least(coalesce(reached, ?::TIMESTAMPTZ), ?::TIMESTAMPTZ) END,
                exhausted = exhausted OR ?
            WHERE backfill_id = ?
            """,
            [json.dumps(progress, default=str), added, reached, reached, reached, exhausted,
             backfill.backfill_id],
        )  # fmt: skip
    return added


def finish_backfill(
    con: duckdb.DuckDBPyConnection, backfill: Backfill, *, done: bool, rows_added: int
) -> None:
    """End this run's load; a backfill that reached its start date is 'done'."""
    now = datetime.now(UTC)
    with transaction(con):
        if done:
            con.execute(
                "UPDATE _backfills SET status = 'done', finished_at = ? WHERE backfill_id = ?",
                [now, backfill.backfill_id],
            )
        finish_load(
            con,
            backfill.load_id,
            status="done" if done else "failed",
            rows_added=rows_added,
            details={"backfill_id": backfill.backfill_id, "source_id": backfill.source_id},
        )
