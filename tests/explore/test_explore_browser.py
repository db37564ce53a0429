"""Explore in a real browser (headless Chromium through Playwright): the week page of the
generated history, a number followed to its posts, corrections made with the post's form and
kept after a reload, the layout at a phone's 390 px and a desktop's 1280 px, the keyboard.

Skipped when Chromium or playwright is missing, unless EARSHOT_REQUIRE_BROWSER=1 (then it
fails). Set EARSHOT_SCREENSHOT_DIR to keep the screenshots."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.browser_check import CHROMIUM_ARGS, browser_available, chromium_path
from tests.explore.support import TOKEN, Site
from tests.reports.history import WEEK

if os.environ.get("EARSHOT_REQUIRE_BROWSER") == "1" and not browser_available():
    raise RuntimeError("EARSHOT_REQUIRE_BROWSER=1 but chromium or playwright is missing")

pytestmark = pytest.mark.skipif(
    not browser_available(), reason="needs chromium (apt-get install chromium) and playwright"
)

WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(chromium: Any, site: Site, width: int = 1280) -> Any:
    """A page of a fresh context (no cookie yet) that records requests leaving the app."""
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.external = []  # type: ignore[attr-defined]

    def route(r: Any) -> None:
        if r.request.url.startswith(site.url + "/"):
            r.continue_()
        else:
            page.external.append(r.request.url)  # type: ignore[attr-defined]
            r.abort()

    page.route("**/*", route)
    page.errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))  # type: ignore[attr-defined]
    return page


def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("EARSHOT_SCREENSHOT_DIR") or tmp_path)


def total(page: Any) -> int:
    return int(page.get_attribute("[data-total]", "data-total"))


def price_posts_cell(page: Any) -> str:
    return str(page.inner_text('tr[data-topic="price"] td[data-figure="posts"]')).strip()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_week_page_leads_to_the_posts_behind_a_number(
    chromium: Any, site: Site, tmp_path: Path, width: int
) -> None:
    page = open_page(chromium, site, width)
    try:
        page.goto(f"{site.url}/?token={TOKEN}&week={WEEK}")
        assert page.url == f"{site.url}/?week={WEEK}"  # the token left the address bar
        assert page.title().startswith("Woche 2026-W47")
        assert price_posts_cell(page) == "24"
        png = shots(tmp_path) / f"explore-week-{WEEK}-{width}.png"
        page.screenshot(path=str(png), full_page=True)
        assert png.stat().st_size > 20_000
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.click('tr[data-topic="price"] td[data-figure="posts"] a')
        page.wait_for_load_state()
        assert "/posts?" in page.url and total(page) == 24
        assert page.locator("article.post").count() == 24
        page.screenshot(path=str(shots(tmp_path) / f"explore-posts-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto(f"{site.url}/topics/price?week={WEEK}")
        assert page.locator("svg.chart rect.bar").count() == 12
        page.screenshot(path=str(shots(tmp_path) / f"explore-topic-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.external == [] and page.errors == []  # no CSP violation, no request out
    finally:
        page.context.close()


def test_the_keyboard_reaches_the_content_and_the_corrections(chromium: Any, site: Site) -> None:
    page = open_page(chromium, site)
    try:
        page.goto(f"{site.url}/?token={TOKEN}&week={WEEK}")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        page.goto(f"{site.url}/posts?week={WEEK}&topic=price&audience=audience")
        page.focus("article.post details summary")
        page.keyboard.press("Enter")  # opens the correction form
        assert page.is_visible("article.post form.corrections button")
    finally:
        page.context.close()


def test_a_sentiment_correction_in_the_browser_counts_and_is_kept(
    chromium: Any, writable_site: Site
) -> None:
    s = writable_site
    page = open_page(chromium, s)
    try:
        page.goto(f"{s.url}/?token={TOKEN}&week={WEEK}")
        page.click(
            'tr[data-topic="price"] a[href*="sentiment=negative"]'
        )  # the negative share: the posts behind it
        page.wait_for_load_state()
        assert total(page) == 15
        first = page.locator("article.post").first
        first.locator("summary").click()
        first.locator('button[value="sentiment:positive"]').click()
        page.wait_for_load_state()
        assert total(page) == 14  # the corrected post left the negative ones, at once
        assert page.is_visible(".notice[role=status]")
        page.reload()
        assert total(page) == 14  # kept
        assert page.errors == [] and page.external == []
    finally:
        page.context.close()


def test_not_about_this_topic_drops_the_count_and_is_kept(
    chromium: Any, writable_site: Site
) -> None:
    s = writable_site
    page = open_page(chromium, s)
    try:
        page.goto(f"{s.url}/?token={TOKEN}&week={WEEK}")
        page.click('tr[data-topic="price"] td[data-figure="posts"] a')
        page.wait_for_load_state()
        assert total(page) == 24
        first = page.locator("article.post").first
        first.locator("summary").click()
        first.locator('button[value="not_about:price"]').click()
        page.wait_for_load_state()
        page.goto(f"{s.url}/?week={WEEK}")
        assert price_posts_cell(page) == "23"
        page.reload()
        assert price_posts_cell(page) == "23"
    finally:
        page.context.close()


def test_a_post_labelled_on_the_teach_page_by_keyboard_leaves_it(
    chromium: Any, writable_site: Site, tmp_path: Path
) -> None:
    s = writable_site
    page = open_page(chromium, s, 390)
    try:
        page.goto(f"{s.url}/?token={TOKEN}&week={WEEK}")
        page.click('nav a[href="/teach"]')
        page.wait_for_load_state()
        assert page.title().startswith("Earshot anlernen")
        items = page.locator("li.teach-item")
        assert items.count() == 20
        first = items.first.get_attribute("data-post")
        page.screenshot(path=str(shots(tmp_path) / "explore-teach-390.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.focus('li.teach-item:first-child button[value="sentiment:negative"]')
        page.keyboard.press("Shift+Tab")  # the forms are open: the keyboard moves among them
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.value") == "sentiment:negative"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.is_visible(".notice[role=status]")
        # the labelled post is gone; the keyboard starts again at the content
        assert page.evaluate("document.activeElement.id") == "main"
        assert page.locator(f'li.teach-item[data-post="{first}"]').count() == 0
        assert items.count() == 20  # the next post took its place
        assert page.errors == [] and page.external == []
    finally:
        page.context.close()
