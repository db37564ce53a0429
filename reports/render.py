"""The digest as an HTML mail (inline CSS, table layout) and its plain-text alternative.

Both are rendered from one view model of pre-formatted strings, so they show the same figures.
Post texts are data from strangers: the HTML environment autoescapes everything, and only
http(s) URLs become links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from earshot.reports.charts import Chart, paired_bars
from earshot.reports.digest import ChangeKind, Digest, TopicChange, headline, snippet, web_url
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
from earshot.warehouse.digest_queries import SourceStatus
from earshot.warehouse.weeks import parse_week

_ERROR_CHARS = 300


@cache
def _environment(html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("earshot.reports", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


CID_DOMAIN = "earshot.invalid"


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    """Everything the outbox and the mail need of one digest."""

    html: str  # the file version: charts are the PNG files saved beside it
    mail_html: str  # the mail version: charts by Content-ID
    text: str
    charts: list[Chart]


def render_digest(digest: Digest) -> RenderedDigest:
    """Charts, HTML (file and mail versions) and the plain-text alternative."""
    charts = render_charts(digest)
    return RenderedDigest(
        html=render_html(digest, charts),
        mail_html=render_html(digest, charts, cid=True),
        text=render_text(digest),
        charts=charts,
    )


def render_html(digest: Digest, charts: Sequence[Chart] = (), *, cid: bool = False) -> str:
    """The HTML digest. Charts are `<img>`s: `src="cid:..."` for the mail (`cid=True`), else
    the chart's file name, for the copy saved beside the PNGs in the outbox."""
    images = {
        c.name: {
            "src": f"cid:{content_id(c)}" if cid else c.name,
            "alt": c.alt,
            "width": c.width,
            "height": c.height,
        }
        for c in charts
    }
    view = _view(digest)
    view["images"] = images
    return _environment(True).get_template("digest.html.j2").render(view)


def render_text(digest: Digest) -> str:
    view = _view(digest)
    view["images"] = {}
    return _environment(False).get_template("digest.txt.j2").render(view)


def content_id(chart: Chart) -> str:
    """The Content-ID (without angle brackets) of a chart in the mail."""
    return f"{chart.name.removesuffix('.png')}@{CID_DOMAIN}"


