"""Sources and their fetch state; storing a fetch result together with its posts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from earshot.listeners.records import FetchResult, FetchStatus, Post
from earshot.warehouse.connection import transaction
from earshot.warehouse.facts import mark_all_dirty, mark_weeks_of
from earshot.warehouse.loads import add_rows

_TIMESTAMP = pa.timestamp("us", tz="UTC")
# The rows of `_posts` in Arrow: what `insert_post_batches` loads.
POST_SCHEMA = pa.schema(
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
        ("published_at", _TIMESTAMP),
        ("fetched_at", _TIMESTAMP),
        ("likes", pa.int64()),
        ("reposts", pa.int64()),
        ("replies", pa.int64()),
        ("score", pa.int64()),
        ("content_key", pa.string()),
        ("raw", pa.string()),
        ("load_id", pa.string()),
        ("rating", pa.int16()),  # a review's stars (1 to 5); last, as migration 0014 added it
    ]
)
# Columns a loader may leave out: `load_id` is the load's, a missing `rating` is NULL.
_OPTIONAL = ("load_id", "rating")


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
    stored = {
        row[0]: tuple(row[1:])
        for row in con.execute(
            "SELECT source_id, kind, url, owned, active FROM _sources"
        ).fetchall()
    }
    # Only rows that differ are written: on a config with hundreds of sources every collect
    # syncs, and an upsert costs tens of milliseconds each.
    changed = [s for s in sources if stored.get(s.source_id) != (s.kind, s.url, s.owned, True)]
    named = {s.source_id for s in sources}
    retired = [sid for sid, row in stored.items() if sid not in named and row[3]]
    if not changed and not retired:
        return
    # own and audience posts are counted apart in the digest facts
    owner_changed = [
        s.source_id for s in changed if s.source_id in stored and stored[s.source_id][2] != s.owned
    ]
    with transaction(con):
        if owner_changed:
            mark_all_dirty(con, f"owned changed: {', '.join(owner_changed)}")
        for s in changed:
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
        if retired:
            con.execute(
                "UPDATE _sources SET active = false WHERE list_contains(?, source_id)", [retired]
            )


def source_states(con: duckdb.DuckDBPyConnection) -> dict[str, SourceState]:
    rows = con.execute(
        "SELECT source_id, state, failure_count, next_attempt_at FROM _sources WHERE active"
    ).fetchall()
    return {
        sid: SourceState(sid, json.loads(state or "{}"), failures, next_at)
        for sid, state, failures, next_at in rows
    }


_SCAN_ROWS = 122_880  # rows per Arrow batch DuckDB reads in parallel (its row-group size)


def posts_table(posts: Iterable[Post], load_id: str) -> pa.Table:
    """Posts as `_posts` rows in Arrow (`POST_SCHEMA`), built column by column.

    A post id seen twice (the same item twice in one answer) keeps its first post.
    """
    kept: dict[str, Post] = {}
    for p in posts:
        kept.setdefault(p.post_id, p)
    ps = list(kept.values())
    return pa.Table.from_arrays(
        [
            pa.array(list(kept), pa.string()),
            pa.array([p.platform for p in ps], pa.string()),
            pa.array([p.source_id for p in ps], pa.string()),
            pa.array([p.external_id for p in ps], pa.string()),
            pa.array([p.url for p in ps], pa.string()),
            pa.array([p.author for p in ps], pa.string()),
            pa.array([p.author_handle for p in ps], pa.string()),
            pa.array([p.title for p in ps], pa.string()),
            pa.array([p.text for p in ps], pa.string()),
            pa.array([p.lang_hint for p in ps], pa.string()),
            pa.array([p.published_at for p in ps], _TIMESTAMP),
            pa.array([p.fetched_at for p in ps], _TIMESTAMP),
            pa.array([p.likes for p in ps], pa.int64()),
            pa.array([p.reposts for p in ps], pa.int64()),
            pa.array([p.replies for p in ps], pa.int64()),
            pa.array([p.score for p in ps], pa.int64()),
            pa.array([p.content_key for p in ps], pa.string()),
            pa.array([p.raw_json() for p in ps], pa.string()),
            pa.repeat(pa.scalar(load_id, pa.string()), len(ps)),
            pa.array([p.rating for p in ps], pa.int16()),
        ],
        schema=POST_SCHEMA,
    )


def _stored_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    """Which of `ids` are stored already (one scan of `_posts.post_id`)."""
    con.register("_incoming_ids", pa.table({"post_id": pa.array(ids, pa.string())}))
    try:
        rows = con.execute(
            "SELECT post_id FROM _incoming_ids SEMI JOIN _posts USING (post_id)"
        ).fetchall()
    finally:
        con.unregister("_incoming_ids")
    return {row[0] for row in rows}


def insert_posts(con: duckdb.DuckDBPyConnection, posts: Iterable[Post], load_id: str) -> int:
    """Bulk-insert posts not stored yet (by `post_id`); return how many were added.

    Known posts are dropped before their rows are built (content hash, raw JSON), since a
    feed repeats most of its items; the rest goes through `insert_post_batches`.
    """
    posts = list(posts)
    if not posts:
        return 0
    stored = _stored_ids(con, [p.post_id for p in posts])
    if stored:
        posts = [p for p in posts if p.post_id not in stored]
    return insert_post_batches(con, posts_table(posts, load_id), load_id)


def _first_of_each_id(table: pa.Table) -> pa.Table:
    """`table` without the later rows of a repeated `post_id` (no copy when none repeats)."""
    ids = table.column("post_id")
    if pc.count_distinct(ids, mode="all").as_py() == table.num_rows:
        return table
    numbered = table.append_column("_row", pa.array(np.arange(table.num_rows)))
    first = numbered.group_by("post_id", use_threads=False).aggregate([("_row", "min")])
    return table.take(np.sort(first.column("_row_min").to_numpy()))


def insert_post_batches(
    con: duckdb.DuckDBPyConnection,
    posts: pa.Table | Iterable[pa.RecordBatch],
    load_id: str,
) -> int:
    """Bulk-insert `_posts` rows given as Arrow (columns of `POST_SCHEMA`); return rows added.

    The bulk entry point every loader uses (`insert_posts` converts `Post` records to it).
    Rows whose `post_id` is stored already are skipped (anti-join), so loading the same
    rows again adds nothing; a repeated `post_id` within `posts` keeps its first row. Each
    row's `load_id` becomes `load_id`; a table without `rating` loads it as NULL. The posts'
    weeks are marked for the digest facts (`warehouse.facts`) before they are inserted; both
    commit with the caller's transaction (see `store_fetch`) or each on its own.
    """
    table = posts if isinstance(posts, pa.Table) else pa.Table.from_batches(list(posts))
    missing = [name for name in POST_SCHEMA.names if name not in table.column_names]
    if any(name not in _OPTIONAL for name in missing):
        raise ValueError(f"posts for load {load_id}: missing column(s) {missing}")
    if table.num_rows == 0:
        return 0
    if "rating" in missing:
        table = table.append_column("rating", pa.nulls(table.num_rows, pa.int16()))
    columns = [n for n in POST_SCHEMA.names if n != "load_id"]
    table = _first_of_each_id(table.select(columns))
    # zero-copy slices: DuckDB reads an Arrow table with one thread per record batch
    table = pa.Table.from_batches(table.to_batches(max_chunksize=_SCAN_ROWS), table.schema)
    con.register("_incoming_posts", table)
    try:
        # the weeks first: a mark without its posts only costs a recompute
        mark_weeks_of(con, "SELECT published_at, fetched_at FROM _incoming_posts")
        added = con.execute(
            f"""
            INSERT INTO _posts ({", ".join(columns)}, load_id)
            SELECT i.* REPLACE (CAST(i.raw AS JSON) AS raw), ?::VARCHAR
            FROM _incoming_posts i
            ANTI JOIN _posts p USING (post_id)
            """,
            [load_id],
        ).fetchall()
    finally:
        con.unregister("_incoming_posts")
    return int(added[0][0])


@dataclass(frozen=True)
class FetchRecord:
    """A fetch result with the times its source's state is stored with."""

    result: FetchResult
    attempted_at: datetime
    next_attempt_at: datetime


