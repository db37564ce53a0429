"""Sources and their fetch state; storing a fetch result together with its posts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from listeners.records import FetchResult, FetchStatus, Post

_POST_SCHEMA = pa.schema(
    [
        ("post_id", pa.string()),
        ("platform", pa.string()),
        ("source_id", pa.string()),
        ("external_id", pa.string()),
        ("url", pa.string()),
        ("author", pa.string()),
        ("author_handle", pa.string()),
        ("title", pa.string()),
        ("text", pa.string()),
        ("lang_hint", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
        ("likes", pa.int64()),
        ("reposts", pa.int64()),
        ("replies", pa.int64()),
        ("score", pa.int64()),
        ("content_key", pa.string()),
        ("raw", pa.string()),
        ("load_id", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A configured source as the warehouse knows it."""

    source_id: str
    kind: str
    url: str
    owned: bool


@dataclass(frozen=True, slots=True)
class SourceState:
    source_id: str
    state: dict[str, Any]
    failure_count: int
    next_attempt_at: datetime | None


def sync_sources(con: duckdb.DuckDBPyConnection, sources: Sequence[SourceRow]) -> None:
    """Make the sources table match the config: upsert those named, deactivate the rest.

    State and history of a source survive config edits; a removed source keeps its posts.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        for s in sources:
            con.execute(
                """
                INSERT INTO _sources (source_id, kind, url, owned, active)
                VALUES (?, ?, ?, ?, true)
                ON CONFLICT (source_id) DO UPDATE SET
                    kind = excluded.kind, url = excluded.url,
                    owned = excluded.owned, active = true
                """,
                [s.source_id, s.kind, s.url, s.owned],
            )
        ids = [s.source_id for s in sources]
        con.execute(
            "UPDATE _sources SET active = false WHERE NOT list_contains(?, source_id)", [ids]
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def source_states(con: duckdb.DuckDBPyConnection) -> dict[str, SourceState]:
    rows = con.execute(
        "SELECT source_id, state, failure_count, next_attempt_at FROM _sources WHERE active"
    ).fetchall()
    return {
        sid: SourceState(sid, json.loads(state or "{}"), failures, next_at)
        for sid, state, failures, next_at in rows
    }


def _posts_table(posts: Iterable[Post], load_id: str) -> pa.Table:
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    for p in posts:
        pid = p.post_id
        if pid in seen:  # the same item twice in one answer
            continue
        seen.add(pid)
        rows.append(
            {
                "post_id": pid,
                "platform": p.platform,
                "source_id": p.source_id,
                "external_id": p.external_id,
                "url": p.url,
                "author": p.author,
                "author_handle": p.author_handle,
                "title": p.title,
                "text": p.text,
                "lang_hint": p.lang_hint,
                "published_at": p.published_at,
                "fetched_at": p.fetched_at,
                "likes": p.likes,
                "reposts": p.reposts,
                "replies": p.replies,
                "score": p.score,
                "content_key": p.content_key,
                "raw": p.raw_json(),
                "load_id": load_id,
            }
        )
    return pa.Table.from_pylist(rows, schema=_POST_SCHEMA)


def _unseen(con: duckdb.DuckDBPyConnection, posts: Iterable[Post]) -> list[Post]:
    """The posts whose `post_id` is not stored yet; a cheap check before building rows."""
    posts = list(posts)
    ids = pa.table({"post_id": pa.array([p.post_id for p in posts], pa.string())})
    con.register("_incoming_ids", ids)
    try:
        stored = {
            row[0]
            for row in con.execute(
                "SELECT post_id FROM _incoming_ids SEMI JOIN _posts USING (post_id)"
            ).fetchall()
        }
    finally:
        con.unregister("_incoming_ids")
    return [p for p in posts if p.post_id not in stored]


def insert_posts(con: duckdb.DuckDBPyConnection, posts: Iterable[Post], load_id: str) -> int:
    """Bulk-insert posts not stored yet (by `post_id`); return how many were added."""
    incoming = _posts_table(_unseen(con, posts), load_id)
    if incoming.num_rows == 0:
        return 0
    con.register("_incoming_posts", incoming)
    try:
        added = con.execute(
            """
            INSERT INTO _posts
            SELECT i.* REPLACE (CAST(i.raw AS JSON) AS raw)
            FROM _incoming_posts i
            ANTI JOIN _posts p USING (post_id)
            """
        ).fetchall()
    finally:
        con.unregister("_incoming_posts")
    return int(added[0][0])


def store_fetch(
    con: duckdb.DuckDBPyConnection,
    result: FetchResult,
    *,
    load_id: str,
    attempted_at: datetime,
    next_attempt_at: datetime,
) -> int:
    """Store a fetch result's posts and the source state that produced them, atomically.

    A failed fetch keeps the previous state and counts the failure; posts already stored
    are never touched. Returns the number of posts added.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        added = insert_posts(con, result.posts, load_id)
        if result.status is FetchStatus.FAILED:
            con.execute(
                """
                UPDATE _sources SET last_status = 'failed', last_error = ?,
                    last_http_status = ?, last_attempt_at = ?,
                    failure_count = failure_count + 1, next_attempt_at = ?, load_id = ?
                WHERE source_id = ?
                """,
                [
                    result.error,
                    result.http_status,
                    attempted_at,
                    next_attempt_at,
                    load_id,
                    result.source_id,
                ],
            )
        else:
            con.execute(
                """
                UPDATE _sources SET state = ?, last_status = ?, last_error = NULL,
                    last_http_status = ?, last_attempt_at = ?, last_success_at = ?,
                    failure_count = 0, next_attempt_at = ?, load_id = ?
                WHERE source_id = ?
                """,
                [
                    json.dumps(result.state, default=str),
                    result.status.value,
                    result.http_status,
                    attempted_at,
                    attempted_at,
                    next_attempt_at,
                    load_id,
                    result.source_id,
                ],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return added