def render_charts(digest: Digest) -> list[Chart]:
    """The digest's charts (what moved, relevance gap, bucket balance); none without data."""
    s = strings(digest.language)
    charts: list[Chart] = []
    moved = [m for m in digest.movements if m.posts or (m.baseline_mean or 0)][:8]
    if moved:
        charts.append(
            paired_bars(
                "moved.png",
                [m.label for m in moved],
                [m.posts for m in moved],
                [m.baseline_mean or 0.0 for m in moved],
                legend=(s["legend_week"], s["legend_baseline"]),
                alt=s["chart_moved"],
            )
        )
    shares = [x for x in digest.shares if x.audience_posts or x.own_posts][:8]
    if shares:
        charts.append(
            paired_bars(
                "gap.png",
                [x.label for x in shares],
                [x.audience_share or 0.0 for x in shares],
                [x.own_share or 0.0 for x in shares],
                legend=(s["legend_audience"], s["legend_own"]),
                alt=s["chart_gap"],
                percent=True,
            )
        )
    if digest.buckets and any(b.bucket_posts for b in digest.buckets):
        charts.append(
            paired_bars(
                "buckets.png",
                [b.label for b in digest.buckets],
                [b.share or 0.0 for b in digest.buckets],
                [b.target_share for b in digest.buckets],
                legend=(s["legend_share"], s["legend_target"]),
                alt=s["chart_buckets"],
                percent=True,
            )
        )
    return charts


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
    sections = _sections(digest, s)
    return {
        **sections,
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


def _z(value: float | None, language: str) -> str:
    return format_decimal(value, language, signed=True)


def _share(share: float | None, posts: int, language: str) -> str:
    return f"{format_percent(share, language)} ({format_int(posts, language)})"


def _interval(low: float | None, high: float | None, language: str) -> str:
    if low is None or high is None:
        return DASH
    return f"{format_percent(low, language)}{DASH}{format_percent(high, language)}"


def _sections(digest: Digest, s: Mapping[str, str]) -> dict[str, Any]:
    """The view model of the sections from views/digest_views.sql."""
    lang = digest.language
    moved = [
        {
            "label": m.label,
            "posts": format_int(m.posts, lang),
            "previous": format_int(m.previous_posts, lang),
            "baseline": (
                f"{format_decimal(m.baseline_mean, lang)} ({m.baseline_weeks})"
                if m.baseline_mean is not None
                else DASH
            ),
            "signal": s[f"signal_{m.movement}"]
            + (f" (z = {_z(m.volume_z, lang)})" if m.movement in ("rising", "falling") else ""),
            "strong": m.movement in ("rising", "falling"),
        }
        for m in digest.movements
    ]
    risks = [
        s["risk_item"].format(
            topic=m.label,
            posts=format_int(m.posts, lang),
            negative=format_percent(m.negative_share, lang),
            baseline_negative=format_percent(m.baseline_negative_share, lang),
            z=_z(m.negative_z if (m.negative_z or 0) >= (m.volume_z or 0) else m.volume_z, lang),
        )
        for m in digest.at_risk
    ]
    first = digest.shares[0] if digest.shares else None
    gap = [
        {
            "label": x.label,
            "audience": _share(x.audience_share, x.audience_posts, lang),
            "own": _share(x.own_share, x.own_posts, lang),
            "advice": s[f"advice_{x.advice}"],
            "strong": x.advice in ("talk more", "talk less"),
        }
        for x in digest.shares
    ]
    questions: list[dict[str, Any]] = []
    for q in digest.questions:
        label = digest.topic_label(q.topic_id) if q.topic_id else s["no_topic"]
        if not questions or questions[-1]["topic"] != label:
            questions.append({"topic": label, "items": []})
        questions[-1]["items"].append(
            {
                "text": snippet(q.title if q.title and q.title.strip() else q.text),
                "href": web_url(q.url),
                "url": q.url or "",
                "engagement": format_int(q.engagement, lang),
                "author": q.author or "",
            }
        )
    emerging = [
        s["emerging_item"].format(
            term=e.term,
            posts=format_int(e.posts, lang),
            authors=format_int(e.authors, lang),
            baseline=format_decimal(e.baseline_mean, lang),
        )
        for e in digest.emerging
    ]
    total_bucketed = digest.buckets[0].bucket_posts if digest.buckets else 0
    buckets = [
        {
            "label": b.label,
            "share": (
                f"{format_percent(b.share, lang)} ({_interval(b.share_low, b.share_high, lang)})"
            ),
            "posts": format_int(b.own_posts, lang),
            "target": format_percent(b.target_share, lang),
            "balance": s[f"balance_{b.balance}"],
            "strong": b.balance in ("below target", "above target"),
        }
        for b in digest.buckets
    ]
    c = digest.coverage
    coverage = [
        s["coverage_posts"].format(
            audience=format_int(c.audience_posts, lang),
            duplicates=format_int(c.duplicates, lang),
            enriched=format_int(c.enriched_posts, lang),
            rated=format_int(c.rated_posts, lang),
            tagged=format_int(c.tagged_posts, lang),
            questions=format_int(c.questions, lang),
            own=format_int(c.own_posts, lang),
        )
    ]
    if c.languages:
        mix = ", ".join(
            f"{code or s['language_unknown']} {format_int(n, lang)}" for code, n in c.languages
        )
        coverage.append(s["coverage_languages"].format(languages=mix))
    if digest.silent_sources:
        coverage.append(s["coverage_silent"].format(sources=", ".join(digest.silent_sources)))
    return {
        "moved": moved,
        "risks": risks,
        "gap": gap,
        "gap_intro": s["gap_intro"].format(
            audience=format_int(first.audience_tags if first else 0, lang),
            own=format_int(first.own_tags if first else 0, lang),
        ),
        "questions": questions,
        "emerging": emerging,
        "buckets": buckets,
        "buckets_intro": s["buckets_intro"].format(total=format_int(total_bucketed, lang)),
        "coverage": coverage,
    }