def store_fetch(
    con: duckdb.DuckDBPyConnection,
    result: FetchResult,
    *,
    load_id: str,
    attempted_at: datetime,
    next_attempt_at: datetime,
) -> int:
    """Store one fetch result's posts and the source state that produced them, atomically.

    See `store_fetches`; returns the number of posts added.
    """
    return store_fetches(con, [FetchRecord(result, attempted_at, next_attempt_at)], load_id)


def store_fetches(
    con: duckdb.DuckDBPyConnection, records: Sequence[FetchRecord], load_id: str
) -> int:
    """Store fetch results' posts and the source states that produced them in ONE transaction.

    Either every result's posts and state are stored, or none is: a source's saved state
    (ETag, cursor, body hash) never runs ahead of or behind its posts. A failed fetch keeps
    the previous state and counts the failure; posts already stored are never touched.
    One transaction for many sources costs about what one source did (a commit, one
    anti-join against `_posts`). Returns the number of posts added.
    """
    if not records:
        return 0
    with transaction(con):
        added = insert_posts(con, (p for r in records for p in r.result.posts), load_id)
        for record in records:
            _update_source(con, record, load_id)
    return added


def store_stream_batch(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    posts: Sequence[Post],
    state: dict[str, Any],
    *,
    load_id: str,
    at: datetime,
) -> int:
    """A stream's batch: its posts, the state (cursor) they reach and the load's row count, in
    ONE transaction, so a restart resumes where the stored posts end. Returns posts added."""
    record = FetchRecord(FetchResult(source_id, FetchStatus.OK, tuple(posts), state), at, at)
    with transaction(con):
        added = insert_posts(con, posts, load_id)
        _update_source(con, record, load_id)
        add_rows(con, load_id, added)
    return added


def _update_source(con: duckdb.DuckDBPyConnection, record: FetchRecord, load_id: str) -> None:
    result = record.result
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
                record.attempted_at,
                record.next_attempt_at,
                load_id,
                result.source_id,
            ],
        )
        return
    con.execute(
        """
        UPDATE _sources SET state = ?, last_status = ?, last_error = ?,
            last_http_status = ?, last_attempt_at = ?, last_success_at = ?,
            failure_count = 0, next_attempt_at = ?, load_id = ?
        WHERE source_id = ?
        """,
        [
            json.dumps(result.state, default=str),
            result.status.value,
            result.warning,  # NULL after a whole answer
            result.http_status,
            record.attempted_at,
            record.attempted_at,
            record.next_attempt_at,
            load_id,
            result.source_id,
        ],
    )
