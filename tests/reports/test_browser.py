"""The digest in a real browser (headless Chromium): sections, images, no overflow, no word
broken inside itself; the outbox file and the mail (its cid: images resolved), in German and
English, at the mail column's 640 px and a phone's 390 px.

Skipped when Chromium or playwright is missing; CI installs both (.ci/run) and sets
EARSHOT_REQUIRE_BROWSER=1 so that a missing browser fails instead. Set EARSHOT_SCREENSHOT_DIR
to keep the screenshots."""

from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path

import pytest

from earshot.reports.delivery import write_outbox
from earshot.reports.digest import build_digest
from earshot.reports.render import render_charts, render_html, render_text
from scripts.browser_check import SECTIONS, browser_available, check_mail, check_page
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
    folder = write_outbox(
        root,
        d,
        render_html(d, charts),
        render_text(d),
        charts=charts,
        mail_html=render_html(d, charts, cid=True),
    )
    return folder / "digest.html"


def shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("EARSHOT_SCREENSHOT_DIR") or tmp_path)


@pytest.mark.parametrize("width", [640, 390])
@pytest.mark.parametrize("language", ["de", "en"])
def test_digest_renders_in_chromium(
    history: History, tmp_path: Path, language: str, width: int
) -> None:
    html = outbox_digest(history, tmp_path / "outbox", language)
    png = shots(tmp_path) / f"digest-{WEEK}-{language}-{width}.png"
    report = check_page(html, png, width=width)
    assert report.problems == []
    assert report.broken_words == []  # e.g. 'Beiträg|e' in a column header
    assert report.sections == list(SECTIONS) and report.sections[0] == "summary"
    assert report.images == 3 and report.images_loaded == 3
    assert report.scroll_width <= width and report.widest_right_edge <= min(width, 640)
    assert report.external_requests == 0
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 20_000


@pytest.mark.parametrize("width", [640, 390])
@pytest.mark.parametrize("language", ["de", "en"])
def test_the_mail_renders_in_chromium(
    history: History, tmp_path: Path, language: str, width: int
) -> None:
    eml = outbox_digest(history, tmp_path / "outbox", language).parent / "digest.eml"
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("html",))
    assert body is not None and 'src="cid:' in str(body.get_content())  # refers to its parts
    png = shots(tmp_path) / f"mail-{WEEK}-{language}-{width}.png"
    report = check_mail(eml, png, width=width)
    assert report.problems == []
    assert report.images == 3 and report.images_loaded == 3  # every cid: resolved
    assert report.broken_words == [] and report.sections == list(SECTIONS)
    assert report.scroll_width <= width and report.external_requests == 0


def test_the_check_catches_overflow_and_broken_images(history: History, tmp_path: Path) -> None:
    html = outbox_digest(history, tmp_path / "outbox", "en")
    (html.parent / "gap.png").unlink()  # a missing chart
    page = html.read_text(encoding="utf-8").replace(
        '<h2 id="risk"',
        '<div style="width:900px">wide</div>'
        '<div style="width:40px; overflow-wrap:anywhere">Interaktionen</div><h2 id="risk"',
    )
    html.write_text(page, encoding="utf-8")
    report = check_page(html, tmp_path / "broken.png")
    assert report.images_loaded == 2
    assert any("images loaded: 2 of 3" in p for p in report.problems)
    assert any("beyond the 640 px column" in p or "scrolls" in p for p in report.problems)
    assert any(w.startswith("Inter") and "|" in w for w in report.broken_words)
    assert any("words broken inside" in p for p in report.problems)
