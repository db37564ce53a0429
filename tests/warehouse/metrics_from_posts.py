"""Reference: the digest queries (warehouse/digest_queries.py, warehouse/digest_posts.py) as
they were before the digest facts (migration 0009).

Every figure computed from the posts, reading the reference views of digest_views_from_posts.sql
(`ref_*`); tests/warehouse/test_facts.py checks the queries read from the facts against it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

# The record types and week arithmetic are the product's; the figures are recomputed here.
from earshot.warehouse.digest_posts import TopPost
from earshot.warehouse.digest_queries import (
    BucketBalance,
    Coverage,
    EmergingTerm,
    SourceStatus,
    TopicMovement,
    TopicShare,
)
from earshot.warehouse.questions import AudienceQuestion
from earshot.warehouse.weeks import week_bounds


def _near_week(con: duckdb.DuckDBPyConnection, week: str) -> tuple[datetime, datetime]:
    """Instants a day before and after `week` in the warehouse's zone.

    A cheap pre-filter on the post time (a comparison, no zone conversion per post) that the
    queries add to their exact `week = ?` test, so that most posts are dropped early.
    """
    row = con.execute("SELECT value FROM _settings WHERE key = 'timezone'").fetchone()
    try:
        start, end = week_bounds(week, row[0] if row else "UTC")
    except (KeyError, ValueError):  # an unknown zone: no pre-filter, the exact test decides
        return datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    return start - timedelta(days=1), end + timedelta(days=1)


# `_post_facts` rows of one week (bind: week, lo, hi from `_near_week`).
_IN_WEEK = (
    "p.week = ? AND coalesce(p.published_at, p.fetched_at) >= ? "
    "AND coalesce(p.published_at, p.fetched_at) < ?"
)


def top_posts(con: duckdb.DuckDBPyConnection, week: str, limit: int = 10) -> list[TopPost]:
    """The audience's most engaging posts of the week (newest first among equals)."""
    rows = con.execute(
        f"""
        SELECT p.post_id, p.url, p.title, p.text, p.source_id, p.author, p.published_at,
               coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0) AS engagement,
               p.sentiment_label,
               coalesce(list(t.topic_id ORDER BY t.topic_id)
                        FILTER (WHERE t.topic_id IS NOT NULL), []) AS topics
        FROM _post_facts p
        LEFT JOIN post_topics t USING (post_id)
        WHERE {_IN_WEEK} AND NOT p.is_own
        GROUP BY ALL
        ORDER BY engagement DESC, len(topics) DESC, p.published_at DESC NULLS LAST, p.post_id
        LIMIT ?
        """,
        [week, *_near_week(con, week), limit],
    ).fetchall()
    return [
        TopPost(*r[:9], topics=tuple(r[9]))  # type: ignore[misc]
        for r in rows
    ]


def source_coverage(con: duckdb.DuckDBPyConnection, week: str) -> list[SourceStatus]:
    """Each active source's last fetch outcome and its posts in the week."""
    rows = con.execute(
        """
        WITH per_source AS (
            SELECT c.source_id, count(*) AS n
            FROM ref_post_calendar c
            WHERE c.posted_at >= ? AND c.posted_at < ? AND c.week = ?
            GROUP BY c.source_id
        )
        SELECT s.source_id, s.url, s.owned, s.last_status, s.last_error, s.last_success_at,
               coalesce(c.n, 0) AS posts_in_week, s.last_attempt_at, s.failure_count
        FROM _sources s
        LEFT JOIN per_source c USING (source_id)
        WHERE s.active
        ORDER BY s.source_id
        """,
        [*_near_week(con, week), week],
    ).fetchall()
    return [SourceStatus(*r) for r in rows]


# A topic without a row for the week (a week before the first post's) counts as quiet.
_MOVEMENT_COLUMNS = """
    t.topic_id, t.label, coalesce(m.posts, 0), coalesce(m.previous_posts, 0),
    coalesce(m.authors, 0), coalesce(m.engagement, 0), m.avg_sentiment,
    coalesce(m.rated_posts, 0), m.negative_share, coalesce(m.baseline_weeks, 0),
    m.baseline_mean, m.baseline_negative_share, m.volume_z, m.negative_z,
    coalesce(m.few_posts, true), coalesce(m.movement, 'no baseline'), coalesce(m.at_risk, false)
"""


def topic_movements(con: duckdb.DuckDBPyConnection, week: str) -> list[TopicMovement]:
    """Every configured topic's row of `topic_movement` for `week`, strongest rise first."""
    rows = con.execute(
        f"""
        WITH m AS (SELECT * FROM ref_topic_movement WHERE week = ?)
        SELECT {_MOVEMENT_COLUMNS}
        FROM topics t LEFT JOIN m USING (topic_id)
        ORDER BY m.volume_z DESC NULLS LAST, coalesce(m.posts, 0) DESC, t.topic_id
        """,
        [week],
    ).fetchall()
    return [TopicMovement(*r) for r in rows]


def emerging_terms(
    con: duckdb.DuckDBPyConnection, week: str, limit: int = 10
) -> list[EmergingTerm]:
    rows = con.execute(
        """
        SELECT term, posts, authors, baseline_mean, volume_z FROM ref_emerging_terms
        WHERE week = ? ORDER BY volume_z DESC, posts DESC, term LIMIT ?
        """,
        [week, limit],
    ).fetchall()
    return [EmergingTerm(*r) for r in rows]


