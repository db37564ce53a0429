"""Feed discovery and OPML: find a site's feed through `<link rel="alternate">`, read a
feed list exported from a feed reader. Pure: no I/O."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import unescape as html_unescape
from urllib.parse import urljoin, urlsplit

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/json",
)
MAX_HEAD_BYTES = 256 * 1024  # the <link> tags are in the head: never parse a whole big page


_LINK_TAG = re.compile(r"<link\b([^>]*)>", re.I)
_ATTRIBUTE = re.compile(r"""([a-zA-Z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def discover_feeds(html: bytes, base_url: str) -> list[str]:
    """Absolute URLs of the feeds a page announces with <link rel="alternate">, page order."""
    head = html[:MAX_HEAD_BYTES].decode("utf-8", "replace")
    if "<html" not in head[:4096].lower() and "<!doctype html" not in head[:4096].lower():
        return []  # not a web page
    urls: list[str] = []
    for tag in _LINK_TAG.finditer(head):
        values = {
            m.group(1).lower(): html_unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTRIBUTE.finditer(tag.group(1))
        }
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        href = values.get("href", "").strip()
        if "alternate" not in rels or kind not in FEED_TYPES or not href:
            continue
        url = urljoin(base_url, href)
        if urlsplit(url).scheme in ("http", "https") and url not in urls:
            urls.append(url)
    return urls


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    title: str | None
    url: str
    site_url: str | None
    language: str | None


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every outline with an `xmlUrl` (nested folders included), first occurrence only.

    Raises ValueError for a file that is not OPML.
    """
    if b"<!ENTITY" in data[:4096]:
        raise ValueError("OPML with entity declarations is not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from exc
    if root.tag.lower() != "opml":
        raise ValueError(f"not OPML (the root element is <{root.tag}>)")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url or url in seen or urlsplit(url).scheme not in ("http", "https"):
            continue
        seen.add(url)
        title = (outline.get("title") or outline.get("text") or "").strip() or None
        site = (outline.get("htmlUrl") or "").strip() or None
        language = (outline.get("language") or "").strip() or None
        feeds.append(OpmlFeed(title, url, site, language))
    return feeds
