"""The posts behind a figure: a filtered, paged list of stored posts (Explore's post lists).

A week's filter is the digest's (`digest_posts.week_condition`), a topic's is `post_topics` (so a
relevance correction reaches the list as it reaches the counts), and by default duplicates are
listed once (one row per content_key, the most engaging), as the digest counts them: a topic's
"posts" figure of a week is the `total` of its audience list. `rows=True` lists every row
(a source's figure counts rows). Every value reaches SQL as a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from earshot.warehouse.digest_posts import week_condition

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
    # only these posts, by `_posts.rowid` (the full-text search's hits, `search.search_docs`):
    # read with the plain columns when no other filter needs the enrichment
    rowids: tuple[int, ...] | None = None


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
    source = _source(where)
    row = "p.post_row" if source == _POSTS_AND_OWNER else "NULL::BIGINT"
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
            SELECT p.post_id, p.content_key, p.published_at, {row} AS post_row,
                   coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)
                       AS engagement
            FROM {source} p
            WHERE {" AND ".join(clauses)}
            {once}
        )
        SELECT count(*) OVER () AS total, post_id, post_row FROM matching
        ORDER BY {order}
        LIMIT ? OFFSET ?
        """,
        [*params, limit, offset],
    ).fetchall()
    if not found:
        total = 0
        if offset > 0:  # past the end: the total is still wanted
            total = _count(con, source, clauses, params, once)
        return PostPage(total, [])
    ids = [r[1] for r in found]
    rows = [r[2] for r in found] if source == _POSTS_AND_OWNER else None
    return PostPage(int(found[0][0]), _details(con, ids, rows))


# The columns of `_post_facts` a filter without enrichment reads, from `_posts` and `_sources`
# alone (as `digest_posts.top_posts` reads a week's posts): the view would join every
# post's annotations and labels to drop them again.
_POSTS_AND_OWNER = """(
    SELECT p.post_id, p.content_key, p.published_at, p.fetched_at, p.likes, p.reposts,
           p.replies, p.source_id, coalesce(s.owned, false) AS is_own, p.rowid AS post_row
    FROM _posts p LEFT JOIN _sources s USING (source_id))"""


def _source(where: PostFilter) -> str:
    """What `p` is for `where`: `_post_facts`, or its plain columns when those suffice."""
    enriched = (where.lang, where.sentiment, where.term, where.question, where.extra)
    return "_post_facts" if any(v is not None for v in enriched) else _POSTS_AND_OWNER


def _clauses(con: duckdb.DuckDBPyConnection, where: PostFilter) -> tuple[list[str], list[object]]:
    clauses: list[str] = ["true"]
    params: list[object] = []
    if where.week is not None:
        in_week, week_params = week_condition(con, where.week)
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
    if where.rowids is not None:
        if _source(where) == _POSTS_AND_OWNER:
            clauses.append("p.post_row IN (SELECT unnest(?::BIGINT[]))")
        else:  # `_post_facts` has no rowid
            clauses.append(
                "p.post_id IN (SELECT post_id FROM _posts WHERE rowid IN "
                "(SELECT unnest(?::BIGINT[])))"
            )
        params.append(list(where.rowids))
    return clauses, params


def _count(
    con: duckdb.DuckDBPyConnection,
    source: str,
    clauses: list[str],
    params: list[object],
    once: str,
) -> int:
    row = con.execute(
        f"""
        SELECT count(*) FROM (
            SELECT p.post_id, p.content_key, p.published_at,
                   coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)
                       AS engagement
            FROM {source} p WHERE {" AND ".join(clauses)} {once})
        """,
        params,
    ).fetchone()
    return int(row[0]) if row else 0


def _details(
    con: duckdb.DuckDBPyConnection,
    ids: list[str],
    rows: list[int] | None = None,
    tags: tuple[str, list[object]] | None = None,
) -> list[ListedPost]:
    """The posts `ids` with their enrichment and topics: the columns of `_post_facts` (same
    rules: a stored sentiment label wins, through the view's own macros `_sentiment_in_force`
    and `_sentiment_label_in_force`; a source's `owned` makes a post own) and the tags of
    `post_topics`, every table read for the ids alone (`_posts` by rowid, `_annotations` by
    its key), not joined whole as the view would be. `rows`: the ids' rowids in `_posts` when
    just read (checked by post_id: looked up again should one not match). `tags`: a relation
    (SQL, parameters) holding every `post_topics` row of the ids (post_id, topic_id,
    matched_terms), read instead of the view (which is scanned whole for a few ids)."""
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    given = rows is not None
    if rows is None:
        rows = [
            r[0]
            for r in con.execute(
                f"SELECT rowid FROM _posts WHERE post_id IN ({marks})", ids
            ).fetchall()
        ]
    tag_rows, tag_params = tags or ("post_topics", [])
    found = con.execute(
        f"""
        WITH p AS (SELECT * FROM _posts WHERE rowid IN (SELECT unnest(?::BIGINT[]))),
        a AS (SELECT * FROM _annotations WHERE post_id IN ({marks})),
        l AS (SELECT * FROM _post_sentiment_labels WHERE post_id IN ({marks})),
        t AS (
            SELECT post_id, list({{'topic_id': topic_id, 'terms': matched_terms}}
                                 ORDER BY topic_id) AS topics
            FROM {tag_rows} WHERE post_id IN ({marks}) GROUP BY post_id
        )
        SELECT p.post_id, p.url, p.title, p.text, p.published_at, p.source_id, p.platform,
               p.author, a.lang,
               _sentiment_in_force(l.sentiment, a.sentiment),
               _sentiment_label_in_force(l.sentiment, a.sentiment_label), a.is_question,
               coalesce(s.owned, false),
               coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0),
               coalesce(t.topics, [])
        FROM p
        LEFT JOIN a USING (post_id)
        LEFT JOIN l USING (post_id)
        LEFT JOIN _sources s USING (source_id)
        LEFT JOIN t USING (post_id)
        """,
        [rows, *ids, *ids, *tag_params, *ids],
    ).fetchall()
    if given and {r[0] for r in found} != set(ids):
        return _details(con, ids, tags=tags)  # a rowid that was not the post's: by post_id
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
        for r in found
    }
    return [by_id[i] for i in ids if i in by_id]


def listed_posts(
    con: duckdb.DuckDBPyConnection,
    ids: list[str],
    rows: list[int] | None = None,
    tags: tuple[str, list[object]] | None = None,
) -> list[ListedPost]:
    """The stored posts of `ids` as lists show them, in the order of `ids` (unknown ones left
    out); `rows`: their rowids in `_posts` as last known (checked; by post_id where wrong);
    `tags`: where their topic tags are read, when not from the `post_topics` view."""
    return _details(con, ids, rows, tags)


def get_post(con: duckdb.DuckDBPyConnection, post_id: str) -> ListedPost | None:
    """One stored post with its enrichment and topics, or None."""
    found = _details(con, [post_id])
    return found[0] if found else None