def audience_questions(
    con: duckdb.DuckDBPyConnection, week: str, per_topic: int = 3
) -> list[AudienceQuestion]:
    """The most engaging questions of each topic (NULL topic last), most engaging first."""
    rows = con.execute(
        """
        SELECT q.topic_id, q.post_id, q.url, q.title, q.text, q.author, q.engagement,
               p.platform, q.published_at
        FROM ref_audience_questions q JOIN _posts p USING (post_id)
        WHERE q.week = ? AND q.rank_in_topic <= ?
        ORDER BY q.topic_id NULLS LAST, q.rank_in_topic
        """,
        [week, per_topic],
    ).fetchall()
    return [AudienceQuestion(*r) for r in rows]


def topic_shares(con: duckdb.DuckDBPyConnection, week: str) -> list[TopicShare]:
    """`topic_share_4w` for the 4 weeks ending with `week`, largest gap ("talk more") first."""
    rows = con.execute(
        """
        SELECT s.topic_id, t.label, s.audience_posts, s.audience_tags, s.audience_share,
               s.own_posts, s.own_tags, s.own_share, s.gap, s.gap_z, s.advice
        FROM ref_topic_share_4w s JOIN topics t USING (topic_id)
        WHERE s.week = ?
        ORDER BY s.gap DESC NULLS LAST, s.audience_posts DESC, s.topic_id
        """,
        [week],
    ).fetchall()
    return [TopicShare(*r) for r in rows]


def bucket_balance(con: duckdb.DuckDBPyConnection, week: str) -> list[BucketBalance]:
    rows = con.execute(
        """
        SELECT b.bucket_id, k.label, b.target_share, b.own_posts, b.bucket_posts, b.share,
               b.share_low, b.share_high, b.balance
        FROM ref_bucket_balance_4w b JOIN buckets k USING (bucket_id)
        WHERE b.week = ?
        ORDER BY b.target_share DESC, b.bucket_id
        """,
        [week],
    ).fetchall()
    return [BucketBalance(*r) for r in rows]


def coverage(con: duckdb.DuckDBPyConnection, week: str) -> Coverage:
    # `week_coverage` and `week_languages` of the week, from the week's posts only
    lo, hi = _near_week(con, week)
    row = con.execute(
        f"""
        SELECT
            count(*) FILTER (WHERE NOT p.is_own) AS audience_rows,
            count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own) AS audience_posts,
            count(*) FILTER (WHERE NOT p.is_own)
                - count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own) AS duplicates,
            count(DISTINCT p.content_key) FILTER (WHERE p.is_own) AS own_posts,
            count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own AND p.lang IS NOT NULL)
                AS enriched_posts,
            count(DISTINCT p.content_key)
                FILTER (WHERE NOT p.is_own AND p.sentiment_label IS NOT NULL) AS rated_posts,
            count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own AND EXISTS (
                SELECT 1 FROM post_topics t WHERE t.post_id = p.post_id)) AS tagged_posts,
            count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own AND p.is_question)
                AS questions
        FROM _post_facts p
        WHERE {_IN_WEEK}
        GROUP BY p.week
        """,
        [week, lo, hi],
    ).fetchone()
    langs = con.execute(
        f"""
        SELECT p.lang, count(DISTINCT p.content_key) AS posts
        FROM _post_facts p
        WHERE NOT p.is_own AND {_IN_WEEK}
        GROUP BY ALL
        ORDER BY posts DESC, p.lang NULLS LAST
        """,
        [week, lo, hi],
    ).fetchall()
    n = [int(x) for x in row] if row else [0] * 8
    return Coverage(
        audience_rows=n[0],
        audience_posts=n[1],
        duplicates=n[2],
        own_posts=n[3],
        enriched_posts=n[4],
        rated_posts=n[5],
        tagged_posts=n[6],
        questions=n[7],
        languages=tuple((lang, int(k)) for lang, k in langs),
    )


def silent_sources(con: duckdb.DuckDBPyConnection, week: str) -> list[str]:
    """Active sources with no post in `week` although they had posts in the 8 weeks before."""
    lo, hi = _near_week(con, week)
    rows = con.execute(
        """
        WITH w AS (SELECT week_start FROM ref_digest_weeks WHERE week = ?),
        recent AS (  -- each source's posts in the week and in the 8 weeks before
            SELECT c.source_id,
                   bool_or(c.week_start = w.week_start) AS in_week,
                   bool_or(c.week_start < w.week_start) AS before
            FROM ref_post_calendar c, w
            WHERE c.posted_at >= ?::TIMESTAMPTZ - INTERVAL 56 DAY AND c.posted_at < ?
              AND c.week_start >= w.week_start - INTERVAL 56 DAY
              AND c.week_start <= w.week_start
            GROUP BY c.source_id
        )
        SELECT s.source_id FROM _sources s JOIN recent r USING (source_id)
        WHERE s.active AND r.before AND NOT r.in_week
        ORDER BY s.source_id
        """,
        [week, lo, hi],
    ).fetchall()
    return [r[0] for r in rows]
