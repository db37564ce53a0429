"""Enrichment in the warehouse: which posts need tagging, and storing annotations in bulk.

Two versions per post: `_annotations.pipeline_version` (language, sentiment, questions, key
terms) and `_topic_runs.topics_version` (topic tags), so a taxonomy change re-tags topics only.
`next_stale` walks the posts in storage order (`rowid` windows, so each read touches one
window, never the whole table) and `store_enriched` commits one batch, its topic tags and
the load's progress in one transaction: a run killed half-way loses at most the batch in
flight, and the next run's stale selection skips everything already stored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

import duckdb
import pyarrow as pa

from earshot.nlp.records import Annotation, PendingPost, TopicMatch
from earshot.warehouse.connection import transaction
from earshot.warehouse.entities import write_entities
from earshot.warehouse.facts import mark_posts_dirty
from earshot.warehouse.loads import add_rows
from earshot.warehouse.topic_parts import store_topic_parts

ANNOTATION_SCHEMA = pa.schema(
    [
        ("post_id", pa.string()),
        ("pipeline_version", pa.string()),
        ("lang", pa.string()),
        ("lang_score", pa.float64()),
        ("sentiment", pa.float64()),
        ("sentiment_label", pa.string()),
        ("is_question", pa.bool_()),
        ("key_terms", pa.list_(pa.string())),
        ("annotated_at", pa.timestamp("us", tz="UTC")),
        ("load_id", pa.string()),
    ]
)
TOPIC_SCHEMA = pa.schema(
    [
        ("post_id", pa.string()),
        ("topic_id", pa.string()),
        ("bucket_id", pa.string()),
        ("matched_terms", pa.list_(pa.string())),
        ("pipeline_version", pa.string()),
        ("load_id", pa.string()),
    ]
)
REJECTED_SCHEMA = pa.schema(
    [
        ("post_id", pa.string()),
        ("topic_id", pa.string()),
        ("bucket_id", pa.string()),
        ("matched_terms", pa.list_(pa.string())),
        ("relevance", pa.float64()),
        ("pipeline_version", pa.string()),
        ("load_id", pa.string()),
    ]
)

_RUN_SCHEMA = pa.schema(
    [
        ("post_id", pa.string()),
        ("topics_version", pa.string()),
        ("tagged_at", pa.timestamp("us", tz="UTC")),
        ("load_id", pa.string()),
    ]
)

_TEXT = """CASE WHEN p.title IS NULL OR p.title = '' THEN p.text
                    WHEN p.text = '' THEN p.title
                    ELSE p.title || E'\n' || p.text END"""


class TaggedPost(Protocol):
    """Anything with a post id and its topic matches (an `Annotation`, `nlp.TopicTags`)."""

    @property
    def post_id(self) -> str: ...

    @property
    def topics(self) -> tuple[TopicMatch, ...]: ...

    @property
    def rejected_topics(self) -> tuple[TopicMatch, ...]: ...

    @property
    def topic_parts(self) -> tuple[str, ...] | None: ...


def count_stale(
    con: duckdb.DuckDBPyConnection, pipeline_version: str, topics_version: str | None = None
) -> int:
    """Posts without an annotation from `pipeline_version` (or tags from `topics_version`)."""
    row = con.execute(
        """
        SELECT count(*) FROM _posts p
        LEFT JOIN _annotations a ON a.post_id = p.post_id
        LEFT JOIN _topic_runs t ON t.post_id = p.post_id
        WHERE a.pipeline_version IS DISTINCT FROM $analysis
           OR ($topics IS NOT NULL AND t.topics_version IS DISTINCT FROM $topics)
        """,
        {"analysis": pipeline_version, "topics": topics_version},
    ).fetchall()
    return int(row[0][0])


@dataclass(frozen=True, slots=True)
class StaleCursor:
    """A pass over the posts for one pair of versions: how far it got, where it ends.

    The end is the last post stored when the pass began; posts collected during the pass
    wait for the next run. Plain data, so it can cross a task boundary.
    """

    pipeline_version: str
    topics_version: str
    after: int = -1  # rowid of the last post looked at
    end: int | None = None
    window: int = 20_000  # rowids per read: one read scans at most this many posts


def next_stale(
    con: duckdb.DuckDBPyConnection, cursor: StaleCursor, limit: int
) -> tuple[list[PendingPost], StaleCursor]:
    """Up to `limit` stale posts after `cursor`, and the cursor past them; [] when done.

    A post's `lang` is its stored language when only its topic tags are stale (None: enrich
    it all). Posts are read in storage order one window at a time, so a read never scans the
    whole table and memory does not grow with it.
    """
    if cursor.end is None:
        last = con.execute("SELECT max(rowid) FROM _posts").fetchall()[0][0]
        cursor = replace(cursor, end=-1 if last is None else int(last))
    assert cursor.end is not None
    after = cursor.after
    while after < cursor.end:
        upper = min(after + cursor.window, cursor.end)
        rows = con.execute(
            f"""
            SELECT p.rowid, p.post_id, {_TEXT}, p.lang_hint,
                   CASE WHEN a.pipeline_version = $analysis THEN a.lang END,
                   t.topics_version IS DISTINCT FROM $topics
            FROM _posts p
            LEFT JOIN _annotations a ON a.post_id = p.post_id
            LEFT JOIN _topic_runs t ON t.post_id = p.post_id
            WHERE p.rowid > $after AND p.rowid <= $upper
              AND (a.pipeline_version IS DISTINCT FROM $analysis
                   OR t.topics_version IS DISTINCT FROM $topics)
            ORDER BY p.rowid
            LIMIT {int(limit)}
            """,
            {
                "analysis": cursor.pipeline_version,
                "topics": cursor.topics_version,
                "after": after,
                "upper": upper,
            },
        ).fetchall()
        after = int(rows[-1][0]) if len(rows) >= limit else upper
        if rows:
            stale = [
                PendingPost(pid, text or "", hint, lang, bool(t))
                for _, pid, text, hint, lang, t in rows
            ]
            return stale, replace(cursor, after=after)
    return [], replace(cursor, after=after)


def _unchanged(con: duckdb.DuckDBPyConnection, annotations: Sequence[Annotation]) -> set[str]:
    """The posts whose stored annotation says exactly what the incoming one says."""
    if not annotations:
        return set()
    incoming = {
        a.post_id: (
            a.lang,
            a.lang_score,
            a.sentiment,
            a.sentiment_label,
            a.is_question,
            list(a.key_terms),
        )
        for a in annotations
    }
    stored = con.execute(
        "SELECT post_id, lang, lang_score, sentiment, sentiment_label, is_question, "
        "coalesce(key_terms, []) FROM _annotations "
        "WHERE post_id IN (SELECT unnest(?::VARCHAR[]))",
        [list(incoming)],
    ).fetchall()
    return {row[0] for row in stored if tuple(row[1:]) == incoming[row[0]]}


def _tags_unchanged(con: duckdb.DuckDBPyConnection, topic_tags: Sequence[TaggedPost]) -> set[str]:
    """The posts whose stored tags (kept and set aside) are the incoming ones: a new
    taxonomy or relevance model that leaves a post's tags as they were changes no figure."""
    if not topic_tags:
        return set()
    stored: dict[str, set[tuple[object, ...]]] = {t.post_id: set() for t in topic_tags}
    for table, kind in (("_post_topics", "kept"), ("_post_topics_rejected", "rejected")):
        for post_id, topic_id, bucket_id, terms in con.execute(
            f"SELECT post_id, topic_id, bucket_id, matched_terms FROM {table} "
            "WHERE post_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(stored)],
        ).fetchall():
            stored[post_id].add((kind, topic_id, bucket_id, tuple(terms)))
    ran = {
        pid
        for (pid,) in con.execute(
            "SELECT post_id FROM _topic_runs WHERE post_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(stored)],
        ).fetchall()
    }
    unchanged: set[str] = set()
    for t in topic_tags:
        incoming = {("kept", m.topic_id, m.bucket_id, m.matched_terms) for m in t.topics}
        incoming |= {
            ("rejected", m.topic_id, m.bucket_id, m.matched_terms) for m in t.rejected_topics
        }
        if t.post_id in ran and incoming == stored[t.post_id]:
            unchanged.add(t.post_id)
    return unchanged


