"""The digest as an HTML mail (table layout; templates/digest.css inlined into style attributes
by css-inline) and its plain-text alternative.

Both are rendered from one view model of pre-formatted strings (`reports.view`), so they show
the same figures; this module assembles the pages, the charts, the outbox index and the subject.
Post texts are data from strangers: the HTML environment autoescapes everything, and only
http(s) URLs become links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import css_inline
import jinja2

from earshot.reports.charts import Chart, paired_bars
from earshot.reports.digest import Digest
from earshot.reports.i18n import plain, strings
from earshot.reports.sentences import headline_of
from earshot.reports.summary import summarise
from earshot.reports.view import view_model, week_label, week_period
from earshot.warehouse.weeks import parse_week


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
    view = view_model(digest)
    view["images"] = images
    html = _inliner().inline(_environment(True).get_template("digest.html.j2").render(view))
    return html if html.endswith("\n") else html + "\n"  # as the template ends, and the mail


def render_text(digest: Digest) -> str:
    view = view_model(digest)
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
            "week": week_label(week, s),
            "period": week_period(week, language),
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
