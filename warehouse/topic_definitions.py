"""What each topics version tagged with: `_topic_definitions` (migration 0018).

Enrichment records its taxonomy under its `topics_version` before it stores tags
(`record_topic_definitions`), so a reader can tell what definition produced the stored matches
(`stored_definition`): Explore's query preview then takes a topic's stored matches instead of
running the matcher over every candidate post again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np


@dataclass(frozen=True, slots=True)
class StoredDefinition:
    """The definition every stored post's tags of a topic were made with."""

    topics_version: str
    definition: dict[str, Any]  # `nlp.topics.rule_to_config` of the topic
    matcher: str  # `nlp.topics.matcher_identity()` of the enrichment that tagged


def record_topic_definitions(
    con: duckdb.DuckDBPyConnection,
    topics_version: str,
    definitions: Sequence[Mapping[str, Any]],
    *,
    matcher: str,
) -> None:
    """Record `definitions` (each with its "topic_id") under `topics_version`, once."""
    now = datetime.now(UTC)
    rows = [
        (topics_version, str(d["topic_id"]), json.dumps(d, sort_keys=True, ensure_ascii=False))
        for d in definitions
    ]
    for version, topic_id, definition in rows:
        con.execute(
            "INSERT INTO _topic_definitions VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [version, topic_id, definition, matcher, now],
        )


def stored_definition(con: duckdb.DuckDBPyConnection, topic_id: str) -> StoredDefinition | None:
    """The definition of `topic_id` the stored tags come from, when every stored post was
    tagged under one topics version that recorded it; else None (posts not tagged yet, a
    re-tag half-way, or tags from before versions were recorded)."""
    try:
        found = con.execute(
            "SELECT definition, matcher FROM _topic_definitions "
            "WHERE topic_id = ? AND topics_version = "
            "(SELECT min(topics_version) FROM _topic_runs)",
            [topic_id],
        ).fetchall()
    except duckdb.CatalogException:  # a copy published before migration 0018
        return None
    if not found:
        return None
    row = con.execute(
        """
        WITH runs AS (SELECT topics_version, count(*) AS posts FROM _topic_runs GROUP BY 1)
        SELECT (SELECT count(*) FROM runs), (SELECT min(topics_version) FROM runs),
               (SELECT sum(posts) FROM runs), (SELECT count(*) FROM _posts)
        """
    ).fetchall()[0]
    versions, version, tagged, posts = row
    if versions != 1 or tagged != posts:
        return None
    return StoredDefinition(str(version), json.loads(found[0][0]), str(found[0][1]))


def stored_matches(con: duckdb.DuckDBPyConnection, topic_id: str) -> dict[str, np.ndarray]:
    """Per matched term: the rowids (sorted) of the stored matches of `topic_id` that name it,
    kept or set aside by a relevance model (what the matcher found, before any judgement)."""
    table = con.sql(
        """
        SELECT term, list(doc ORDER BY doc) AS docs FROM (
            SELECT p.rowid AS doc, unnest(t.matched_terms) AS term FROM (
                SELECT post_id, matched_terms FROM _post_topics WHERE topic_id = $topic
                UNION ALL
                SELECT post_id, matched_terms FROM _post_topics_rejected WHERE topic_id = $topic
            ) t JOIN _posts p USING (post_id)
        ) GROUP BY term
        """,
        params={"topic": topic_id},
    ).to_arrow_table()
    docs = table["docs"].combine_chunks()
    return {
        str(term): np.unique(np.asarray(docs[i].values.to_numpy(), dtype=np.int64))
        for i, term in enumerate(table["term"].to_pylist())
    }