def next_stale_batch(
    con: duckdb.DuckDBPyConnection, pipeline_version: str, limit: int
) -> list[tuple[str, str, str | None]]:
    """Up to `limit` posts lacking a current annotation, as (post_id, text, lang_hint).

    Title and text are joined so a headline counts as much as the body.
    """
    rows = con.execute(
        f"""
        SELECT p.post_id, {_TEXT}, p.lang_hint
        FROM _posts p
        LEFT JOIN _annotations a USING (post_id)
        WHERE a.post_id IS NULL OR a.pipeline_version <> ?
        ORDER BY p.post_id
        LIMIT ?
        """,
        [pipeline_version, limit],
    ).fetchall()
    return [(pid, text or "", hint) for pid, text, hint in rows]


def store_annotations(
    con: duckdb.DuckDBPyConnection,
    annotations: Sequence[Annotation],
    *,
    pipeline_version: str,
    load_id: str,
    topics_version: str | None = None,
) -> int:
    """Replace the annotations and topic tags of these posts in one transaction.

    The tags are recorded under `topics_version` (default: `pipeline_version`).
    """
    return store_enriched(
        con,
        annotations,
        annotations,
        pipeline_version=pipeline_version,
        topics_version=topics_version or pipeline_version,
        load_id=load_id,
    )


