"""Explore's search and query preview, served for real over a copy of the generated history
with German and English posts planted (tests/warehouse/search_support.py): the JSON APIs, the
pages (escaped, a caret under a query's error), saving a topic into listening.yaml, and, in
headless Chromium, a German word found in another inflection and a query previewed.

The browser tests skip when Chromium or playwright is missing, unless EARSHOT_REQUIRE_BROWSER=1
(then they fail). Set EARSHOT_SCREENSHOT_DIR to keep the screenshots."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from earshot.explore.auth import csrf_token
from earshot.pipelines.config import load_config
from earshot.pipelines.topic_config import save_topic
from earshot.warehouse import open_warehouse
from scripts.browser_check import CHROMIUM_ARGS, browser_available, chromium_path
from tests.explore.support import TOKEN, Site, serve, site_settings
from tests.reports.history import History
from tests.warehouse.search_support import plant

CONFIG = """\
# Stadtwerke: what we listen for (this comment must survive a save from the preview)
organisation: Stadtwerke Beispiel
timezone: Europe/Berlin
topics:
  - id: service   # customer care
    label: Kundenservice
    bucket: practice
    terms:
      de: [Kundenservice]
  - id: price
    label: Preise
    bucket: expert
    terms:
      de: [Strompreis]
  - id: climate
    label: Klima
    terms:
      de: [Klima]
buckets:
  - id: expert
    label: Fachwissen
    target_share: 0.5
  - id: practice
    label: Praxis
    target_share: 0.5
"""


@pytest.fixture(scope="module")
def search_site(
    history_file: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    source, names = history_file
    root = tmp_path_factory.mktemp("search-site")
    planted = root / "planted.duckdb"
    shutil.copyfile(source, planted)
    h = History(open_warehouse(planted), names=dict(names))
    ids = plant(h)
    h.con.close()
    config = root / "listening.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    topics = {t.id: t.model_dump(mode="json") for t in load_config(config).config.topics}
    settings = site_settings(
        root, planted, config_path=config, save_topic=save_topic, topics=topics
    )
    for url in serve(settings):
        yield Site(url, settings, {**names, **{v: k for k, v in ids.items()}})


def test_the_search_api_finds_other_inflections_with_filters(search_site: Site) -> None:
    with search_site.client() as c:
        body = c.get("/api/search", params={"q": "Häusern"}).json()
        assert body["total"] == 1
        assert search_site.names[body["posts"][0]["post_id"]] == "de-houses"
        assert body["posts"][0]["matched_words"] == ["häuser"]
        found = c.get("/api/search", params={"q": "kundenservices", "sort": "engagement"}).json()
        assert [search_site.names[p["post_id"]] for p in found["posts"]][:2] == [
            "de-service-2",
            "de-question",
        ]
        own = c.get("/api/search", params={"q": "Kundenservice", "own": "true"}).json()
        assert [search_site.names[p["post_id"]] for p in own["posts"]] == ["own-service"]
        bad = c.get("/api/search", params={"q": "x", "sentiment": "angry"})
        assert bad.status_code == 400 and bad.json()["detail"].startswith("sentiment: ")
        bad = c.get("/api/search", params={"week_from": "2026-47"})
        assert bad.status_code == 400 and bad.json()["detail"].startswith("week_from: ")
        # the app's post list takes `q` through the same index
        listed = c.get("/api/posts", params={"q": "Kundenservices", "rows": "true"}).json()
        assert listed["total"] == 4


def test_the_post_list_and_the_search_give_the_same_posts_for_the_same_q(
    search_site: Site,
) -> None:
    """`/api/posts?q=` filters by the index's hits (`search_docs`, by rowid), what
    `/api/search` finds: every row of the list is a hit and every hit a row (`rows=true`;
    by default the list shows duplicates once), with the list's own filters on top."""

    def everything(c: Any, path: str, params: dict[str, str]) -> tuple[int, set[str]]:
        found: set[str] = set()
        offset, total = 0, -1
        while total < 0 or offset < total:
            body = c.get(path, params={**params, "limit": "200", "offset": str(offset)}).json()
            total = body["total"]
            found |= {x["post_id"] for x in body["posts"]}
            offset += 200
            if not body["posts"]:
                break
        return total, found

    with search_site.client() as c:
        sizes = []
        for q in ("Kundenservices", "customers", "Kundenservice -hilft", "Häusern", "nichts123"):
            total, hits = everything(c, "/api/search", {"q": q})
            sizes.append(len(hits))
            listed_total, listed = everything(c, "/api/posts", {"q": q, "rows": "true"})
            assert (listed_total, listed) == (total, hits), q
            once_total, once = everything(c, "/api/posts", {"q": q})
            assert once <= hits and once_total == len(once), q
            for extra in ({"lang": "de"}, {"audience": "own"}, {"week": "2026-W47"}):
                _t, narrowed = everything(c, "/api/posts", {"q": q, "rows": "true", **extra})
                _t, unfiltered = everything(c, "/api/posts", {"rows": "true", **extra})
                assert narrowed == hits & unfiltered, (q, extra)
        assert sizes[0] == 4 and sizes[-1] == 0 and min(sizes[1:4]) > 0, sizes
        bad = c.get("/api/posts", params={"q": "-"})
        assert bad.status_code == 400 and bad.json()["detail"].startswith("q: ")


def test_the_search_page_escapes_and_highlights(search_site: Site) -> None:
    with search_site.client() as c:
        html = c.get("/search", params={"q": "<Häusern>"}).text
    assert "<Häusern>" not in html and "&lt;Häusern&gt;" in html
    assert "<mark>Häuser</mark>" in html and 'data-total="1"' in html


