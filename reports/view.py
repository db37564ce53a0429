"""The digest's view model: everything the HTML and plain-text templates show, as strings
pre-formatted for the digest's language, so both show the same figures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from earshot.reports.digest import ChangeKind, Digest, TopicChange, headline, web_url
from earshot.reports.i18n import (
    DASH,
    format_date,
    format_datetime,
    format_decimal,
    format_int,
    format_percent,
    format_signed_int,
    strings,
)
from earshot.reports.sections import ERROR_CHARS, section_views, shorten
from earshot.reports.sentences import summary_sentences
from earshot.warehouse.digest_queries import SourceStatus
from earshot.warehouse.weeks import parse_week


def view_model(digest: Digest) -> dict[str, Any]:
    """Everything the templates show, formatted for the digest's language."""
    lang = digest.language
    s = strings(lang)
    zone = ZoneInfo(digest.timezone)
    t = digest.coverage
    topics = [
        {
            "label": topic.label,
            "posts": format_int(topic.posts, lang),
            "change": _change_text(digest.change(topic), s, lang),
            "change_kind": digest.change(topic).kind.value,
            "authors": format_int(topic.authors, lang),
            "sentiment": format_decimal(topic.avg_sentiment, lang, signed=True),
            "negative": format_percent(topic.negative_share, lang),
            "engagement": format_int(topic.engagement, lang),
            "details": s["topic_details"].format(
                authors=format_int(topic.authors, lang),
                sentiment=format_decimal(topic.avg_sentiment, lang, signed=True),
                negative=format_percent(topic.negative_share, lang),
            ),
        }
        for topic in digest.topics
    ]
    posts = [
        {
            "headline": headline(p),
            "href": web_url(p.url),
            "url": p.url or "",
            "source": p.source_id,
            "author": p.author or "",
            "published": (
                format_datetime(p.published_at.astimezone(zone), lang) if p.published_at else ""
            ),
            "topics": ", ".join(digest.topic_label(tid) for tid in p.topics),
            "engagement": format_int(p.engagement, lang),
        }
        for p in digest.top_posts
    ]
    sources = [
        {
            "source": src.source_id,
            "own": src.owned,
            "href": web_url(src.url),
            "url": src.url,
            "status": _status_text(src, s),
            "failed": src.last_status == "failed",
            "error": shorten(src.last_error, ERROR_CHARS),
            "posts": format_int(src.posts_in_week, lang),
        }
        for src in digest.sources
    ]
    failed = len(digest.sources_failed)
    sections = section_views(digest, s)
    totals = s["totals"].format(
        audience=format_int(t.audience_posts, lang),
        own=format_int(t.own_posts, lang),
        tagged=format_int(t.tagged_posts, lang),
    )
    if t.duplicates:
        totals += (
            " ("
            + s["totals_duplicates"].format(
                rows=format_int(t.audience_rows, lang), duplicates=format_int(t.duplicates, lang)
            )
            + ")"
        )
    return {
        **sections,
        "s": s,
        "language": lang,
        "title": s["title"],
        "organisation": digest.organisation,
        "week": week_label(digest.week, s),
        "period": period_text(digest.period_start, digest.period_end, lang),
        "totals": totals,
        "notices": _notices(digest, s),
        "summary": summary_sentences(digest),
        "has_posts": digest.has_posts,
        "topics": topics,
        "posts": posts,
        "sources": sources,
        "sources_failed": (
            s["sources_failed"].format(
                failed=format_int(failed, lang), total=format_int(len(digest.sources), lang)
            )
            if failed
            else None
        ),
        "sources_total": (
            s["sources_total"].format(
                rows=format_int(sum(x.posts_in_week for x in digest.sources), lang),
                duplicates=format_int(t.duplicates, lang),
            )
            if t.duplicates
            else None
        ),
        "method": s["method"].format(timezone=digest.timezone),
        "analysts": s["analysts"],
        "generated": s["generated"].format(when=format_datetime(digest.generated_at, lang)),
    }


def period_text(first: date, last: date, language: str) -> str:
    """The first and last day, dash between, in the digest's language."""
    return f"{format_date(first, language)} {DASH} {format_date(last, language)}"


def week_period(week: str, language: str) -> str:
    """Monday to Sunday of an ISO week."""
    year, num = parse_week(week)
    monday = date.fromisocalendar(year, num, 1)
    return period_text(monday, monday + timedelta(days=6), language)


def week_label(week: str, s: Mapping[str, str]) -> str:
    """An ISO week ("2026-W05") as the strings `s` name it."""
    year, num = parse_week(week)
    return s["week"].format(week=week, year=year, num=num)


def _change_text(change: TopicChange, s: Mapping[str, str], language: str) -> str:
    if change.kind is ChangeKind.NONE:
        return DASH
    absolute = format_signed_int(change.absolute, language)
    if change.kind is ChangeKind.NEW:
        return f"{absolute} ({s['change_new']})"
    if change.kind is ChangeKind.FEW:
        return f"{absolute} ({s['change_few']})"
    return f"{absolute} ({format_percent(change.percent, language, signed=True)})"


def _status_text(source: SourceStatus, s: Mapping[str, str]) -> str:
    key = {"ok": "status_ok", "not_modified": "status_not_modified", "failed": "status_failed"}
    if source.last_status is None:
        return s["status_never"]
    return s[key[source.last_status]] if source.last_status in key else source.last_status


def _notices(digest: Digest, s: Mapping[str, str]) -> list[str]:
    """What the reader must know before any figure: a partial week first, then a week no
    source delivered in, or one without audience posts."""
    found: list[str] = []
    if digest.partial:
        found.append(
            s["notice_partial"].format(
                week=week_label(digest.week, s),
                when=format_datetime(digest.generated_at, digest.language),
            )
        )
    if digest.no_source_reachable:
        found.append(s["notice_no_source"])
    elif not digest.has_posts:
        found.append(s["notice_no_posts"])
    return found
