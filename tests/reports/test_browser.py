"""The digest in a real browser (headless Chromium): sections, images, no overflow.

Skipped when Chromium or playwright is missing; CI installs both (.ci/run) and sets
EARSHOT_REQUIRE_BROWSER=1 so that a missing browser fails instead. Set EARSHOT_SCREENSHOT_DIR
to keep the screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from earshot.reports.delivery import write_outbox
from earshot.reports.digest import build_digest
from earshot.reports.render import render_charts, render_html, render_text
from scripts.browser_check import SECTIONS, browser_available, check_page
from tests.reports.history import NOW, WEEK, History

if os.environ.get("EARSHOT_REQUIRE_BROWSER") == "1" and not browser_available():
    raise RuntimeError("EARSHOT_REQUIRE_BROWSER=1 but chromium or playwright is missing")

pytestmark = pytest.mark.skipif(
    not browser_available(), reason="needs chromium (apt-get install chromium) and playwright"
)


def outbox_digest(h: History, root: Path, language: str) -> Path:
    d = build_digest(
        h.con,
        week=WEEK,
        organisation="Stadtwerke <Beispiel> & Co",
        timezone="Europe/Berlin",
        language=language,
        now=NOW,
    )
    charts = render_charts(d)
    folder = write_outbox(root, d, render_html(d, charts), render_text(d), charts=charts)
    return folder / "digest.html"


def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("EARSHOT_SCREENSHOT_DIR") or tmp_path)


def test_digest_renders_in_chromium(history: History, tmp_path: Path) -> None:
    language = "de"  # the example config's language; English has the same layout
    html = outbox_digest(history, tmp_path / "outbox", language)
    png = shots(tmp_path) / f"digest-{WEEK}-{language}.png"
    report = check_page(html, png)
    assert report.problems == []
    assert report.sections == list(SECTIONS)
    assert report.images == 3 and report.images_loaded == 3
    assert report.scroll_width <= 640 and report.widest_right_edge <= 640
    assert report.external_requests == 0
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 20_000


def test_the_check_catches_overflow_and_broken_images(history: History, tmp_path: Path) -> None:
    html = outbox_digest(history, tmp_path / "outbox", "en")
    (html.parent / "gap.png").unlink()  # a missing chart
    page = html.read_text(encoding="utf-8").replace(
        '<h2 id="risk"', '<div style="width:900px">wide</div><h2 id="risk"'
    )
    html.write_text(page, encoding="utf-8")
    report = check_page(html, tmp_path / "broken.png")
    assert report.images_loaded == 2
    assert any("images loaded: 2 of 3" in p for p in report.problems)
    assert any("beyond the 640 px column" in p or "scrolls" in p for p in report.problems)
