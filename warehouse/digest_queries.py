"""The digest's aggregate sections, read from the views of views/digest_views.sql and the facts.

Every figure here can be reproduced by an analyst from those views. The callers' entry point
(`reports.digest.build_digest`, `earshot check`) checks once that the facts are up to date
(`warehouse.facts.require_fresh`); these functions only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from earshot.warehouse.weeks import week_start


@dataclass(frozen=True, slots=True)
class TopicMovement:
    """One topic's week in `topic_movement`: against last week and its (up to) 8-week baseline."""

    topic_id: str
    label: str
    posts: int
    previous_posts: int
    authors: int
    engagement: int
    avg_sentiment: float | None
    rated_posts: int
    negative_share: float | None
    baseline_weeks: int
    baseline_mean: float | None
    baseline_negative_share: float | None
    volume_z: float | None
    negative_z: float | None
    few_posts: bool
    movement: str  # 'rising' | 'falling' | 'steady' | 'few posts' | 'no baseline'
    at_risk: bool


@dataclass(frozen=True, slots=True)
class EmergingTerm:
    term: str
    posts: int
    authors: int
    baseline_mean: float
    volume_z: float


@dataclass(frozen=True, slots=True)
class TopicShare:
    """A topic's share of audience vs. own topic tags over the 4 weeks ending with the week."""

    topic_id: str
    label: str
    audience_posts: int
    audience_tags: int
    audience_share: float | None
    own_posts: int
    own_tags: int
    own_share: float | None
    gap: float | None
    gap_z: float | None
    advice: str  # 'talk more' | 'talk less' | 'in line' | 'too few posts'


@dataclass(frozen=True, slots=True)
class BucketBalance:
    bucket_id: str
    label: str
    target_share: float
    own_posts: int
    bucket_posts: int
    share: float | None
    share_low: float | None
    share_high: float | None
    balance: str  # 'below target' | 'above target' | 'on target' | 'no own posts'


@dataclass(frozen=True, slots=True)
class Coverage:
    """The denominators of the week (audience unless named own) and the language mix."""

    audience_rows: int
    audience_posts: int
    duplicates: int
    own_posts: int
    enriched_posts: int
    rated_posts: int
    tagged_posts: int
    questions: int
    languages: tuple[tuple[str | None, int], ...]
    set_aside: int = 0  # audience topic matches set aside as not relevant (model or correction)


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
        WITH m AS (SELECT * FROM topic_movement WHERE week = ?)
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
        SELECT term, posts, authors, baseline_mean, volume_z FROM emerging_terms
        WHERE week = ? ORDER BY volume_z DESC, posts DESC, term LIMIT ?
        """,
        [week, limit],
    ).fetchall()
    return [EmergingTerm(*r) for r in rows]


def topic_shares(con: duckdb.DuckDBPyConnection, week: str) -> list[TopicShare]:
    """`topic_share_4w` for the 4 weeks ending with `week`, largest gap ("talk more") first."""
    rows = con.execute(
        """
        SELECT s.topic_id, t.label, s.audience_posts, s.audience_tags, s.audience_share,
               s.own_posts, s.own_tags, s.own_share, s.gap, s.gap_z, s.advice
        FROM topic_share_4w s JOIN topics t USING (topic_id)
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
        FROM bucket_balance_4w b JOIN buckets k USING (bucket_id)
        WHERE b.week = ?
        ORDER BY b.target_share DESC, b.bucket_id
        """,
        [week],
    ).fetchall()
    return [BucketBalance(*r) for r in rows]


def coverage(con: duckdb.DuckDBPyConnection, week: str) -> Coverage:
    """`week_coverage` and `week_languages` of the week, and the matches set aside."""
    start = week_start(week)
    row = con.execute(
        """
        SELECT audience_rows, audience_posts, audience_rows - audience_posts, own_posts,
               enriched_posts, rated_posts, tagged_posts, questions
        FROM _fact_weeks WHERE week_start = ?
        """,
        [start],
    ).fetchone()
    langs = con.execute(
        """
        SELECT lang, posts FROM _fact_week_languages
        WHERE week_start = ?
        ORDER BY posts DESC, lang NULLS LAST
        """,
        [start],
    ).fetchall()
    aside = con.execute(
        "SELECT coalesce(sum(matches), 0) FROM _fact_week_set_aside WHERE week_start = ?",
        [start],
    ).fetchall()[0][0]
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
        set_aside=int(aside),
    )


def silent_sources(con: duckdb.DuckDBPyConnection, week: str) -> list[str]:
    """Active sources with no post in `week` although they had posts in the 8 weeks before."""
    rows = con.execute(
        """
        WITH w AS (SELECT week_start FROM weeks WHERE week = ?),
        recent AS (  -- each source's posts in the week and in the 8 weeks before
            SELECT c.source_id,
                   bool_or(c.week_start = w.week_start) AS in_week,
                   bool_or(c.week_start < w.week_start) AS before
            FROM _fact_week_sources c, w
            WHERE c.week_start >= w.week_start - INTERVAL 56 DAY
              AND c.week_start <= w.week_start
            GROUP BY c.source_id
        )
        SELECT s.source_id FROM _sources s JOIN recent r USING (source_id)
        WHERE s.active AND r.before AND NOT r.in_week
        ORDER BY s.source_id
        """,
        [week],
    ).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    source_id: str
    url: str
    owned: bool
    last_status: str | None
    last_error: str | None
    last_success_at: datetime | None
    posts_in_week: int
    last_attempt_at: datetime | None = None
    failure_count: int = 0  # failed attempts in a row (0 after a success)


def source_coverage(con: duckdb.DuckDBPyConnection, week: str) -> list[SourceStatus]:
    """Each active source's last fetch outcome and its posts in the week."""
    rows = con.execute(
        """
        SELECT s.source_id, s.url, s.owned, s.last_status, s.last_error, s.last_success_at,
               coalesce(c.posts, 0) AS posts_in_week, s.last_attempt_at, s.failure_count
        FROM _sources s
        LEFT JOIN _fact_week_sources c ON c.source_id = s.source_id AND c.week_start = ?
        WHERE s.active
        ORDER BY s.source_id
        """,
        [week_start(week)],
    ).fetchall()
    return [SourceStatus(*r) for r in rows]


def configured_buckets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The labels of the configured content buckets (the taxonomy's, not the week's)."""
    return [r[0] for r in con.execute("SELECT label FROM buckets ORDER BY bucket_id").fetchall()]


def topic_buckets(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """topic_id -> bucket_id of the configured topics that have a bucket."""
    rows = con.execute(
        "SELECT topic_id, bucket_id FROM topics WHERE bucket_id IS NOT NULL"
    ).fetchall()
    return {t: b for t, b in rows}
