"""The digest's top posts: the most engaging audience posts of a week (of a topic, of a key
term), and the week's filter and the rowid reads of texts that the post lists and the open
questions (`warehouse.questions`) share.

Read from the posts of the week's time range (not from the digest facts), the texts only for
the rows shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from earshot.warehouse.facts import week_start_sql
from earshot.warehouse.weeks import week_bounds, week_start


@dataclass(frozen=True, slots=True)
class TopPost:
    post_id: str
    url: str | None
    title: str | None
    text: str
    source_id: str
    author: str | None
    published_at: datetime | None
    engagement: int
    sentiment_label: str | None
    topics: tuple[str, ...]


def week_condition(con: duckdb.DuckDBPyConnection, week: str) -> tuple[str, list[object]]:
    """A filter on `_post_facts p` for the posts of `week`, and its parameters.

    The week's time range in the warehouse's zone: a comparison per post, no zone
    conversion; led by the test it implies on `published_at` alone, which DuckDB applies in
    the scan of `_posts` (zone maps, and the other columns read for the week's rows only).
    A zone Python does not know falls back to the exact test on the local week.
    """
    row = con.execute("SELECT value FROM _settings WHERE key = 'timezone'").fetchone()
    try:
        start, end = week_bounds(week, row[0] if row else "UTC")
    except (KeyError, ValueError):
        return f"{week_start_sql('coalesce(p.published_at, p.fetched_at)')} = ?", [week_start(week)]
    return (
        "(p.published_at IS NULL OR (p.published_at >= ? AND p.published_at < ?)) "
        "AND coalesce(p.published_at, p.fetched_at) >= ? "
        "AND coalesce(p.published_at, p.fetched_at) < ?",
        [start, end, start, end],
    )


_TEXT_COLUMNS = "p.url, p.title, p.text, p.source_id, p.author, p.published_at"


def _week_posts(in_week: str) -> str:
    """The audience's posts of the week (`in_week`: `week_condition`'s condition) with their
    engagement and rowid: what both top-post queries rank."""
    return f"""
            SELECT p.post_id, p.published_at, p.rowid AS row,
                   coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)
                       AS engagement
            FROM _posts p LEFT JOIN _sources s USING (source_id)
            WHERE {in_week} AND NOT coalesce(s.owned, false)
        """


def _top_post(
    texts: dict[str, tuple[Any, ...]],
    post_id: str,
    engagement: int,
    label: str | None,
    topics: list[str],
) -> TopPost:
    url, title, text, source_id, author, published_at = texts[post_id]
    return TopPost(
        post_id,
        url,
        title,
        text,
        source_id,
        author,
        published_at,
        engagement,
        label,
        tuple(topics),
    )


def top_posts(
    con: duckdb.DuckDBPyConnection,
    week: str,
    limit: int = 10,
    *,
    topic_id: str | None = None,
    term: str | None = None,
) -> list[TopPost]:
    """The audience's most engaging posts of the week (newest first among equals); only those
    tagged with `topic_id`, or carrying the key term `term` (any case), when given."""
    in_week, params = week_condition(con, week)
    if topic_id is not None:
        in_week += " AND p.post_id IN (SELECT post_id FROM post_topics WHERE topic_id = ?)"
        params = [*params, topic_id]
    if term is not None:
        in_week += (
            " AND p.post_id IN (SELECT post_id FROM _annotations"
            " WHERE list_contains(list_transform(key_terms, lambda k: lower(k)), lower(?)))"
        )
        params = [*params, term]
    # Only posts at least as engaging as the limit-th can be among the first `limit`, so the
    # join with their topics (the ordering's second key) is made for those alone; the texts
    # are read for the winners only.
    top = con.execute(
        f"""
        WITH week_posts AS ({_week_posts(in_week)}),
        candidates AS (
            SELECT * FROM week_posts
            WHERE engagement >= (SELECT min(engagement) FROM (
                SELECT engagement FROM week_posts ORDER BY engagement DESC LIMIT ?))
        )
        SELECT c.post_id, c.engagement,
               _sentiment_label_in_force(l.sentiment, a.sentiment_label) AS sentiment_label,
               c.published_at, c.row,
               coalesce(list(t.topic_id ORDER BY t.topic_id)
                        FILTER (WHERE t.topic_id IS NOT NULL), []) AS topics
        FROM candidates c
        LEFT JOIN _annotations a USING (post_id)
        LEFT JOIN _post_sentiment_labels l USING (post_id)  -- a correction wins
        LEFT JOIN post_topics t USING (post_id)
        GROUP BY ALL
        ORDER BY c.engagement DESC, len(topics) DESC, c.published_at DESC NULLS LAST, c.post_id
        LIMIT ?
        """,
        [*params, limit, limit],
    ).fetchall()
    if not top:
        return []
    texts = post_columns(con, _TEXT_COLUMNS, {r[0]: r[4] for r in top})
    return [
        _top_post(texts, post_id, engagement, label, topics)
        for post_id, engagement, label, _published, _row, topics in top
    ]


def top_post_of_topics(
    con: duckdb.DuckDBPyConnection, week: str, topic_ids: list[str]
) -> dict[str, TopPost]:
    """`top_posts(con, week, 1, topic_id=t)[0]` of each of `topic_ids` that has one, from one
    query (the week's posts and their tags read once, not once per topic: the digest names
    most topics)."""
    if not topic_ids:
        return {}
    in_week, params = week_condition(con, week)
    top = con.execute(
        f"""
        WITH week_posts AS ({_week_posts(in_week)}),
        tags AS (
            SELECT t.post_id, t.topic_id FROM post_topics t
            WHERE t.post_id IN (SELECT post_id FROM week_posts)
        ),
        wanted AS (
            SELECT w.*, t.topic_id AS wanted FROM week_posts w JOIN tags t USING (post_id)
            WHERE t.topic_id IN (SELECT unnest(?::VARCHAR[]))
        ),
        -- as in top_posts: only posts at least as engaging as their topic's most engaging
        -- can win, so their topics (the ordering's second key) are listed for those alone
        candidates AS (
            SELECT * FROM wanted
            QUALIFY engagement = max(engagement) OVER (PARTITION BY wanted)
        ),
        listed AS (
            SELECT c.wanted, c.post_id, c.engagement,
                   _sentiment_label_in_force(l.sentiment, a.sentiment_label) AS sentiment_label,
                   c.published_at, c.row,
                   coalesce(list(t.topic_id ORDER BY t.topic_id)
                            FILTER (WHERE t.topic_id IS NOT NULL), []) AS topics
            FROM candidates c
            LEFT JOIN _annotations a USING (post_id)
            LEFT JOIN _post_sentiment_labels l USING (post_id)  -- a correction wins
            LEFT JOIN tags t USING (post_id)
            GROUP BY ALL
        )
        SELECT * FROM listed
        QUALIFY row_number() OVER (
            PARTITION BY wanted
            ORDER BY engagement DESC, len(topics) DESC, published_at DESC NULLS LAST,
                     post_id) = 1
        """,
        [*params, list(topic_ids)],
    ).fetchall()
    if not top:
        return {}
    texts = post_columns(con, _TEXT_COLUMNS, {r[1]: r[5] for r in top})
    return {
        wanted: _top_post(texts, post_id, engagement, label, topics)
        for wanted, post_id, engagement, label, _published, _row, topics in top
    }


def post_columns(
    con: duckdb.DuckDBPyConnection, columns: str, rows: dict[str, int]
) -> dict[str, tuple[Any, ...]]:
    """`columns` of the posts `rows` names (post_id -> rowid read just before): by rowid,
    which reads a few rows instead of a column of every post; checked by post_id, by which
    it is read again should a row have moved meanwhile."""
    found = {
        r[0]: tuple(r[1:])
        for r in con.execute(
            f"SELECT p.post_id, {columns} FROM _posts p WHERE p.rowid IN (SELECT unnest(?))",
            [list(rows.values())],
        ).fetchall()
        if r[0] in rows
    }
    if len(found) < len(rows):
        found = {
            r[0]: tuple(r[1:])
            for r in con.execute(
                f"SELECT p.post_id, {columns} FROM _posts p WHERE list_contains(?, p.post_id)",
                [list(rows)],
            ).fetchall()
        }
    return found
