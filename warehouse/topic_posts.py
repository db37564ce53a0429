"""A topic's week as its page shows it: the posts listed (the evidence), its open questions,
its top authors and its sources, read from the writer's facts of the topic's audience posts
(`_fact_topic_posts`, migrations/0021, counted by `warehouse.facts.refresh_facts`).

Read from the posts, the posts listed and the voices scanned the week's posts of `_posts`
(every post's time, then the matches' ids, keys and authors): 0.2-0.5 s each at 1,000,000
posts on two busy cores, most of the topic page. A topic-week's facts are its ~10,000 tag
rows, read in milliseconds. The posts listed are what `post_lists.list_posts` of the week,
topic and audience lists, the voices the authors and sources of the topic's audience posts
(duplicates counted once): tests/warehouse/test_topic_posts.py compares them with those scans.
The questions are `questions.open_questions` of the topic, the digest's own (one query for
every screen). Readers call `facts.require_fresh` first, as for the digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from earshot.warehouse.facts import topic_facts_read
from earshot.warehouse.post_lists import ListedPost, PostPage, listed_posts
from earshot.warehouse.questions import AudienceQuestion, OpenQuestion, open_questions
from earshot.warehouse.weeks import week_start


@dataclass(frozen=True, slots=True)
class Voice:
    """An author or a source of a topic's audience posts in a week, with its post count."""

    name: str
    posts: int


@dataclass(frozen=True, slots=True)
class TopicWeek:
    """A topic's week on its page."""

    found: PostPage  # its audience posts, most engaging first, duplicates once
    questions: list[AudienceQuestion]  # its open questions, most engaging first
    authors: list[Voice]
    sources: list[Voice]


_OF_WEEK = "FROM _fact_topic_posts f WHERE f.week_start = ? AND f.topic_id = ?"


def topic_week(
    con: duckdb.DuckDBPyConnection,
    week: str,
    topic_id: str,
    *,
    posts: int = 20,
    questions: int = 10,
    voices: int = 10,
) -> TopicWeek:
    """The first `posts` of the topic's audience posts of `week` (as `list_posts` ranks and
    counts them), its `questions` most engaging open questions (as `audience_questions`), its
    `voices` top authors and every source; the shown posts' details read once, by rowid."""
    return topics_of_week(con, week, [topic_id], posts=posts, questions=questions, voices=voices)[
        topic_id
    ]


def topics_of_week(
    con: duckdb.DuckDBPyConnection,
    week: str,
    topic_ids: list[str],
    *,
    posts: int = 20,
    questions: int = 10,
    voices: int = 10,
) -> dict[str, TopicWeek]:
    """`topic_week` of each of `topic_ids`, the shown posts of all of them read at once (one
    read of `_posts` by rowid, most of a topic-week's cost at 1,000,000 posts: a warm-up of
    every topic page of a week pays it once)."""
    start = week_start(week)
    with topic_facts_read():  # a copy published before migration 0021 has no topic facts
        ranked = {t: _ranked(con, [start, t], posts, voices) for t in topic_ids}
    asked: dict[str, list[OpenQuestion]] = {t: [] for t in topic_ids}
    for q in open_questions(con, week, questions, topic_ids):  # the digest's list's query
        if q.topic_id is not None:  # always, for a list of topics
            asked[q.topic_id].append(q)
    shown: dict[str, int] = {}
    for listed, _counted in ranked.values():
        shown |= {r[1]: r[2] for r in listed}
    for rows in asked.values():
        shown |= {q.post_id: q.post_row for q in rows}
    # every tag of a shown post (an audience post of the week): its rows of the week's facts
    tags: tuple[str, list[object]] = (
        "(SELECT * FROM _fact_topic_posts WHERE week_start = ?)",
        [start],
    )
    found = listed_posts(con, list(shown), list(shown.values()), tags) if shown else []
    details = {p.post_id: p for p in found}
    out: dict[str, TopicWeek] = {}
    for topic_id, (listed, counted) in ranked.items():
        out[topic_id] = TopicWeek(
            found=PostPage(
                int(listed[0][0]) if listed else 0,
                [details[r[1]] for r in listed if r[1] in details],
            ),
            questions=[
                _question(topic_id, details[q.post_id], q.engagement)
                for q in asked[topic_id]
                if q.post_id in details
            ],
            authors=[Voice(n, int(k)) for kind, n, k in counted if kind == "author"],
            sources=[Voice(n, int(k)) for kind, n, k in counted if kind == "source"],
        )
    return out


Rows = list[tuple[Any, ...]]


def _ranked(
    con: duckdb.DuckDBPyConnection, key: list[object], posts: int, voices: int
) -> tuple[Rows, Rows]:
    """One topic-week's (`key`: week start, topic) listed posts and voices from its facts,
    without their details."""
    listed = _listed(con, key, posts)
    # authors and sources, both in one pass over the topic-week's rows; only the first
    # `voices` authors leave the query (a big topic-week has thousands)
    counted = con.execute(
        f"""
        WITH counted AS (
            SELECT CASE WHEN grouping(f.author) = 0 THEN 'author' ELSE 'source' END AS kind,
                   CASE WHEN grouping(f.author) = 0 THEN f.author ELSE f.source_id END AS name,
                   count(DISTINCT f.content_key) AS posts
            {_OF_WEEK}
            GROUP BY GROUPING SETS ((f.author), (f.source_id))
            HAVING grouping(f.author) = 1 OR f.author IS NOT NULL
        )
        SELECT kind, name, posts FROM counted
        QUALIFY kind = 'source'
             OR row_number() OVER (PARTITION BY kind ORDER BY posts DESC, name) <= ?
        ORDER BY kind, posts DESC, name
        """,
        [*key, voices],
    ).fetchall()
    return listed, counted


def _question(topic_id: str, post: ListedPost, engagement: int) -> AudienceQuestion:
    return AudienceQuestion(
        topic_id,
        post.post_id,
        post.url,
        post.title,
        post.text,
        post.author,
        int(engagement),
        post.platform,
        post.published_at,
    )


def _listed(con: duckdb.DuckDBPyConnection, key: list[object], limit: int) -> Rows:
    """(total, post_id, post_row) of the first `limit` posts, ranked as `list_posts` ranks a
    week's: one row per content_key (the most engaging), then by engagement."""
    return con.execute(
        f"""
        WITH once AS (
            SELECT f.post_id, f.post_row, f.engagement, f.published_at {_OF_WEEK}
            QUALIFY row_number() OVER (PARTITION BY f.content_key
                ORDER BY f.engagement DESC, f.published_at NULLS LAST, f.post_id) = 1
        )
        SELECT count(*) OVER () AS total, post_id, post_row FROM once
        ORDER BY engagement DESC, published_at DESC NULLS LAST, post_id
        LIMIT ?
        """,
        [*key, limit],
    ).fetchall()
