"""The topic matcher's input per post, for Explore's query preview: `_post_parts` (migration 0019).

Enrichment records each post's distinct word parts (`nlp.topics.distinct_parts`: the parts of
the word sequence its tagger read) with the post's topic tags (`store_topic_parts`, inside
`store_enriched`'s transaction, under the same topics version). Whether a one-word pattern
matches a post depends only on that set and the post's language, so the preview finds the
matching vocabulary entries (`vocabulary`: a SQL pre-filter on the few parts holding a word)
and their posts (`postings`) instead of tokenizing every candidate post.

The index is used only where it is complete and current (`parts_version`): every stored post
tagged under one topics version, each with its parts recorded under it, by the matcher code
the reader runs. Otherwise (posts not tagged yet, a re-tag half-way, tags from before 0019)
the reader falls back to the matcher.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa

_INCOMING = pa.schema([("post_id", pa.string()), ("parts", pa.list_(pa.string()))])


class PartsOf(Protocol):
    """Anything with a post id and its recorded parts (an `Annotation`, `nlp.TopicTags`)."""

    @property
    def post_id(self) -> str: ...

    @property
    def topic_parts(self) -> tuple[str, ...] | None: ...


def store_topic_parts(
    con: duckdb.DuckDBPyConnection, tagged: Sequence[PartsOf], *, topics_version: str
) -> None:
    """Replace the parts of these posts (the caller's transaction): those that recorded parts
    get them under `topics_version`; the others lose theirs (not covered any more)."""
    if not tagged:
        return
    incoming = pa.table(
        {
            "post_id": [t.post_id for t in tagged],
            "parts": [list(t.topic_parts) if t.topic_parts is not None else None for t in tagged],
        },
        schema=_INCOMING,
    )
    con.register("_incoming_parts", incoming)
    try:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE _incoming_docs AS
            SELECT p.rowid AS doc, i.post_id, i.parts FROM _incoming_parts i
            JOIN _posts p USING (post_id)
            """
        )
        con.execute("DELETE FROM _post_parts WHERE doc IN (SELECT doc FROM _incoming_docs)")
        # new parts get the next numbers (one writer at a time: the writer lock)
        con.execute(
            """
            INSERT INTO _part_words
            SELECT (SELECT coalesce(max(part_id), -1) FROM _part_words)
                   + row_number() OVER (ORDER BY part), part
            FROM (
                SELECT DISTINCT unnest(parts) AS part FROM _incoming_docs
            ) ANTI JOIN _part_words USING (part)
            """
        )
        con.execute(
            """
            INSERT INTO _post_parts
            SELECT i.doc, $version, coalesce(l.ids, []::INTEGER[])
            FROM _incoming_docs i
            LEFT JOIN (
                SELECT u.doc, list(w.part_id ORDER BY w.part_id) AS ids
                FROM (SELECT doc, unnest(parts) AS part FROM _incoming_docs) u
                JOIN _part_words w USING (part)
                GROUP BY u.doc
            ) l USING (doc)
            WHERE i.parts IS NOT NULL
            """,
            {"version": topics_version},
        )
        con.execute("DROP TABLE _incoming_docs")
    finally:
        with contextlib.suppress(duckdb.Error):  # an aborted transaction keeps its error
            con.unregister("_incoming_parts")


def parts_version(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(topics version, matcher identity) under which every stored post's parts are recorded,
    when they all are; None when the index does not cover every post (posts not tagged yet, a
    re-tag half-way, tags from before migration 0019, a copy published before it)."""
    try:
        row = con.execute(
            """
            WITH runs AS (SELECT topics_version, count(*) AS posts FROM _topic_runs GROUP BY 1),
            v AS (SELECT min(topics_version) AS version FROM runs),
            parts AS (SELECT topics_version, count(*) AS posts FROM _post_parts GROUP BY 1),
            matchers AS (SELECT DISTINCT matcher FROM _topic_definitions
                         WHERE topics_version = (SELECT version FROM v))
            SELECT (SELECT count(*) FROM runs), (SELECT version FROM v),
                   (SELECT sum(posts) FROM runs), (SELECT count(*) FROM _posts),
                   (SELECT sum(posts) FROM parts WHERE topics_version = (SELECT version FROM v)),
                   (SELECT sum(posts) FROM parts),
                   (SELECT min(matcher) FROM matchers), (SELECT count(*) FROM matchers)
            """
        ).fetchall()[0]
    except duckdb.CatalogException:  # a copy published before migration 0019
        return None
    versions, version, tagged, posts, current, rows, matcher, matchers = row
    if versions != 1 or tagged != posts or current != posts or rows != posts or matchers != 1:
        return None
    return str(version), str(matcher)


def vocabulary(con: duckdb.DuckDBPyConnection, words: Sequence[str]) -> list[tuple[int, str]]:
    """(part_id, part) of every recorded part that contains one of `words` (folded)."""
    if not words:
        return []
    rows = con.execute(
        "SELECT part_id, part FROM _part_words "
        "WHERE len(list_filter(?::VARCHAR[], lambda x: contains(part, x))) > 0",
        [sorted(set(words))],
    ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def postings(
    con: duckdb.DuckDBPyConnection, part_ids: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """(docs, part_ids) of every post holding one of `part_ids`: one pair per post and part."""
    if not part_ids:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    found = con.execute(
        "SELECT doc, id FROM (SELECT doc, unnest(part_ids) AS id FROM _post_parts) "
        "WHERE id IN (SELECT unnest(?::INTEGER[]))",
        [sorted(set(part_ids))],
    ).fetchnumpy()
    return np.asarray(found["doc"], dtype=np.int64), np.asarray(found["id"], dtype=np.int64)
