"""Feed bytes to plain, JSON-safe dicts: RSS/RDF/Atom through feedparser, JSON Feed ourselves.

Pure: no I/O. feedparser only ever sees bytes we fetched (wrapped in a stream, because
feedparser would treat a bare `bytes` body as a filename to open).
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import feedparser

from earshot.listeners.errors import ParseError
from earshot.listeners.feeds.fastparse import parse_fast

JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
_JSON_TYPES = ("application/feed+json", "application/json")
# Malformed feeds up to this size are parsed in-process (fast enough even when hostile);
# bigger ones in a child process with a deadline and a memory cap.
IN_PROCESS_LENIENT_BYTES = 64 * 1024
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.S | re.I)
_BOMS = (b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed as plain data. `feed` and each of `entries` are JSON-safe dicts."""

    kind: str  # "json" (JSON Feed) or "xml" (feedparser: RSS 0.9x/1.0/2.0, Atom)
    version: str  # e.g. "rss20", "atom10", "rss10", "https://jsonfeed.org/version/1.1"
    feed: dict[str, Any]
    entries: tuple[dict[str, Any], ...]
    problem: str | None = None  # the parser's complaint about a slightly broken feed
    cut_off: bool = False  # the body ended inside an entry: that entry was left out


def media_type(content_type: str | None) -> str:
    """'Application/RSS+XML; charset=utf-8' -> 'application/rss+xml'."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def jsonable(value: Any) -> Any:
    """A copy of feedparser output (or anything) that `json.dumps` accepts."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, time.struct_time):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        # dict.items() on purpose: FeedParserDict.get() has deprecated fallbacks that warn.
        items = dict.items(value) if isinstance(value, dict) else value.items()
        return {str(k): jsonable(v) for k, v in items}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _looks_like_json(body: bytes, content_type: str) -> bool:
    head = body[:64]
    for bom in _BOMS:
        head = head.removeprefix(bom)
    head = head.lstrip()
    if head.startswith(b"{"):
        return True
    kind = media_type(content_type)
    return (kind in _JSON_TYPES or kind.endswith("+json")) and not head.startswith(b"<")


def parse_feed(body: bytes, *, url: str, content_type: str | None) -> ParsedFeed:
    """Parse a feed body; `url` is the final URL (base for relative links, named in errors).

    Raises ParseError for a body that is not a feed or too broken to yield entries.
    """
    content_type = content_type or ""
    if _looks_like_json(body, content_type):
        return parse_json_feed(body, url=url, content_type=content_type)
    return parse_xml_feed(body, url=url, content_type=content_type)


def parse_json_feed(body: bytes, *, url: str, content_type: str) -> ParsedFeed:
    got = media_type(content_type) or "no content type"
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(url, f"not valid JSON ({exc})") from exc
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSIONS):
        raise ParseError(url, f"not a feed (got {got} without a JSON Feed version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError(url, "malformed JSON Feed (no 'items' list)")
    feed = {k: v for k, v in document.items() if k != "items"}
    entries = tuple(item for item in items if isinstance(item, dict))
    return ParsedFeed("json", version, feed, entries)


def without_entity_declarations(body: bytes) -> bytes:
    """The body without a DOCTYPE's internal subset: entity declarations are how "billion
    laughs" bombs work, and no real feed needs them."""
    head = body[:65536]
    if b"<!ENTITY" not in head and b"<!entity" not in head:
        return body
    return _INTERNAL_SUBSET.sub(b"", head, count=1) + body[65536:]


def parse_xml_feed(body: bytes, *, url: str, content_type: str) -> ParsedFeed:
    body = without_entity_declarations(body)
    fast = parse_fast(body, url)
    if fast is not None and fast[2]:
        version, feed, entries = fast
        return ParsedFeed("xml", version, feed, tuple(entries))
    if len(body) <= IN_PROCESS_LENIENT_BYTES:
        return parse_xml_feed_leniently(body, url=url, content_type=content_type)
    # feedparser's lenient parser can take minutes on a big hostile body: bound it.
    from earshot.listeners.feeds.bounded import parse_leniently_bounded  # it imports this module

    return parse_leniently_bounded(body, url, content_type)


def parse_xml_feed_leniently(body: bytes, url: str, content_type: str) -> ParsedFeed:
    """feedparser: slower, but it reads malformed feeds too."""
    response_headers = {"content-location": url}
    if content_type:
        response_headers["content-type"] = content_type
    try:
        result = feedparser.parse(
            io.BytesIO(body),
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers=response_headers,
        )
    except Exception as exc:  # feedparser's own bugs on hostile input are the feed's problem
        raise ParseError(url, f"the feed parser gave up ({type(exc).__name__}: {exc})") from exc
    problem = None
    if result.get("bozo"):
        reason = result.get("bozo_exception")
        problem = str(reason) if reason else "malformed XML"
    entries = tuple(jsonable(e) for e in result.get("entries") or ())
    if entries and _ends_early(body):
        # The body was cut off: its last entry is a fragment (a guid without its text). Left
        # out, it is read whole next time instead of being stored half under its id.
        entries = entries[:-1]
        problem = problem or "the feed ends early"
        cut_off = True
    else:
        cut_off = False
    version = str(result.get("version") or "")
    if not entries:
        if not version:
            got = media_type(content_type) or "no content type"
            message = f"not a feed (got {got}, no RSS/Atom/JSON Feed found)"
            if problem and not _is_html(body, content_type):
                message += f"; the parser says: {problem}"
            raise ParseError(url, message)
        if problem:
            raise ParseError(url, f"malformed feed, no entries could be read ({problem})")
    return ParsedFeed("xml", version, jsonable(result.get("feed") or {}), entries, problem, cut_off)


def _ends_early(body: bytes) -> bool:
    """Whether the body was cut off inside its last entry (an `<item>`/`<entry>` opened after
    the last one closed). Missing closing tags of the channel or root alone lose nothing."""
    lowered = body.lower()
    opened = max(lowered.rfind(b"<item"), lowered.rfind(b"<entry"))
    closed = max(lowered.rfind(b"</item"), lowered.rfind(b"</entry"))
    return opened > closed


def _is_html(body: bytes, content_type: str) -> bool:
    if media_type(content_type) in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head
