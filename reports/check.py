"""The pre-send check: what a draft touches and how the audience moved on it lately.

The draft is tagged by the same NLP pipeline as the posts (the caller passes the topics it
found); every figure then comes from the digest's views: `topic_movement` for the last
complete week, `topic_spikes` for the last 24 hours, `audience_questions` for the recent
questions, `bucket_balance_4w` for the buckets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from earshot.reports.digest import snippet, web_url
from earshot.warehouse.digest_posts import AudienceQuestion, audience_questions
from earshot.warehouse.digest_queries import (
    BucketBalance,
    TopicMovement,
    bucket_balance,
    topic_movements,
)
from earshot.warehouse.spikes import Spike, topic_spikes
from earshot.warehouse.weeks import previous_week

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.M)
_MD_MARKS = re.compile(r"(\*\*|__|`{1,3}|^\s*[-*+>]\s+|^\s*\d+\.\s+)", re.M)


def draft_text(markdown: str) -> str:
    """Plain text of a text or Markdown draft: link texts kept, markup dropped, #hashtags kept."""
    text = _MD_LINK.sub(r"\1", markdown)
    text = _MD_HEADING.sub("", text)
    return _MD_MARKS.sub("", text)


@dataclass
class DraftCheck:
    week: str
    touched: list[str]  # labels of the topics (and buckets) the draft touches
    topics: list[TopicMovement]  # the topics the draft touches, last complete week
    buckets: list[BucketBalance]  # the buckets of those topics, own posts over 4 weeks
    questions: list[AudienceQuestion]  # recent audience questions on those topics
    spikes: list[Spike]  # current spikes (last 24 h) on those topics
    warnings: list[str] = field(default_factory=list)


def check_draft(
    con: duckdb.DuckDBPyConnection,
    *,
    topic_ids: Sequence[str],
    bucket_ids: Sequence[str],
    week: str,
    now: datetime,
    questions_per_topic: int = 3,
) -> DraftCheck:
    """What the digest engine says about the draft's topics (`week` = last complete week)."""
    wanted = set(topic_ids)
    topics = [m for m in topic_movements(con, week) if m.topic_id in wanted]
    buckets = [b for b in bucket_balance(con, week) if b.bucket_id in set(bucket_ids)]
    questions = [
        q
        for w in (week, previous_week(week))
        for q in audience_questions(con, w, questions_per_topic)
        if q.topic_id in wanted
    ]
    spikes = [s for s in topic_spikes(con, now) if s.topic_id in wanted]
    labels = dict(con.execute("SELECT topic_id, label FROM topics").fetchall())
    buckets_by_id = dict(con.execute("SELECT bucket_id, label FROM buckets").fetchall())
    touched = [labels.get(t, t) for t in topic_ids] + [
        f"bucket {buckets_by_id.get(b, b)}" for b in bucket_ids
    ]
    result = DraftCheck(week, touched, topics, buckets, questions, spikes)
    for s in spikes:
        if s.kind == "negative":
            result.warnings.append(
                f"{s.label}: negative spike right now ({s.value:.0%} negative in 24 h, "
                f"usually {s.baseline:.0%})"
            )
    for m in topics:
        if m.at_risk:
            result.warnings.append(f"{m.label}: on the risk watch in {week}")
    for b in buckets:
        if b.balance == "above target":
            result.warnings.append(f"bucket {b.label}: already above its target share")
    return result


def format_check(result: DraftCheck, *, unmatched: bool) -> str:
    """The report `earshot check` prints (English, plain text)."""
    lines: list[str] = []
    if unmatched:
        lines.append("The draft touches none of the configured topics.")
    else:
        lines.append("The draft touches: " + ", ".join(result.touched))
    for m in result.topics:
        change = m.movement if m.movement != "steady" else "no clear change"
        lines.append(
            f"Topic {m.label}: {m.posts} audience posts in {result.week} "
            f"(baseline {m.baseline_mean or 0:.1f}/week, {change}); "
            f"negative {m.negative_share or 0:.0%} (baseline {m.baseline_negative_share or 0:.0%})"
        )
    for b in result.buckets:
        share = "no own posts" if b.share is None else f"{b.share:.0%}"
        lines.append(
            f"Bucket {b.label}: {share} of your posts over 4 weeks, target {b.target_share:.0%} "
            f"({b.balance})"
        )
    if result.questions:
        lines.append("Open audience questions on these topics:")
        for q in result.questions:
            link = web_url(q.url) or ""
            text = snippet(q.title or q.text, 120)
            lines.append(f"  ? {text} ({q.engagement} engagement) {link}".rstrip())
    for w in result.warnings:
        lines.append(f"WARNING: {w}")
    if not result.warnings:
        lines.append("No warnings: the draft does not land in a negative spike.")
    return "\n".join(lines) + "\n"
