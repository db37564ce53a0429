from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import earshot.reports
from earshot.reports.digest import Digest, build_digest
from earshot.reports.render import render_html, render_text, subject
from tests.reports.support import NOW, WEEK, Fixture


class Links(HTMLParser):
    """Every href in a page, and whether a <script> element appears."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        self.hrefs += [v or "" for k, v in attrs if k == "href"]


def digest_of(fx: Fixture, language: str) -> Digest:
    return build_digest(
        fx.con,
        week=WEEK,
        organisation="Stadtwerke <Beispiel> & Co",
        timezone="Europe/Berlin",
        language=language,
        now=NOW,
    )


def test_english_html_has_every_section(warehouse: Fixture) -> None:
    html = render_html(digest_of(warehouse, "en"))
    assert "Stadtwerke &lt;Beispiel&gt; &amp; Co" in html  # the organisation is escaped too
    assert "Week 2026-W47" in html and "2026-11-16 \N{EN DASH} 2026-11-22" in html
    for heading in ["Topics by volume", "Most engaging posts", "Source health"]:
        assert heading in html
    assert "8 audience posts · 1 own posts · 7 tagged with a topic" in html
    assert "-3 (-38%)" in html  # Kundenservice: 5 posts after 8
    assert "+1 (few posts)" in html and "+1 (new)" in html
    assert "HTTP 503 from forum.example.org" in html
    assert "1 of 3 sources failed" in html
    # how the figures are computed: plain words in the footer, the views in the analysts' line
    footer = html[html.index('id="footer"') :]
    assert "likes + reposts + replies" in footer and "topic_" not in footer
    assert 'id="analysts"' in html and "topic_movement" in html
    assert "max-width: 640px" in html  # the stylesheet, inlined into style attributes
    assert "<style" not in html  # inline CSS only
    assert "No source could be reached" not in html
    assert 'href="https://example.org/p3"' in html


def test_german_html_uses_german_strings(warehouse: Fixture) -> None:
    html = render_html(digest_of(warehouse, "de"))
    assert 'lang="de"' in html
    assert "KW 47/2026" in html and "16.11.2026 \N{EN DASH} 22.11.2026" in html
    for heading in [
        "Themen nach Umfang",
        "Beiträge mit den meisten Interaktionen",
        "Zustand der Quellen",
    ]:
        assert heading in html
    assert "-3 (-38&nbsp;%)" in html and "+1 (wenige Beiträge)" in html and "+1 (neu)" in html
    assert "+0,04" in html  # decimal comma
    assert "fehlgeschlagen" in html and "noch nicht abgerufen" in html
    assert "Topics by volume" not in html


def test_post_text_is_escaped_and_only_web_urls_are_links(warehouse: Fixture) -> None:
    html = render_html(digest_of(warehouse, "en"))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    links = Links()
    links.feed(html)
    assert links.scripts == 0
    assert links.hrefs, "the posts should be linked"
    assert all(h.startswith(("https://", "http://")) for h in links.hrefs), links.hrefs
    assert "javascript:alert(1) (not a web link)" in html  # shown as text, not linked


def test_text_version_has_the_same_figures(warehouse: Fixture) -> None:
    d = digest_of(warehouse, "en")
    text = render_text(d)
    line = next(x for x in text.splitlines() if x.startswith("- Kundenservice:"))
    assert line == (
        "- Kundenservice: Posts 5 | Change vs. last week -3 (-38%) | Authors 3 | "
        "Mean sentiment +0.04 | Negative 20% | Engagement 36"
    )
    assert "- Preise: Posts 2 | Change vs. last week +1 (few posts)" in text
    assert "- Klima: Posts 1 | Change vs. last week +1 (new)" in text
    # every figure of the HTML topic table (cells and the details under the label) is on the
    # topic's line of the text too
    html = render_html(d)
    table = html[html.index('id="topics"') : html.index('id="posts"')]
    for topic in d.topics:
        row = re.search(
            rf">{re.escape(topic.label)}<div[^>]*>([^<]+)</div></td>(.*?)</tr>", table, re.S
        )
        assert row is not None, topic.label
        line = next(x for x in text.splitlines() if x.startswith(f"- {topic.label}:"))
        figures = re.findall(r"[-+]?\d[\d.,]*%?", row.group(1))
        figures += re.findall(r">([^<>]+)</td>", row.group(2))
        assert len(figures) == 6
        for figure in figures:
            assert figure in line, (figure, line)
    assert "1. Text untagged\n   https://example.org/untagged\n" in text
    assert "<script>alert(1)</script>" in text  # plain text: shown as is, never markup
    assert "javascript:alert(1) (not a web link)" in text
    assert "- forum: failed | Posts this week 2 | Last error: HTTP 503" in text
    assert "&lt;" not in text and "<td" not in text


def test_notice_when_no_source_could_be_reached(warehouse: Fixture) -> None:
    # Every source failing now, none ever succeeded: W47 still had posts, so it was reached.
    warehouse.con.execute("UPDATE _sources SET last_status = 'failed', last_success_at = NULL")
    en = digest_of(warehouse, "en")
    assert "No source could be reached" not in render_html(en) + render_text(en)
    # A week no source delivered in (no posts, no success since it began) says so.
    quiet = {
        lang: build_digest(
            warehouse.con,
            week="2026-W30",
            organisation="X",
            timezone="Europe/Berlin",
            language=lang,
            now=NOW,
        )
        for lang in ("en", "de")
    }
    notice = "No source could be reached this week — see source health below."
    assert notice in render_html(quiet["en"]) and notice in render_text(quiet["en"])
    assert "Diese Woche war keine Quelle erreichbar" in render_html(quiet["de"])


def test_notice_when_there_are_no_posts(warehouse: Fixture) -> None:
    d = build_digest(
        warehouse.con, week="2026-W30", organisation="X", timezone="Europe/Berlin", language="en"
    )
    html = render_html(d)
    assert "No audience posts were collected this week." in html
    assert "No audience posts this week." in html  # the empty top-post section


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Earshot digest 2026-W47: a quiet week — Stadtwerke <Beispiel> & Co"),
        ("de", "Earshot-Wochenbericht KW 47/2026: eine ruhige Woche — Stadtwerke <Beispiel> & Co"),
    ],
)
def test_subject(warehouse: Fixture, language: str, expected: str) -> None:
    assert subject(digest_of(warehouse, language)) == expected


def test_one_stylesheet_inlined_at_render_time(warehouse: Fixture) -> None:
    template = Path(earshot.reports.__file__).parent / "templates" / "digest.html.j2"
    assert 'style="' not in template.read_text(encoding="utf-8")  # no hand-written styles
    html = render_html(digest_of(warehouse, "de"))
    assert "<style" not in html  # works in clients that drop <style>
    assert '<h2 id="moved" style="margin: 0;font-size: 17px;color: #111111;">' in html
    assert 'class="grid" ' in html and "border-collapse: collapse;font-size: 13px;" in html
    assert '<meta name="color-scheme" content="light">' in html
