"""Digest metrics: the SQL of the analyst views, so every figure can be reproduced there.

Aggregates are read from the per-week digest facts (`warehouse.facts`, the tables the views
read too); post-level figures (top posts, questions) read the posts of the week's time range.
`reports.digest.build_digest` refreshes the facts of changed weeks first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from warehouse.facts import ensure_fresh, week_start_sql

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> tuple[int, int]:
    """'2026-W47' -> (2026, 47); a clear ValueError otherwise."""
    m = _WEEK.match(week)
    if not m:
        raise ValueError(f"week {week!r}: expected an ISO week like 2026-W47")
    year, num = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, num, 1)
    except ValueError as exc:
        raise ValueError(f"week {week!r}: {year} has no week {num}") from exc
    return year, num


def iso_week(day: date) -> str:
    year, num, _ = day.isocalendar()
    return f"{year}-W{num:02d}"


def previous_week(week: str) -> str:
    year, num = parse_week(week)
    return iso_week(date.fromisocalendar(year, num, 1) - timedelta(days=7))


def last_complete_week(now: datetime, timezone: str) -> str:
    """The ISO week before the one `now` falls in, in the organisation's time zone."""
    local = now.astimezone(ZoneInfo(timezone)).date()
    return iso_week(local - timedelta(days=7))


def week_bounds(week: str, timezone: str) -> tuple[datetime, datetime]:
    """Start (Monday 00:00) and end (next Monday 00:00) of an ISO week, zone-aware."""
    year, num = parse_week(week)
    start = datetime.combine(date.fromisocalendar(year, num, 1), datetime.min.time())
    start = start.replace(tzinfo=ZoneInfo(timezone))
    return start, start + timedelta(days=7)


@dataclass(frozen=True, slots=True)
class TopicWeek:
    topic_id: str
    label: str
    bucket_id: str | None
    posts: int
    previous_posts: int
    authors: int
    avg_sentiment: float | None
    negative_share: float | None
    engagement: int


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


@dataclass(frozen=True, slots=True)
class SourceStatus:
    source_id: str
    url: str
    owned: bool
    last_status: str | None
    last_error: str | None
    last_success_at: datetime | None
    posts_in_week: int


@dataclass(frozen=True, slots=True)
class WeekTotals:
    audience_posts: int
    own_posts: int
    tagged_posts: int
    enriched_posts: int


def topic_movement(con: duckdb.DuckDBPyConnection, week: str) -> list[TopicWeek]:
    """Every configured topic with this week's figures and last week's volume, by volume."""
    ensure_fresh(con)  # the facts of weeks changed since the last write cycle
    before = previous_week(week)
    rows = con.execute(
        """
        WITH topic_weekly AS (
            SELECT * FROM topic_weekly WHERE week IN (?, ?)
        )
        SELECT t.topic_id, t.label, t.bucket_id,
               coalesce(cur.posts, 0), coalesce(prev.posts, 0), coalesce(cur.authors, 0),
               cur.avg_sentiment, cur.negative_share, coalesce(cur.engagement, 0)
        FROM topics t
        LEFT JOIN topic_weekly cur ON cur.topic_id = t.topic_id AND cur.week = ?
        LEFT JOIN topic_weekly prev ON prev.topic_id = t.topic_id AND prev.week = ?
        ORDER BY coalesce(cur.posts, 0) DESC, coalesce(cur.engagement, 0) DESC, t.topic_id
        """,
        [week, before, week, before],
    ).fetchall()
    return [TopicWeek(*r) for r in rows]


def _week_start(week: str) -> date:
    year, num = parse_week(week)
    return date.fromisocalendar(year, num, 1)


def _in_week(con: duckdb.DuckDBPyConnection, week: str) -> tuple[str, list[object]]:
    """A filter on `_post_facts p` for the posts of `week`, and its parameters.

    The week's time range in the warehouse's zone: a comparison per post, no zone
    conversion. A zone Python does not know falls back to the exact test on the local week.
    """
    row = con.execute("SELECT value FROM _settings WHERE key = 'timezone'").fetchone()
    try:
        start, end = week_bounds(week, row[0] if row else "UTC")
    except (KeyError, ValueError):
        return f"{week_start_sql('coalesce(p.published_at, p.fetched_at)')} = ?", [
            _week_start(week)
        ]
    return (
        "coalesce(p.published_at, p.fetched_at) >= ? "
        "AND coalesce(p.published_at, p.fetched_at) < ?",
        [start, end],
    )


