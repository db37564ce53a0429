"""Hostile posts in Explore, in headless Chromium: the 40 planted payloads of the digest's
browser test (tests/reports/test_payloads.py) on the week page, the posts list and the topic
page stay inert: no script runs, no element or attribute comes from a post, every link is
http(s) or the app's own path, no request leaves the app, no CSP violation is even tried."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from earshot.warehouse import open_warehouse
from earshot.warehouse.publish import publish_analytics_copy
from scripts.browser_check import CHROMIUM_ARGS, browser_available, chromium_path
from tests.explore.support import TOKEN, Site
from tests.reports.history import WEEK, History

if os.environ.get("EARSHOT_REQUIRE_BROWSER") == "1" and not browser_available():
    raise RuntimeError("EARSHOT_REQUIRE_BROWSER=1 but chromium or playwright is missing")

pytestmark = pytest.mark.skipif(
    not browser_available(), reason="needs chromium (apt-get install chromium) and playwright"
)

PAGES = (
    f"/?week={WEEK}",
    f"/posts?week={WEEK}&topic=price&audience=audience&limit=100",
    f"/topics/price?week={WEEK}",
    f"/posts?week={WEEK}&term=%23%3Cb%3Ebold%3C%2Fb%3E",
)

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
    scripts: [...document.querySelectorAll('script')].map(e => e.outerHTML),
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    text: document.body.innerText,
    width: document.documentElement.scrollWidth,
  };
}
"""


def inspect(browser: Any, site: Site, path: str, width: int = 390) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    external: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)

    def route(r: Any) -> None:
        if r.request.url.startswith(site.url + "/"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    try:
        page.goto(f"{site.url}/?token={TOKEN}")
        page.goto(site.url + path, wait_until="load")
        page.wait_for_timeout(200)  # let any timer or late handler fire
        found: dict[str, Any] = page.evaluate(_INSPECT)
    finally:
        context.close()
    found.update(dialogs=dialogs, external=external, console=console)
    return found


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_planted_payloads_stay_inert_in_explore(chromium: Any, writable_site: Site) -> None:
    from tests.reports.test_payloads import LINKS, PAYLOADS, plant

    s = writable_site
    clean = [inspect(chromium, s, path) for path in PAGES]
    tags = set().union(*(c["tags"] for c in clean))  # what the app's own pages use
    attributes = set().union(*(c["attributes"] for c in clean))
    con = open_warehouse(s.settings.warehouse_path)
    try:
        planted = plant(History(con))  # as the digest's test plants them, then refreshes
    finally:
        con.close()
    assert planted == len(PAYLOADS) + len(LINKS) == 40
    publish_analytics_copy(s.settings.warehouse_path, s.settings.analytics_path)
    for path in PAGES:
        page = inspect(chromium, s, path)
        assert page["dialogs"] == [], path
        assert page["pwned"] is None, path
        assert page["console"] == [], (path, page["console"])  # not even a blocked attempt
        assert page["scripts"] == ['<script src="/static/explore.js" defer=""></script>'], path
        assert set(page["tags"]) <= tags, (path, page["tags"])
        assert set(page["attributes"]) <= attributes, path
        assert not [a for a in page["attributes"] if a.startswith("on")], path
        bad = [
            h
            for h in page["hrefs"]
            if h != "#main"  # the skip link
            and (
                not (h.lower().startswith(("http://", "https://")) or h.startswith("/"))
                or h.startswith("//")
            )
        ]
        assert bad == [], (path, bad)
        assert not any("evil.example" in h for h in page["hrefs"]), path
        assert page["external"] == [], path
        assert page["width"] <= 390, path  # a 3000-letter word does not widen the page
    shown = inspect(chromium, s, PAGES[1])
    assert "<script>window.__pwned=1;alert(1)</script>" in shown["text"]  # shown, as text
