"""The posts behind a figure: a filtered, paged list of stored posts (Explore's post lists).

A week's filter is the digest's (`digest_posts._in_week`), a topic's is `post_topics` (so a
relevance correction reaches the list as it reaches the counts), and by default duplicates are
listed once (one row per content_key, the most engaging), as the digest counts them: a topic's
"posts" figure of a week is the `total` of its audience list. `rows=True` lists every row
(a source's figure counts rows). Every value reaches SQL as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from earshot.warehouse.digest_posts import _in_week

SORTS = ("engagement", "time")
AUDIENCES = ("all", "audience", "own")


@dataclass(frozen=True, slots=True)
class PostFilter:
    """Which posts to list; None means "any"."""

    week: str | None = None
    topic_id: str | None = None
    source_id: str | None = None
    lang: str | None = None
    sentiment: str | None = None  # the label in force (a correction wins)
    audience: str = "all"  # 'all' | 'audience' (not own) | 'own'
    term: str | None = None  # a key term or hashtag (any case)
    question: bool | None = None
    tagged: bool | None = None  # tagged with any topic (True) or with none (False)
    rows: bool = False  # every row, duplicates included
    # an extra filter on `p` (e.g. the full-text search's matches): SQL and its parameters
    extra: tuple[str, list[object]] | None = None


@dataclass(frozen=True, slots=True)
class TopicTag:
    topic_id: str
    matched_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ListedPost:
    post_id: str
    url: str | None
    title: str | None
    text: str
    published_at: datetime | None
    source_id: str
    platform: str | None
    author: str | None
    lang: str | None
    sentiment: float | None
    sentiment_label: str | None
    is_question: bool | None
    is_own: bool
    engagement: int
    topics: tuple[TopicTag, ...]


@dataclass(frozen=True, slots=True)
class PostPage:
    total: int
    posts: list[ListedPost]


def list_posts(
    con: duckdb.DuckDBPyConnection,
    where: PostFilter,
    *,
    limit: int = 50,
    offset: int = 0,
    sort: str = "engagement",
) -> PostPage:
    """The posts matching `where`, most engaging (or newest) first, `limit` from `offset`."""
    if sort not in SORTS:
        raise ValueError(f"sort {sort!r}: expected one of {', '.join(SORTS)}")
    if where.audience not in AUDIENCES:
        raise ValueError(f"audience {where.audience!r}: expected one of {', '.join(AUDIENCES)}")
    clauses, params = _clauses(con, where)
    order = (
        "engagement DESC, published_at DESC NULLS LAST, post_id"
        if sort == "engagement"
        else "published_at DESC NULLS LAST, engagement DESC, post_id"
    )
    once = (
        ""
        if where.rows
        else "QUALIFY row_number() OVER (PARTITION BY content_key "
        "ORDER BY engagement DESC, published_at NULLS LAST, post_id) = 1"
    )
    found = con.execute(
        f"""
        WITH matching AS (
            SELECT p.post_id, p.content_key, p.published_at,
                   coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)
                       AS engagement
            FROM _post_facts p
            WHERE {" AND ".join(clauses)}
            {once}
        )
        SELECT count(*) OVER () AS total, post_id FROM matching
        ORDER BY {order}
        LIMIT ? OFFSET ?
        """,
        [*params, limit, offset],
    ).fetchall()
    if not found:
        total = 0
        if offset > 0:  # past the end: the total is still wanted
            total = _count(con, clauses, params, once)
        return PostPage(total, [])
    ids = [r[1] for r in found]
    return PostPage(int(found[0][0]), _details(con, ids))


def _clauses(con: duckdb.DuckDBPyConnection, where: PostFilter) -> tuple[list[str], list[object]]:
    clauses: list[str] = ["true"]
    params: list[object] = []
    if where.week is not None:
        in_week, week_params = _in_week(con, where.week)
        clauses.append(in_week)
        params += week_params
    if where.topic_id is not None:
        clauses.append("p.post_id IN (SELECT post_id FROM post_topics WHERE topic_id = ?)")
        params.append(where.topic_id)
    if where.source_id is not None:
        clauses.append("p.source_id = ?")
        params.append(where.source_id)
    if where.lang is not None:
        clauses.append("p.lang = ?")
        params.append(where.lang)
    if where.sentiment is not None:
        clauses.append("p.sentiment_label = ?")
        params.append(where.sentiment)
    if where.audience == "audience":
        clauses.append("NOT p.is_own")
    elif where.audience == "own":
        clauses.append("p.is_own")
    if where.term is not None:
        clauses.append("list_contains(list_transform(p.key_terms, lambda k: lower(k)), lower(?))")
        params.append(where.term)
    if where.question is not None:
        clauses.append("coalesce(p.is_question, false) = ?")
        params.append(where.question)
    if where.tagged is not None:
        clauses.append(
            ("" if where.tagged else "NOT ") + "p.post_id IN (SELECT post_id FROM post_topics)"
        )
    if where.extra is not None:
        clauses.append(f"({where.extra[0]})")
        params += where.extra[1]
    return clauses, params


def _count(
    con: duckdb.DuckDBPyConnection, clauses: list[str], params: list[object], once: str
) -> int:
    row = con.execute(
        f"""
        SELECT count(*) FROM (
            SELECT p.post_id, p.content_key, p.published_at,
                   coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)
                       AS engagement
            FROM _post_facts p WHERE {" AND ".join(clauses)} {once})
        """,
        params,
    ).fetchone()
    return int(row[0]) if row else 0


def _details(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[ListedPost]:
    rows = con.execute(
        """
        SELECT p.post_id, p.url, p.title, p.text, p.published_at, p.source_id, p.platform,
               p.author, p.lang, p.sentiment, p.sentiment_label, p.is_question, p.is_own,
               coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0),
               coalesce((SELECT list({'topic_id': t.topic_id, 'terms': t.matched_terms}
                                     ORDER BY t.topic_id)
                         FROM post_topics t WHERE t.post_id = p.post_id), [])
        FROM _post_facts p
        WHERE p.post_id IN (SELECT unnest(?::VARCHAR[]))
        """,
        [ids],
    ).fetchall()
    by_id = {
        r[0]: ListedPost(
            r[0],
            r[1],
            r[2],
            r[3] or "",
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            bool(r[12]),
            int(r[13]),
            tuple(TopicTag(t["topic_id"], tuple(t["terms"] or ())) for t in r[14]),
        )
        for r in rows
    }
    return [by_id[i] for i in ids if i in by_id]


def listed_posts(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[ListedPost]:
    """The stored posts of `ids` as lists show them, in the order of `ids` (unknown ones left
    out)."""
    return _details(con, ids)


def get_post(con: duckdb.DuckDBPyConnection, post_id: str) -> ListedPost | None:
    """One stored post with its enrichment and topics, or None."""
    found = _details(con, [post_id])
    return found[0] if found else None
