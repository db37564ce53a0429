"""The digest as an HTML mail (inline CSS, table layout) and its plain-text alternative.

Both are rendered from one view model of pre-formatted strings, so they show the same figures.
Post texts are data from strangers: the HTML environment autoescapes everything, and only
http(s) URLs become links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from reports.digest import ChangeKind, Digest, TopicChange, headline, web_url
from reports.i18n import (
    DASH,
    format_date,
    format_datetime,
    format_decimal,
    format_int,
    format_percent,
    format_signed_int,
    strings,
)
from warehouse.metrics import SourceStatus, parse_week

_ERROR_CHARS = 300


@cache
def _environment(html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(digest: Digest) -> str:
    return _environment(True).get_template("digest.html.j2").render(_view(digest))


def render_text(digest: Digest) -> str:
    return _environment(False).get_template("digest.txt.j2").render(_view(digest))


def render_index(weeks: Sequence[str], *, organisation: str, language: str) -> str:
    """The outbox's index.html: links to the digests of `weeks`, in the order given."""
    s = strings(language)
    rows = [
        {
            "href": f"{week}/digest.html",
            "week": _week_label(week, s),
            "period": _week_period(week, language),
        }
        for week in weeks
    ]
    return (
        _environment(True)
        .get_template("index.html.j2")
        .render(
            s=s,
            language=language,
            title=s["index_title"].format(organisation=organisation),
            rows=rows,
        )
    )


def subject(digest: Digest) -> str:
    """The mail subject, in the digest's language, on one line."""
    s = strings(digest.language)
    year, num = parse_week(digest.week)
    organisation = " ".join(digest.organisation.split())
    return s["subject"].format(week=digest.week, year=year, num=num, organisation=organisation)


def _period(first: date, last: date, language: str) -> str:
    return f"{format_date(first, language)} {DASH} {format_date(last, language)}"


def _week_period(week: str, language: str) -> str:
    """Monday to Sunday of an ISO week."""
    year, num = parse_week(week)
    monday = date.fromisocalendar(year, num, 1)
    return _period(monday, monday + timedelta(days=6), language)


def _week_label(week: str, s: Mapping[str, str]) -> str:
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


def _shorten(text: str | None, limit: int) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _notice(digest: Digest, s: Mapping[str, str]) -> str | None:
    if digest.no_source_reachable:
        return s["notice_no_source"]
    if not digest.has_posts:
        return s["notice_no_posts"]
    return None


def _view(digest: Digest) -> dict[str, Any]:
    """Everything the templates show, formatted for the digest's language."""
    lang = digest.language
    s = strings(lang)
    zone = ZoneInfo(digest.timezone)
    t = digest.totals
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
            "error": _shorten(src.last_error, _ERROR_CHARS),
            "posts": format_int(src.posts_in_week, lang),
        }
        for src in digest.sources
    ]
    failed = len(digest.sources_failed)
    return {
        "s": s,
        "language": lang,
        "title": s["title"],
        "organisation": digest.organisation,
        "week": _week_label(digest.week, s),
        "period": _period(digest.period_start, digest.period_end, lang),
        "totals": s["totals"].format(
            audience=format_int(t.audience_posts, lang),
            own=format_int(t.own_posts, lang),
            tagged=format_int(t.tagged_posts, lang),
        ),
        "notice": _notice(digest, s),
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
        "method": s["method"].format(timezone=digest.timezone),
        "generated": s["generated"].format(when=format_datetime(digest.generated_at, lang)),
    }
