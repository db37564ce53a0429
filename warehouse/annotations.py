"""Enrichment in the warehouse: which posts need tagging, and storing annotations in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from nlp.records import Annotation

_ANNOTATION_SCHEMA = pa.schema(
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
_TOPIC_SCHEMA = pa.schema(
    [
        ("post_id", pa.string()),
        ("topic_id", pa.string()),
        ("bucket_id", pa.string()),
        ("matched_terms", pa.list_(pa.string())),
        ("pipeline_version", pa.string()),
        ("load_id", pa.string()),
    ]
)


def count_stale(con: duckdb.DuckDBPyConnection, pipeline_version: str) -> int:
    """Posts without an annotation from `pipeline_version`."""
    row = con.execute(
        """
        SELECT count(*) FROM _posts p
        LEFT JOIN _annotations a USING (post_id)
        WHERE a.post_id IS NULL OR a.pipeline_version <> ?
        """,
        [pipeline_version],
    ).fetchall()
    return int(row[0][0])


def next_stale_batch(
    con: duckdb.DuckDBPyConnection, pipeline_version: str, limit: int
) -> list[tuple[str, str, str | None]]:
    """Up to `limit` posts lacking a current annotation, as (post_id, text, lang_hint).

    Title and text are joined so a headline counts as much as the body.
    """
    rows = con.execute(
        """
        SELECT p.post_id,
               CASE WHEN p.title IS NULL OR p.title = '' THEN p.text
                    WHEN p.text = '' THEN p.title
                    ELSE p.title || E'\n' || p.text END,
               p.lang_hint
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
) -> int:
    """Replace the annotations and topic tags of these posts in one transaction."""
    if not annotations:
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
        schema=_ANNOTATION_SCHEMA,
    )
    tags = pa.Table.from_pylist(
        [
            {
                "post_id": a.post_id,
                "topic_id": m.topic_id,
                "bucket_id": m.bucket_id,
                "matched_terms": list(m.matched_terms),
                "pipeline_version": pipeline_version,
                "load_id": load_id,
            }
            for a in annotations
            for m in a.topics
        ],
        schema=_TOPIC_SCHEMA,
    )
    con.register("_incoming_annotations", ann)
    con.register("_incoming_tags", tags)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM _post_topics WHERE post_id IN (SELECT post_id FROM _incoming_annotations)"
        )
        con.execute(
            "DELETE FROM _annotations WHERE post_id IN (SELECT post_id FROM _incoming_annotations)"
        )
        con.execute("INSERT INTO _annotations SELECT * FROM _incoming_annotations")
        con.execute("INSERT INTO _post_topics SELECT * FROM _incoming_tags")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_incoming_annotations")
        con.unregister("_incoming_tags")
    return len(annotations)