def store_enriched(
    con: duckdb.DuckDBPyConnection,
    annotations: Sequence[Annotation],
    topic_tags: Sequence[TaggedPost],
    *,
    pipeline_version: str,
    topics_version: str,
    load_id: str,
) -> int:
    """Store one batch in one transaction; return the number of posts it touched.

    `annotations` replace those posts' annotation rows (and named entities); `topic_tags`
    replace those posts' topic tags (a post may have none) and record `topics_version` for
    them. Posts in only one of the two keep the other part as it was. The load's
    `rows_added` grows by the batch in the same transaction, so it always says how far a
    killed run got.
    """
    touched = len({a.post_id for a in annotations} | {t.post_id for t in topic_tags})
    if not touched:
        return 0
    now = datetime.now(UTC)
    ann = pa.Table.from_pylist(
        [
            {
                "post_id": a.post_id,
                "pipeline_version": pipeline_version,
                "lang": a.lang,
                "lang_score": a.lang_score,
                "sentiment": a.sentiment,
                "sentiment_label": a.sentiment_label,
                "is_question": a.is_question,
                "key_terms": list(a.key_terms),
                "annotated_at": now,
                "load_id": load_id,
            }
            for a in annotations
        ],
        schema=ANNOTATION_SCHEMA,
    )
    tags = pa.Table.from_pylist(
        [
            {
                "post_id": t.post_id,
                "topic_id": m.topic_id,
                "bucket_id": m.bucket_id,
                "matched_terms": list(m.matched_terms),
                "pipeline_version": topics_version,
                "load_id": load_id,
            }
            for t in topic_tags
            for m in t.topics
        ],
        schema=TOPIC_SCHEMA,
    )
    rejected = pa.Table.from_pylist(
        [
            {
                "post_id": t.post_id,
                "topic_id": m.topic_id,
                "bucket_id": m.bucket_id,
                "matched_terms": list(m.matched_terms),
                "relevance": m.relevance if m.relevance is not None else 0.0,
                "pipeline_version": topics_version,
                "load_id": load_id,
            }
            for t in topic_tags
            for m in t.rejected_topics
        ],
        schema=REJECTED_SCHEMA,
    )
    runs = pa.Table.from_pylist(
        [
            {
                "post_id": t.post_id,
                "topics_version": topics_version,
                "tagged_at": now,
                "load_id": load_id,
            }
            for t in topic_tags
        ],
        schema=_RUN_SCHEMA,
    )
    ann_columns = ", ".join(ANNOTATION_SCHEMA.names)
    tag_columns = ", ".join(TOPIC_SCHEMA.names)
    run_columns = ", ".join(_RUN_SCHEMA.names)
    rejected_columns = ", ".join(REJECTED_SCHEMA.names)
    con.register("_incoming_tags", tags)
    con.register("_incoming_rejected", rejected)
    con.register("_incoming_runs", runs)
    try:
        with transaction(con):
            # An annotation the new version left as it was keeps its row and `annotated_at`:
            # only its version (and load) move on, and its week's facts are not recomputed. So a new
            # model (or lexicon) rewrites exactly the posts whose figures it changes.
            unchanged = _unchanged(con, annotations)
            changed = ann.filter(
                pa.array([a.post_id not in unchanged for a in annotations], pa.bool_())
            )
            con.register("_incoming_annotations", changed)
            con.register(
                "_unchanged_annotations",
                pa.table({"post_id": pa.array(sorted(unchanged), pa.string())}),
            )
            # likewise tags: only posts whose tags (kept or set aside) change are marked
            same_tags = _tags_unchanged(con, topic_tags)
            con.register(
                "_retagged",
                pa.table(
                    {
                        "post_id": pa.array(
                            sorted({t.post_id for t in topic_tags} - same_tags), pa.string()
                        )
                    }
                ),
            )
            mark_posts_dirty(
                con,
                "SELECT post_id FROM _incoming_annotations UNION ALL SELECT post_id FROM _retagged",
            )
            if unchanged:
                con.execute(
                    "UPDATE _annotations SET pipeline_version = $version, load_id = $load "
                    "WHERE post_id IN (SELECT post_id FROM _unchanged_annotations)",
                    {"version": pipeline_version, "load": load_id},
                )
            if changed.num_rows:
                con.execute(
                    "DELETE FROM _annotations "
                    "WHERE post_id IN (SELECT post_id FROM _incoming_annotations)"
                )
                con.execute(
                    f"INSERT INTO _annotations ({ann_columns}) "
                    f"SELECT {ann_columns} FROM _incoming_annotations"
                )
            if ann.num_rows:
                write_entities(con, annotations, pipeline_version=pipeline_version, load_id=load_id)
            if runs.num_rows:
                con.execute(
                    "DELETE FROM _post_topics WHERE post_id IN (SELECT post_id FROM _incoming_runs)"
                )
                con.execute(
                    f"INSERT INTO _post_topics ({tag_columns}) "
                    f"SELECT {tag_columns} FROM _incoming_tags"
                )
                con.execute(
                    "DELETE FROM _post_topics_rejected "
                    "WHERE post_id IN (SELECT post_id FROM _incoming_runs)"
                )
                con.execute(
                    f"INSERT INTO _post_topics_rejected ({rejected_columns}) "
                    f"SELECT {rejected_columns} FROM _incoming_rejected"
                )
                con.execute(
                    "DELETE FROM _topic_runs WHERE post_id IN (SELECT post_id FROM _incoming_runs)"
                )
                con.execute(
                    f"INSERT INTO _topic_runs ({run_columns}) "
                    f"SELECT {run_columns} FROM _incoming_runs"
                )
                store_topic_parts(con, topic_tags, topics_version=topics_version)
            add_rows(con, load_id, touched)
    finally:
        for name in ("_incoming_annotations", "_unchanged_annotations", "_retagged"):
            with contextlib.suppress(duckdb.Error):
                con.unregister(name)
        con.unregister("_incoming_tags")
        con.unregister("_incoming_rejected")
        con.unregister("_incoming_runs")
    return touched
