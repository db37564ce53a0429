"""The pre-send check: what a draft touches and how the audience moved on it lately.

The draft is tagged by the same NLP pipeline as the posts (the caller passes the topics it
found); every figure then comes from the digest's views and lists: `topic_movement` for the
last complete week, `topic_spikes` for the last 24 hours, the digest's open questions
(`warehouse.questions.audience_questions`) of that week and the one before, `bucket_balance_4w`
for the buckets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from earshot.reports.digest import snippet, web_url
from earshot.reports.i18n import format_decimal, format_int, format_percent, strings
from earshot.warehouse.digest_queries import (
    BucketBalance,
    TopicMovement,
    bucket_balance,
    topic_movements,
)
from earshot.warehouse.questions import AudienceQuestion, audience_questions
from earshot.warehouse.spikes import Spike, topic_spikes
from earshot.warehouse.weeks import parse_week, previous_week

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


def _week_label(week: str, language: str) -> str:
    year, num = parse_week(week)
    return strings(language)["subject_week"].format(week=week, year=year, num=num)


def check_draft(
    con: duckdb.DuckDBPyConnection,
    *,
    topic_ids: Sequence[str],
    bucket_ids: Sequence[str],
    week: str,
    now: datetime,
    questions_per_topic: int = 3,
    language: str = "en",
) -> DraftCheck:
    """What the digest engine says about the draft's topics (`week` = last complete week),
    its labels and warnings in `language` (the digest's)."""
    s = strings(language)
    wanted = set(topic_ids)
    topics = [m for m in topic_movements(con, week) if m.topic_id in wanted]
    buckets = [b for b in bucket_balance(con, week) if b.bucket_id in set(bucket_ids)]
    questions = [
        q
        for w in (week, previous_week(week))
        for q in audience_questions(con, w, questions_per_topic)
        if q.topic_id in wanted
    ]
    spikes = [x for x in topic_spikes(con, now) if x.topic_id in wanted]
    labels = dict(con.execute("SELECT topic_id, label FROM topics").fetchall())
    buckets_by_id = dict(con.execute("SELECT bucket_id, label FROM buckets").fetchall())
    touched = [labels.get(t, t) for t in topic_ids] + [
        s["check_bucket_label"].format(bucket=buckets_by_id.get(b, b)) for b in bucket_ids
    ]
    result = DraftCheck(week, touched, topics, buckets, questions, spikes)
    for spike in spikes:
        if spike.kind == "negative":
            result.warnings.append(
                s["check_warn_spike"].format(
                    topic=spike.label,
                    value=format_percent(spike.value, language),
                    baseline=format_percent(spike.baseline, language),
                )
            )
    for m in topics:
        if m.at_risk:
            result.warnings.append(
                s["check_warn_risk"].format(topic=m.label, week=_week_label(week, language))
            )
    for b in buckets:
        if b.balance == "above target":
            result.warnings.append(s["check_warn_bucket"].format(bucket=b.label))
    return result


def format_check(result: DraftCheck, *, unmatched: bool, language: str = "en") -> str:
    """The report `earshot check` prints (plain text, in `language`: the digest's)."""
    s = strings(language)
    lines: list[str] = []
    if unmatched:
        lines.append(s["check_unmatched"])
    else:
        lines.append(s["check_touches"].format(touched=", ".join(result.touched)))
    week = _week_label(result.week, language)
    for m in result.topics:
        lines.append(
            s["check_topic"].format(
                topic=m.label,
                posts=format_int(m.posts, language),
                week=week,
                baseline=format_decimal(m.baseline_mean or 0.0, language, digits=1),
                change=s[f"signal_{m.movement}"],
                negative=format_percent(m.negative_share or 0.0, language),
                baseline_negative=format_percent(m.baseline_negative_share or 0.0, language),
            )
        )
    for b in result.buckets:
        share = s["balance_no own posts"] if b.share is None else format_percent(b.share, language)
        lines.append(
            s["check_bucket"].format(
                bucket=b.label,
                share=share,
                target=format_percent(b.target_share, language),
                balance=s[f"balance_{b.balance}"],
            )
        )
    if result.questions:
        lines.append(s["check_questions"])
        for q in result.questions:
            link = web_url(q.url) or ""
            text = snippet(q.title or q.text, 120)
            engagement = format_int(q.engagement, language)
            lines.append(f"  ? {text} ({s['engagement']}: {engagement}) {link}".rstrip())
    for w in result.warnings:
        lines.append(s["check_warning"].format(warning=w))
    if not result.warnings:
        lines.append(s["check_no_warnings"])
    return "\n".join(lines) + "\n"