def top_posts(con: duckdb.DuckDBPyConnection, week: str, limit: int = 10) -> list[TopPost]:
    """The audience's most engaging posts of the week (newest first among equals)."""
    in_week, params = _in_week(con, week)
    # Only posts at least as engaging as the limit-th can be among the first `limit`, so the
    # join with their topics (the ordering's second key) is made for those alone; the texts
    # are read for the winners only.
    top = con.execute(
        f"""
        WITH week_posts AS (
            SELECT p.post_id, p.published_at, p.rowid AS row,
                   coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)
                       AS engagement
            FROM _posts p LEFT JOIN _sources s USING (source_id)
            WHERE {in_week} AND NOT coalesce(s.owned, false)
        ),
        candidates AS (
            SELECT * FROM week_posts
            WHERE engagement >= (SELECT min(engagement) FROM (
                SELECT engagement FROM week_posts ORDER BY engagement DESC LIMIT ?))
        )
        SELECT c.post_id, c.engagement, a.sentiment_label, c.published_at, c.row,
               coalesce(list(t.topic_id ORDER BY t.topic_id)
                        FILTER (WHERE t.topic_id IS NOT NULL), []) AS topics
        FROM candidates c
        LEFT JOIN _annotations a USING (post_id)
        LEFT JOIN post_topics t USING (post_id)
        GROUP BY ALL
        ORDER BY c.engagement DESC, len(topics) DESC, c.published_at DESC NULLS LAST, c.post_id
        LIMIT ?
        """,
        [*params, limit, limit],
    ).fetchall()
    if not top:
        return []
    texts = _post_columns(
        con,
        "p.url, p.title, p.text, p.source_id, p.author, p.published_at",
        {r[0]: r[4] for r in top},
    )
    posts: list[TopPost] = []
    for post_id, engagement, label, _published, _row, topics in top:
        url, title, text, source_id, author, published_at = texts[post_id]
        posts.append(
            TopPost(
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
        )
    return posts


def _post_columns(
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


def source_coverage(con: duckdb.DuckDBPyConnection, week: str) -> list[SourceStatus]:
    """Each active source's last fetch outcome and its posts in the week."""
    ensure_fresh(con)  # the facts of weeks changed since the last write cycle
    rows = con.execute(
        """
        SELECT s.source_id, s.url, s.owned, s.last_status, s.last_error, s.last_success_at,
               coalesce(c.posts, 0) AS posts_in_week
        FROM _sources s
        LEFT JOIN _fact_week_sources c ON c.source_id = s.source_id AND c.week_start = ?
        WHERE s.active
        ORDER BY s.source_id
        """,
        [_week_start(week)],
    ).fetchall()
    return [SourceStatus(*r) for r in rows]


def week_totals(con: duckdb.DuckDBPyConnection, week: str) -> WeekTotals:
    """Posts of the week; tagged and enriched count audience posts, like audience_posts."""
    ensure_fresh(con)  # the facts of weeks changed since the last write cycle
    row = con.execute(
        """
        SELECT audience_rows, own_rows, tagged_rows, enriched_rows
        FROM _fact_weeks WHERE week_start = ?
        """,
        [_week_start(week)],
    ).fetchone()
    return WeekTotals(*(int(x) for x in row)) if row else WeekTotals(0, 0, 0, 0)


# --- the digest's sections, read from the views of views/digest_views.sql ---------------------


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
class AudienceQuestion:
    topic_id: str | None
    post_id: str
    url: str | None
    title: str | None
    text: str
    author: str | None
    engagement: int


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


_MOVEMENT_COLUMNS = """
    m.topic_id, t.label, m.posts, m.previous_posts, m.authors, m.engagement, m.avg_sentiment,
    m.rated_posts, m.negative_share, m.baseline_weeks, m.baseline_mean,
    m.baseline_negative_share, m.volume_z, m.negative_z, m.few_posts, m.movement, m.at_risk
"""


def topic_movements(con: duckdb.DuckDBPyConnection, week: str) -> list[TopicMovement]:
    """Every topic's row of `topic_movement` for `week`, strongest rise first."""
    ensure_fresh(con)  # the facts of weeks changed since the last write cycle
    rows = con.execute(
        f"""
        SELECT {_MOVEMENT_COLUMNS}
        FROM topic_movement m JOIN topics t USING (topic_id)
        WHERE m.week = ?
        ORDER BY m.volume_z DESC NULLS LAST, m.posts DESC, m.topic_id
        """,
        [week],
    ).fetchall()
    return [TopicMovement(*r) for r in rows]


def emerging_terms(
    con: duckdb.DuckDBPyConnection, week: str, limit: int = 10
) -> list[EmergingTerm]:
    ensure_fresh(con)  # the facts of weeks changed since the last write cycle
    rows = con.execute(
        """
        SELECT term, posts, authors, baseline_mean, volume_z FROM emerging_terms
        WHERE week = ? ORDER BY volume_z DESC, posts DESC, term LIMIT ?
        """,
        [week, limit],
    ).fetchall()
    return [EmergingTerm(*r) for r in rows]


def audience_questions(
    con: duckdb.DuckDBPyConnection, week: str, per_topic: int = 3
) -> list[AudienceQuestion]:
    """The most engaging questions of each topic (NULL topic last), most engaging first.

    `audience_questions`' rows of the week, ranked over the posts of the week's time range
    (the texts read for the rows shown only).
    """
    in_week, params = _in_week(con, week)
    ranked = con.execute(
        f"""
        WITH questions AS (
            SELECT p.post_id, p.published_at, p.rowid AS row,
                   coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)
                       AS engagement
            FROM _posts p
            JOIN _annotations a USING (post_id)
            LEFT JOIN _sources s USING (source_id)
            WHERE a.is_question AND NOT coalesce(s.owned, false) AND {in_week}
        ),
        ranked AS (
            SELECT t.topic_id, q.post_id, q.engagement, q.row,
                   row_number() OVER (
                       PARTITION BY t.topic_id
                       ORDER BY q.engagement DESC, q.published_at DESC NULLS LAST, q.post_id
                   ) AS rank_in_topic
            FROM questions q
            LEFT JOIN post_topics t USING (post_id)
        )
        SELECT topic_id, post_id, engagement, row FROM ranked
        WHERE rank_in_topic <= ?
        ORDER BY topic_id NULLS LAST, rank_in_topic
        """,
        [*params, per_topic],
    ).fetchall()
    if not ranked:
        return []
    texts = _post_columns(con, "p.url, p.title, p.text, p.author", {r[1]: r[3] for r in ranked})
    questions: list[AudienceQuestion] = []
    for topic_id, post_id, engagement, _row in ranked:
        url, title, text, author = texts[post_id]
        questions.append(AudienceQuestion(topic_id, post_id, url, title, text, author, engagement))
    return questions


def topic_shares(con: duckdb.DuckDBPyConnection, week: str) -> list[TopicShare]:
    """`topic_share_4w` for the 4 weeks ending with `week`, largest gap ("talk more") first."""
    ensure_fresh(con)  # the facts of weeks changed since the last write cycle
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
    ensure_fresh(con)  # the facts of weeks changed since the last write cycle
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
    """`week_coverage` and `week_languages` of the week."""
    ensure_fresh(con)  # the facts of weeks changed since the last write cycle
    start = _week_start(week)
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
    ensure_fresh(con)  # the facts of weeks changed since the last write cycle
    rows = con.execute(
        """
        WITH w AS (SELECT week_start FROM digest_weeks WHERE week = ?),
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
class Spike:
    """A topic's recent window against the same-length windows before it (for alerts)."""

    topic_id: str
    label: str
    kind: str  # 'volume' | 'negative'
    posts: int
    baseline: float  # mean posts per window (volume) or negative share (negative)
    value: float  # posts (volume) or negative share (negative) in the window
    z: float


def topic_spikes(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    *,
    window_hours: int = 24,
    baseline_windows: int = 28,
    min_posts: int = 5,
    min_z: float = 3.0,
) -> list[Spike]:
    """Audience volume or negativity spikes per topic in the last `window_hours` before `now`.

    The same tests as `topic_movement`, on windows instead of weeks: the baseline is the
    `baseline_windows` windows before the current one.
    """
    rows = con.execute(
        """
        WITH w AS (
            SELECT t.topic_id,
                   coalesce(p.published_at, p.fetched_at) >= ?::TIMESTAMPTZ - to_hours(?) AS cur,
                   p.content_key, p.sentiment_label
            FROM post_topics t JOIN posts p USING (post_id)
            WHERE NOT p.is_own
              AND coalesce(p.published_at, p.fetched_at) < ?::TIMESTAMPTZ
              AND coalesce(p.published_at, p.fetched_at)
                  >= ?::TIMESTAMPTZ - to_hours(? * (? + 1))
        ),
        agg AS (
            SELECT topic_id,
                   count(DISTINCT content_key) FILTER (WHERE cur) AS n1,
                   count(DISTINCT content_key) FILTER (WHERE NOT cur) AS n0,
                   count(sentiment_label) FILTER (WHERE cur) AS r1,
                   count(*) FILTER (WHERE cur AND sentiment_label = 'negative') AS g1,
                   count(sentiment_label) FILTER (WHERE NOT cur) AS r0,
                   count(*) FILTER (WHERE NOT cur AND sentiment_label = 'negative') AS g0
            FROM w GROUP BY topic_id
        )
        SELECT a.topic_id, t.label, n1, n0, r1, g1, r0, g0
        FROM agg a JOIN topics t USING (topic_id)
        ORDER BY a.topic_id
        """,
        [now, window_hours, now, now, window_hours, baseline_windows],
    ).fetchall()
    spikes: list[Spike] = []
    k = baseline_windows
    for topic_id, label, n1, n0, r1, g1, r0, g0 in rows:
        mean = n0 / k
        if max(n1, mean) >= min_posts and n1 + n0 > 0:
            p0 = 1 / (k + 1)
            z = (n1 - (n1 + n0) * p0) / ((n1 + n0) * p0 * (1 - p0)) ** 0.5
            if z >= min_z:
                spikes.append(Spike(topic_id, label, "volume", n1, mean, float(n1), z))
        if r1 >= min_posts and r0 > 0 and 0 < g1 + g0 < r1 + r0:
            pooled = (g1 + g0) / (r1 + r0)
            z = (g1 / r1 - g0 / r0) / (pooled * (1 - pooled) * (1 / r1 + 1 / r0)) ** 0.5
            if z >= min_z:
                spikes.append(Spike(topic_id, label, "negative", n1, g0 / r0, g1 / r1, z))
    return spikes
