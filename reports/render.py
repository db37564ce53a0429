"""The digest as an HTML mail (table layout; templates/digest.css inlined into style attributes
by css-inline) and its plain-text alternative.

Both are rendered from one view model of pre-formatted strings, so they show the same figures.
Post texts are data from strangers: the HTML environment autoescapes everything, and only
http(s) URLs become links.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import css_inline
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
    plain,
    strings,
)
from earshot.reports.sentences import (
    baseline_text,
    headline_of,
    question_meta,
    signed_z,
    summary_sentences,
)
from earshot.reports.summary import summarise
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


@cache
def _inliner() -> css_inline.CSSInliner:
    """css-inline with the digest's one stylesheet (templates/digest.css): every rule becomes
    style attributes, so the mail needs no <style> support. Nothing is fetched."""
    css = resources.files("earshot.reports").joinpath("templates/digest.css").read_text("utf-8")
    return css_inline.CSSInliner(
        inline_style_tags=False, load_remote_stylesheets=False, extra_css=css
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
    html = _inliner().inline(_environment(True).get_template("digest.html.j2").render(view))
    return html if html.endswith("\n") else html + "\n"  # as the template ends, and the mail


def render_text(digest: Digest) -> str:
    view = _view(digest)
    view["images"] = {}
    view["s"] = {k: plain(v) for k, v in view["s"].items()}
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
                language=digest.language,
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
                language=digest.language,
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
                language=digest.language,
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
    """The mail subject, in the digest's language, on one line: the week and its headline
    finding (the summary's first)."""
    s = strings(digest.language)
    year, num = parse_week(digest.week)
    organisation = " ".join(digest.organisation.split())
    week = s["subject_week"].format(week=digest.week, year=year, num=num)
    if digest.partial:
        week = f"{week} {s['subject_partial']}"
    text = s["subject"].format(
        week=week, organisation=organisation, headline=headline_of(summarise(digest)[0], digest)
    )
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()  # no-break spaces stay


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


def _notices(digest: Digest, s: Mapping[str, str]) -> list[str]:
    """What the reader must know before any figure: a partial week first, then a week no
    source delivered in, or one without audience posts."""
    found: list[str] = []
    if digest.partial:
        found.append(
            s["notice_partial"].format(
                week=_week_label(digest.week, s),
                when=format_datetime(digest.generated_at, digest.language),
            )
        )
    if digest.no_source_reachable:
        found.append(s["notice_no_source"])
    elif not digest.has_posts:
        found.append(s["notice_no_posts"])
    return found


def _failing(src: SourceStatus, digest: Digest, s: Mapping[str, str]) -> str:
    """'forum is failing: HTTP 503 (3 failed attempts in a row since its last success on ...)'."""
    lang = digest.language
    attempts = format_int(max(src.failure_count, 1), lang)
    if src.last_success_at is None:
        since = s["failing_never"].format(attempts=attempts)
    else:
        when = format_datetime(src.last_success_at.astimezone(ZoneInfo(digest.timezone)), lang)
        since = s["failing_since"].format(attempts=attempts, when=when)
    return s["coverage_failing"].format(
        source=src.source_id, error=_shorten(src.last_error, _ERROR_CHARS) or DASH, since=since
    )


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
            "error": _shorten(src.last_error, _ERROR_CHARS),
            "posts": format_int(src.posts_in_week, lang),
        }
        for src in digest.sources
    ]
    failed = len(digest.sources_failed)
    sections = _sections(digest, s)
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
        "week": _week_label(digest.week, s),
        "period": _period(digest.period_start, digest.period_end, lang),
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
            "baseline": baseline_text(m, lang),
            "signal": s[f"signal_{m.movement}"]
            + (
                f" (z\N{NO-BREAK SPACE}=\N{NO-BREAK SPACE}{signed_z(m.volume_z, lang)})"
                if m.movement in ("rising", "falling")
                else ""
            ),
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
            z=signed_z(
                m.negative_z if (m.negative_z or 0) >= (m.volume_z or 0) else m.volume_z, lang
            ),
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
    for q in digest.distinct_questions:
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
                "meta": question_meta(q, digest),
            }
        )
    emerging = [
        s["emerging_item"].format(
            term=e.term,
            posts=format_int(e.posts, lang),
            authors=format_int(e.authors, lang),
            baseline=format_decimal(e.baseline_mean, lang, digits=1),
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
        if total_bucketed  # no own post with a bucket: one sentence says so, not a table of dashes
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
    if c.set_aside:
        coverage.append(s["coverage_set_aside"].format(matches=format_int(c.set_aside, lang)))
    if c.languages:
        mix = ", ".join(
            f"{code or s['language_unknown']} {format_int(n, lang)}" for code, n in c.languages
        )
        coverage.append(s["coverage_languages"].format(languages=mix))
    if digest.silent_sources:
        coverage.append(s["coverage_silent"].format(sources=", ".join(digest.silent_sources)))
    coverage += [_failing(src, digest, s) for src in digest.sources_failed]
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
        "buckets_empty": (
            s["no_bucket_posts"].format(buckets=", ".join(digest.bucket_labels))
            if digest.bucket_labels
            else s["no_buckets"]
        ),
        "coverage": coverage,
    }
