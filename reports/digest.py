"""The weekly digest as plain data: the warehouse's metrics of one ISO week, nothing rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from earshot.reports.i18n import strings
from earshot.warehouse.digest_posts import TopPost, top_post_of_topics, top_posts
from earshot.warehouse.digest_queries import (
    BucketBalance,
    Coverage,
    EmergingTerm,
    SourceStatus,
    TopicMovement,
    TopicShare,
    bucket_balance,
    configured_buckets,
    coverage,
    emerging_terms,
    silent_sources,
    source_coverage,
    topic_buckets,
    topic_movements,
    topic_shares,
)
from earshot.warehouse.facts import require_fresh
from earshot.warehouse.questions import AudienceQuestion, audience_questions
from earshot.warehouse.weeks import parse_week, week_bounds

FEW_POSTS = 5  # below this many posts in either week a percentage says more noise than news
SNIPPET_CHARS = 240


class ChangeKind(StrEnum):
    PERCENT = "percent"  # enough posts in both weeks for a percentage to mean something
    FEW = "few"  # fewer than FEW_POSTS in one of the weeks: absolute change only
    NEW = "new"  # nothing last week
    NONE = "none"  # nothing in either week


@dataclass(frozen=True, slots=True)
class TopicChange:
    """A topic's volume this week against last week."""

    absolute: int
    percent: float | None  # a ratio (0.25 = +25 %), only when kind is PERCENT
    kind: ChangeKind


def topic_change(topic: TopicMovement) -> TopicChange:
    now, before = topic.posts, topic.previous_posts
    if now == 0 and before == 0:
        return TopicChange(0, None, ChangeKind.NONE)
    if before == 0:
        return TopicChange(now, None, ChangeKind.NEW)
    if now < FEW_POSTS or before < FEW_POSTS:
        return TopicChange(now - before, None, ChangeKind.FEW)
    return TopicChange(now - before, (now - before) / before, ChangeKind.PERCENT)