def test_the_preview_counts_weeks_and_says_what_changes(search_site: Site) -> None:
    with search_site.client() as c:
        body = c.get("/api/preview", params={"topic": "service"}).json()
        assert len(body["weeks"]) == 12 and body["weeks"][-1]["week"] == "2026-W47"
        # the configured term matches the planted posts (tagged already); the history's
        # service tags were planted without the word, so the definition would lose them
        assert body["matched"] == 4 and body["added"] == 0
        assert body["lost"] > 0 and body["current"] == body["lost"] + body["matched"]
        assert sum(w["matched"] for w in body["weeks"]) == body["matched"]
        assert {tuple(p["evidence"]) for p in body["sample"]} == {("Kundenservice",)}
        narrow = c.get(
            "/api/preview",
            params={"topic": "service", "terms_de": "Kundenservice", "exclude_de": "abends"},
        ).json()
        assert narrow["matched"] == 3 and narrow["lost"] == body["lost"] + 1
        query = c.get(
            "/api/preview", params={"new_id": "waerme", "query": "Wärmepumpen NEAR/5 Häuser"}
        ).json()
        assert query["matched"] == 1 and query["current"] == 0 and query["added"] == 1
        too_far = c.get(
            "/api/preview", params={"new_id": "w", "query": "Wärmepumpen NEAR/3 Häuser"}
        )
        assert too_far.json()["matched"] == 0  # four words between them
        wrong = c.get("/api/preview", params={"query": "Kundenservice AND (Hotline"})
        assert wrong.status_code == 400 and wrong.json()["detail"].startswith("query: expected")


def test_the_preview_page_puts_a_caret_under_the_error(search_site: Site) -> None:
    with search_site.client() as c:
        page = c.get("/preview", params={"new_id": "x", "query": "Hotline AND AND Chat"})
    assert page.status_code == 400
    assert '<pre class="caret">Hotline AND AND Chat\n            ^</pre>' in page.text


if os.environ.get("EARSHOT_REQUIRE_BROWSER") == "1" and not browser_available():
    raise RuntimeError("EARSHOT_REQUIRE_BROWSER=1 but chromium or playwright is missing")
needs_browser = pytest.mark.skipif(
    not browser_available(), reason="needs chromium (apt-get install chromium) and playwright"
)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _page(chromium: Any, width: int = 1280) -> Any:
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]

    def console(m: Any) -> None:
        if m.type == "error" and not m.text.startswith("Failed to load resource"):
            page.errors.append(m.text)  # a CSP violation or a script error

    def response(r: Any) -> None:
        if r.status >= 404 and not r.url.endswith("/favicon.ico"):  # 400: an error shown
            page.errors.append(f"{r.status} {r.url}")

    page.on("console", console)
    page.on("response", response)
    return page


def _shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("EARSHOT_SCREENSHOT_DIR") or tmp_path)


@needs_browser
@pytest.mark.parametrize("width", [390, 1280])
def test_a_german_word_is_found_in_another_inflection_in_the_browser(
    chromium: Any, search_site: Site, tmp_path: Path, width: int
) -> None:
    page = _page(chromium, width)
    try:
        page.goto(f"{search_site.url}/search?token={TOKEN}")
        page.fill("input[name=q]", "Häusern")
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-total]")
        assert page.get_attribute("[data-total]", "data-total") == "1"
        assert page.inner_text("article.result mark") == "Häuser"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(_shots(tmp_path) / f"explore-search-{width}.png"), full_page=True)
        assert page.errors == []  # no CSP violation, no script error
    finally:
        page.context.close()


@needs_browser
def test_a_query_is_previewed_with_its_counts_in_the_browser(
    chromium: Any, search_site: Site, tmp_path: Path
) -> None:
    page = _page(chromium)
    try:
        page.goto(f"{search_site.url}/preview?token={TOKEN}")
        page.fill("input[name=new_id]", "waerme")
        page.fill("input[name=query]", '"Wärmepumpen" OR Kundenservice')
        page.click("form.preview button[type=submit]")
        page.wait_for_selector("[data-matched]")
        assert page.get_attribute("[data-matched]", "data-matched") == "5"
        rows = page.query_selector_all("table.weeks tbody tr")
        assert len(rows) == 12
        assert page.inner_text('tr[data-week="2026-W47"] td.matched').strip() == "3"
        assert page.query_selector("section.sample mark") is not None
        page.screenshot(path=str(_shots(tmp_path) / "explore-preview.png"), full_page=True)
        page.fill("input[name=query]", "Kundenservice AND (")
        page.click("form.preview button[type=submit]")
        page.wait_for_selector("pre.caret")
        assert page.inner_text("pre.caret").splitlines()[-1] == " " * 19 + "^"
        assert page.errors == []
    finally:
        page.context.close()


def test_saving_from_the_preview_writes_the_config_keeping_comments(search_site: Site) -> None:
    config = search_site.settings.config_path
    assert config is not None
    form = {"topic": "service", "terms_de": "Kundenservice\nHotline", "query": ""}
    with search_site.client() as c:
        refused = c.post("/preview/save", data=form)
        assert refused.status_code == 403 and config.read_text(encoding="utf-8") == CONFIG
        saved = c.post(
            "/preview/save",
            data={**form, "csrf": csrf_token(TOKEN)},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        text = config.read_text(encoding="utf-8")
        assert "# Stadtwerke: what we listen for" in text and "# customer care" in text
        service = load_config(config).config.topics[0]
        assert service.id == "service" and service.terms == {"de": ["Kundenservice", "Hotline"]}
        again = c.get("/preview", params={"topic": "service"}).text
        assert "Kundenservice\nHotline</textarea>" in again
