"""Digest metrics: plain SQL over the analyst views, so every figure can be reproduced there."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb

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
    rows = con.execute(
        """
        SELECT t.topic_id, t.label, t.bucket_id,
               coalesce(cur.posts, 0), coalesce(prev.posts, 0), coalesce(cur.authors, 0),
               cur.avg_sentiment, cur.negative_share, coalesce(cur.engagement, 0)
        FROM topics t
        LEFT JOIN topic_weekly cur ON cur.topic_id = t.topic_id AND cur.week = ?
        LEFT JOIN topic_weekly prev ON prev.topic_id = t.topic_id AND prev.week = ?
        ORDER BY coalesce(cur.posts, 0) DESC, coalesce(cur.engagement, 0) DESC, t.topic_id
        """,
        [week, previous_week(week)],
    ).fetchall()
    return [TopicWeek(*r) for r in rows]


def top_posts(con: duckdb.DuckDBPyConnection, week: str, limit: int = 10) -> list[TopPost]:
    """The audience's most engaging posts of the week (newest first among equals)."""
    rows = con.execute(
        """
        SELECT p.post_id, p.url, p.title, p.text, p.source_id, p.author, p.published_at,
               coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0) AS engagement,
               p.sentiment_label,
               coalesce(list(t.topic_id ORDER BY t.topic_id)
                        FILTER (WHERE t.topic_id IS NOT NULL), []) AS topics
        FROM posts p
        JOIN post_weeks w USING (post_id)
        LEFT JOIN post_topics t USING (post_id)
        WHERE w.week = ? AND NOT p.is_own
        GROUP BY ALL
        ORDER BY engagement DESC, len(topics) DESC, p.published_at DESC NULLS LAST, p.post_id
        LIMIT ?
        """,
        [week, limit],
    ).fetchall()
    return [
        TopPost(*r[:9], topics=tuple(r[9]))  # type: ignore[misc]
        for r in rows
    ]


def source_coverage(con: duckdb.DuckDBPyConnection, week: str) -> list[SourceStatus]:
    """Each active source's last fetch outcome and its posts in the week."""
    rows = con.execute(
        """
        SELECT s.source_id, s.url, s.owned, s.last_status, s.last_error, s.last_success_at,
               count(w.post_id) AS posts_in_week
        FROM _sources s
        LEFT JOIN _posts p ON p.source_id = s.source_id
        LEFT JOIN post_weeks w ON w.post_id = p.post_id AND w.week = ?
        WHERE s.active
        GROUP BY ALL
        ORDER BY s.source_id
        """,
        [week],
    ).fetchall()
    return [SourceStatus(*r) for r in rows]


def week_totals(con: duckdb.DuckDBPyConnection, week: str) -> WeekTotals:
    """Posts of the week; tagged and enriched count audience posts, like audience_posts."""
    row = con.execute(
        """
        SELECT count(*) FILTER (WHERE NOT p.is_own),
               count(*) FILTER (WHERE p.is_own),
               count(*) FILTER (WHERE NOT p.is_own AND EXISTS (
                   SELECT 1 FROM post_topics t WHERE t.post_id = p.post_id)),
               count(*) FILTER (WHERE NOT p.is_own AND p.lang IS NOT NULL)
        FROM posts p JOIN post_weeks w USING (post_id)
        WHERE w.week = ?
        """,
        [week],
    ).fetchall()[0]
    return WeekTotals(*(int(x) for x in row))