def web_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL (safe to link), else None."""
    if not url:
        return None
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Whitespace collapsed, cut at a word boundary to at most `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def headline(post: TopPost) -> str:
    """What the digest shows of a post: its title, or else the start of its text."""
    return snippet(post.title if post.title and post.title.strip() else post.text)


@dataclass(frozen=True)
class Digest:
    """Everything the digest templates show, as plain data."""

    organisation: str
    week: str  # ISO week, '2026-W47'
    language: str  # 'de' | 'en'
    timezone: str  # the organisation's zone: weeks and times are local to it
    period_start: date  # Monday
    period_end: date  # Sunday (inclusive)
    coverage: Coverage  # the week's denominators: audience, own and tagged posts
    movements: list[TopicMovement]  # every configured topic, strongest rise first
    top_posts: list[TopPost]  # the audience's most engaging posts
    sources: list[SourceStatus]  # every active source
    generated_at: datetime  # local to `timezone`
    # The other sections of views/digest_views.sql (empty when built without them).
    emerging: list[EmergingTerm] = field(default_factory=list)
    questions: list[AudienceQuestion] = field(default_factory=list)
    shares: list[TopicShare] = field(default_factory=list)  # "talk more" first
    buckets: list[BucketBalance] = field(default_factory=list)
    silent_sources: list[str] = field(default_factory=list)
    bucket_labels: list[str] = field(default_factory=list)  # every configured bucket
    topic_buckets: dict[str, str] = field(default_factory=dict)  # topic_id -> bucket_id
    # Sources that delivered during the week: posts of the week, or a successful fetch at or
    # after its start (a 304 is a success).
    reached_sources: list[str] = field(default_factory=list)
    partial: bool = False  # the week had not ended when the digest was built
    # The most engaging audience post of the week per topic and per emerging term, for the
    # topics and terms the summary may name (the top-post query, filtered).
    topic_posts: dict[str, TopPost] = field(default_factory=dict)
    term_posts: dict[str, TopPost] = field(default_factory=dict)

    @property
    def year(self) -> int:
        return parse_week(self.week)[0]

    @property
    def week_number(self) -> int:
        return parse_week(self.week)[1]

    @property
    def topics(self) -> list[TopicMovement]:
        """Every configured topic by volume (the topic table), most posts first."""
        return sorted(self.movements, key=lambda m: (-m.posts, -m.engagement, m.topic_id))

    def change(self, topic: TopicMovement) -> TopicChange:
        return topic_change(topic)

    def topic_label(self, topic_id: str) -> str:
        """The configured label of a topic; its id when the taxonomy no longer has it."""
        for t in self.movements:
            if t.topic_id == topic_id:
                return t.label
        return topic_id

    @property
    def at_risk(self) -> list[TopicMovement]:
        return [m for m in self.movements if m.at_risk]

    @property
    def distinct_questions(self) -> list[AudienceQuestion]:
        """Each question post once, under the first topic it ranks in (a post tagged with two
        topics is among both topics' questions)."""
        seen: set[str] = set()
        found: list[AudienceQuestion] = []
        for q in self.questions:
            if q.post_id not in seen:
                seen.add(q.post_id)
                found.append(q)
        return found

    @property
    def moved(self) -> list[TopicMovement]:
        """Topics whose volume rose or fell beyond chance against their baseline."""
        return [m for m in self.movements if m.movement in ("rising", "falling")]

    @property
    def sources_failed(self) -> list[SourceStatus]:
        return [s for s in self.sources if s.last_status == "failed"]

    @property
    def no_source_reachable(self) -> bool:
        """No active source delivered anything during the week (also true when none is
        configured). A source failing now does not count against a week it delivered in."""
        return not self.reached_sources

    @property
    def has_posts(self) -> bool:
        return self.coverage.audience_posts > 0


def build_digest(
    con: duckdb.DuckDBPyConnection,
    *,
    week: str,
    organisation: str,
    timezone: str,
    language: str,
    top_n: int = 10,
    questions_per_topic: int = 3,
    now: datetime | None = None,
) -> Digest:
    """Read the week's metrics from the warehouse into a `Digest`.

    `now` (default: the current time) is when the digest counts as generated.
    """
    parse_week(week)
    strings(language)  # fail early on an unknown language
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone {timezone!r}: expected an IANA zone like Europe/Berlin"
        ) from None
    if top_n < 1:
        raise ValueError(f"top_n {top_n}: expected at least 1")
    start, end = week_bounds(week, timezone)
    require_fresh(con)
    generated = (now or datetime.now(UTC)).astimezone(zone)
    movements = topic_movements(con, week)
    sources = source_coverage(con, week)
    emerging = emerging_terms(con, week)
    shares = topic_shares(con, week)
    named = [m.topic_id for m in movements if m.at_risk or m.movement in ("rising", "falling")]
    named += [x.topic_id for x in shares if x.advice == "talk more"][:1]
    tops = top_post_of_topics(con, week, list(dict.fromkeys(named)))
    topic_posts = {tid: tops[tid] for tid in dict.fromkeys(named) if tid in tops}
    term_posts = {
        e.term: found[0] for e in emerging[:1] if (found := top_posts(con, week, 1, term=e.term))
    }
    return Digest(
        organisation=organisation,
        week=week,
        language=language,
        timezone=timezone,
        period_start=start.date(),
        period_end=(end - timedelta(days=1)).date(),
        coverage=coverage(con, week),
        movements=movements,
        top_posts=top_posts(con, week, top_n),
        sources=sources,
        generated_at=generated,
        emerging=emerging,
        questions=audience_questions(con, week, questions_per_topic),
        shares=shares,
        buckets=bucket_balance(con, week),
        silent_sources=silent_sources(con, week),
        bucket_labels=configured_buckets(con),
        topic_buckets=topic_buckets(con),
        reached_sources=[
            s.source_id
            for s in sources
            if s.posts_in_week > 0 or (s.last_success_at is not None and s.last_success_at >= start)
        ],
        partial=generated < end,
        topic_posts=topic_posts,
        term_posts=term_posts,
    )
