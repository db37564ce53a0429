"""Render a digest HTML file in headless Chromium, save a PNG, and report what the page shows.

    python scripts/browser_check.py outbox/2026-W47/digest.html --screenshot build/digest.png
    python scripts/browser_check.py outbox/2026-W47/digest.eml --width 390

Checks: every digest section is present, every image loaded (natural size > 0), nothing is
wider than the mail column (the page does not scroll sideways at `--width`, and no element
reaches beyond the 640 px column), and no line breaks inside a word. A `.eml` is checked as
a mail client shows it: its HTML part, with the `cid:` images resolved to the mail's parts.
Exit status 0 when all hold, 1 otherwise, 2 when Chromium
(Debian's `chromium`) or the `playwright` Python package is missing.

Uses Playwright only as a driver for the system Chromium (`executable_path`); it never
downloads a browser.
"""

from __future__ import annotations

import argparse
import base64
import email
import email.policy
import json
import re
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

SECTIONS = (
    "summary",
    "moved",
    "risk",
    "gap",
    "questions",
    "emerging",
    "buckets",
    "topics",
    "posts",
    "coverage",
    "sources",
)
MAIL_WIDTH = 640
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_MEASURE = """
(mailWidth) => {
  const column = document.querySelector('table table');
  const left = column ? column.getBoundingClientRect().left : 0;
  let widest = 0, culprit = null;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const right = r.right - left;
    if (right > widest) { widest = right; culprit = el.tagName + (el.id ? '#' + el.id : ''); }
  }
  const imgs = [...document.images];
  return {
    sections: [...document.querySelectorAll('section[id], h2[id]')].map(h => h.id),
    images: imgs.length,
    images_loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    scroll_width: document.documentElement.scrollWidth,
    viewport_width: window.innerWidth,
    column_width: column ? column.getBoundingClientRect().width : 0,
    widest_right_edge: widest,
    widest_element: culprit,
    external_requests: 0,
  };
}
"""


# Every line break inside a text node must fall on a word boundary: after white space, a hyphen,
# a soft hyphen (a proper hyphenation), a dash or a slash. Each line start is found by walking
# the node's characters and watching their box's top jump.
_BROKEN_WORDS = """
() => {
  const found = [];
  const opportunity = /[\\s\\u00ad\\u200b\\-\\u2010-\\u2014\\/]/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let node;
  while ((node = walker.nextNode())) {
    const t = node.data;
    if (!t.trim() || !node.parentElement) continue;
    let previousTop = null;
    for (let i = 0; i < t.length; i++) {
      if (/\\s/.test(t[i])) continue;
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rects = range.getClientRects();
      if (!rects.length) continue;
      const top = rects[0].top;
      // Chromium reports the first glyph after a taken soft hyphen on the line before: a
      // break right after the glyph that follows a soft hyphen is that soft hyphen's.
      const hyphenated = i > 1 && t[i - 2] === '\\u00ad';
      if (previousTop !== null && top > previousTop + 2 && i > 0 && !opportunity.test(t[i - 1])
          && !hyphenated) {
        let a = i, b = i;
        while (a > 0 && !/\\s/.test(t[a - 1])) a--;
        while (b < t.length && !/\\s/.test(t[b])) b++;
        found.push(t.slice(a, i) + '|' + t.slice(i, b));
      }
      previousTop = top;
    }
  }
  return found;
}
"""


@dataclass
class PageReport:
    sections: list[str]
    images: int
    images_loaded: int
    scroll_width: int
    viewport_width: int
    column_width: float
    widest_right_edge: float
    widest_element: str | None
    external_requests: int
    broken_words: list[str] = field(default_factory=list)  # 'Beiträg|e': where a line broke
    screenshot: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return chromium_path() is not None


def check_page(html: Path, screenshot: Path, *, width: int = MAIL_WIDTH) -> PageReport:
    """Open `html` (a file) at `width` CSS pixels, screenshot the full page, measure it."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("chromium is not installed (apt-get install -y chromium)")
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    external: list[str] = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": 900},
        )
        try:
            page = browser.new_page()
            # A digest must not fetch anything: block and count requests leaving the file.
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith("file:")
                    else (external.append(route.request.url), route.abort())[-1]
                ),
            )
            page.goto(html.resolve().as_uri(), wait_until="load")
            measured = page.evaluate(_MEASURE, MAIL_WIDTH)
            measured["broken_words"] = page.evaluate(_BROKEN_WORDS)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    report = PageReport(**measured)
    report.external_requests = len(external)
    report.screenshot = str(screenshot)
    missing = [s for s in SECTIONS if s not in report.sections]
    if missing:
        report.problems.append(f"sections missing: {missing}")
    if report.images == 0 or report.images_loaded != report.images:
        report.problems.append(f"images loaded: {report.images_loaded} of {report.images}")
    if report.scroll_width > report.viewport_width:
        report.problems.append(
            f"page scrolls sideways: {report.scroll_width} > {report.viewport_width} px"
        )
    column = min(MAIL_WIDTH, width)
    if report.widest_right_edge > column + 0.5:
        report.problems.append(
            f"{report.widest_element} reaches {report.widest_right_edge:.0f} px "
            f"beyond the {column} px column"
        )
    if report.broken_words:
        report.problems.append(f"words broken inside: {report.broken_words[:10]}")
    if external:
        report.problems.append(f"external requests: {external[:3]}")
    return report


def mail_html(eml: Path) -> str:
    """The HTML part of a mail, each `cid:` image replaced by its part as a data: URL (an
    unknown Content-ID stays, so that its image fails to load and is reported)."""
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("html",))
    if body is None:
        raise ValueError(f"{eml}: no text/html part")
    parts = {
        str(part["Content-ID"]).strip("<>"): part
        for part in message.walk()
        if part["Content-ID"] and part.get_content_maintype() == "image"
    }

    def resolve(m: re.Match[str]) -> str:
        part = parts.get(m.group(1))
        if part is None:
            return m.group(0)
        data = base64.b64encode(part.get_payload(decode=True)).decode("ascii")
        return f'src="data:{part.get_content_type()};base64,{data}"'

    return re.sub(r'src="cid:([^"]+)"', resolve, str(body.get_content()))


def check_mail(eml: Path, screenshot: Path, *, width: int = MAIL_WIDTH) -> PageReport:
    """`check_page` on the HTML part of the mail `eml`, its inline images resolved."""
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "mail.html"
        page.write_text(mail_html(eml), encoding="utf-8")
        return check_page(page, screenshot, width=width)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="a digest.html or digest.eml from the outbox")
    parser.add_argument("--screenshot", type=Path, default=Path("build/digest.png"))
    parser.add_argument("--width", type=int, default=MAIL_WIDTH)
    args = parser.parse_args(argv)
    if not browser_available():
        print("browser check skipped: needs chromium and the playwright package", file=sys.stderr)
        return 2
    check = check_mail if args.html.suffix == ".eml" else check_page
    report = check(args.html, args.screenshot, width=args.width)
    print(json.dumps({**asdict(report), "ok": report.ok}, indent=2, ensure_ascii=False))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
