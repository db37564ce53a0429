"""Parsed feed entries (plain JSON-safe dicts) to `Post` records. Pure: no I/O."""

from __future__ import annotations

import dataclasses
import email.utils
import hashlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from earshot.listeners.feeds.parse import ParsedFeed
from earshot.listeners.records import Post
from earshot.listeners.text import collapse_whitespace, html_to_text

PLATFORM = "feed"
# A date this far beyond the fetch is a broken clock or a placeholder, not a publication date.
MAX_FUTURE = timedelta(days=1)
# Real feeds carry tens of entries, archives a few thousand; beyond this a feed is hostile.
MAX_ENTRIES = 5000
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


@dataclass(frozen=True, slots=True)
class FeedContext:
    """What every entry of one fetched feed shares."""

    source_id: str
    base_url: str  # final URL of the feed: relative links resolve against it
    language: str | None  # feed language, else the source's configured hint
    author: str | None  # feed-level author, the fallback for entries without one
    fetched_at: datetime  # UTC-aware


def language_code(value: Any) -> str | None:
    """'en-US' -> 'en', 'de_DE' -> 'de', 'DE' -> 'de'; None for anything unusable."""
    if not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary.isalpha() and primary.isascii() and len(primary) == 2 else None


def absolute_url(link: Any, base: str) -> str | None:
    """An absolute http(s) URL for `link` (resolved against `base`), else None."""
    if not isinstance(link, str) or not link.strip():
        return None
    link = link.strip()
    if (
        link.startswith(("https://", "http://"))
        and link.isascii()
        and link.isprintable()
        and " " not in link
        and "[" not in link
        and not link.endswith(("?", "#"))
    ):
        return link  # already absolute: what urljoin would give, without its cost
    try:
        url = urljoin(base, link)
        scheme = urlsplit(url).scheme
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 / RFC 3339 (as JSON Feed and our jsonable() give) or RFC 822, as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def plausible(published: datetime | None, now: datetime) -> datetime | None:
    return published if published is None or published <= now + MAX_FUTURE else None


def _text(value: Any) -> str | None:
    """A non-empty string field, or None (feeds put numbers, lists and nulls anywhere)."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _as_plain(value: str | None, content_type: Any) -> str:
    if not value:
        return ""
    kind = content_type.lower() if isinstance(content_type, str) else ""
    return html_to_text(value) if kind in _HTML_TYPES else collapse_whitespace(value)


def _fallback_id(title: str | None, published: str | None, text: str) -> str:
    key = f"{title or ''}\x1f{published or ''}" if (title or published) else text
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first_content(contents: Any) -> Mapping[str, Any]:
    """The entry's richest content block: HTML before plain text, then the longest."""
    blocks = [c for c in contents if isinstance(c, Mapping)] if isinstance(contents, list) else []
    blocks = [c for c in blocks if _text(c.get("value"))]
    if not blocks:
        return {}
    return max(blocks, key=lambda c: (str(c.get("type", "")).lower() in _HTML_TYPES,
                                      len(str(c.get("value")))))  # fmt: skip


def _entry_link(entry: Mapping[str, Any]) -> str | None:
    # feedproxy/feedburner links are dead redirectors: the original link is the real one.
    for key in ("feedburner_origlink", "link"):
        link = _text(entry.get(key))
        if link:
            return link
    links = entry.get("links")
    if isinstance(links, list):
        for rel in ("alternate", None):
            for link in links:
                if isinstance(link, Mapping) and (rel is None or link.get("rel") == rel):
                    href = _text(link.get("href"))
                    if href and link.get("rel") not in ("self", "edit", "replies", "enclosure"):
                        return href
    return None


def _entry_language(entry: Mapping[str, Any], content: Mapping[str, Any]) -> str | None:
    for detail in (content, _dict(entry.get("summary_detail")), _dict(entry.get("title_detail"))):
        code = language_code(detail.get("language"))
        if code:
            return code
    return None


def post_from_entry(entry: Mapping[str, Any], context: FeedContext) -> Post:
    """One feedparser entry (after `jsonable`) as a Post."""
    title_raw = _text(entry.get("title"))
    title = _as_plain(title_raw, _dict(entry.get("title_detail")).get("type")) or None
    content = _first_content(entry.get("content"))
    if content:
        text = _as_plain(_text(content.get("value")), content.get("type"))
    else:
        summary_type = _dict(entry.get("summary_detail")).get("type", "text/html")
        text = _as_plain(_text(entry.get("summary")), summary_type)
    published_raw = _text(entry.get("published_parsed")) or _text(entry.get("updated_parsed"))
    published_raw = published_raw or _text(entry.get("created_parsed"))
    published = plausible(parse_datetime(published_raw), context.fetched_at)
    link = _entry_link(entry)
    author = _text(_dict(entry.get("author_detail")).get("name")) or _text(entry.get("author"))
    external_id = _text(entry.get("id")) or link or _fallback_id(title, published_raw, text)
    return Post(
        platform=PLATFORM,
        source_id=context.source_id,
        external_id=external_id.strip(),
        url=absolute_url(link, context.base_url),
        author=collapse_whitespace(author) if author else context.author,
        author_handle=None,
        title=title,
        text=text,
        lang_hint=_entry_language(entry, content) or context.language,
        published_at=published,
        fetched_at=context.fetched_at,
        raw=dict(entry),
        shared_url=absolute_url(link, context.base_url),  # the article is the story
    )


def _json_feed_author(item: Mapping[str, Any]) -> str | None:
    authors = item.get("authors")  # JSON Feed 1.1
    candidates: Sequence[Any] = authors if isinstance(authors, list) else []
    for author in [*candidates, item.get("author")]:  # 1.0 had a single "author"
        name = _text(_dict(author).get("name"))
        if name:
            return collapse_whitespace(name)
    return None


def post_from_json_item(item: Mapping[str, Any], context: FeedContext) -> Post:
    """One JSON Feed (1.0/1.1) item as a Post."""
    title_raw = _text(item.get("title"))
    title = collapse_whitespace(title_raw) if title_raw else None
    if _text(item.get("content_text")):
        text = collapse_whitespace(str(item["content_text"]))
    elif _text(item.get("content_html")):
        text = html_to_text(str(item["content_html"]))
    else:
        text = collapse_whitespace(_text(item.get("summary")) or "")
    published_raw = _text(item.get("date_published")) or _text(item.get("date_modified"))
    published = plausible(parse_datetime(published_raw), context.fetched_at)
    link = next((v for v in (item.get("url"), item.get("external_url")) if _is_text(v)), None)
    # A link blog's item is about the page elsewhere (`external_url`), else its own page.
    shared = next((v for v in (item.get("external_url"), link) if _is_text(v)), None)
    external_id = _text(item.get("id")) or link or _fallback_id(title, published_raw, text)
    return Post(
        platform=PLATFORM,
        source_id=context.source_id,
        external_id=external_id.strip(),
        url=absolute_url(link, context.base_url),
        author=_json_feed_author(item) or context.author,
        author_handle=None,
        title=title,
        text=text,
        lang_hint=language_code(item.get("language")) or context.language,
        published_at=published,
        fetched_at=context.fetched_at,
        raw=dict(item),
        shared_url=absolute_url(shared, context.base_url),
    )


def feed_title(parsed: ParsedFeed) -> str | None:
    title = _text(parsed.feed.get("title"))
    if not title:
        return None
    if parsed.kind == "json":
        return collapse_whitespace(title)
    return _as_plain(title, _dict(parsed.feed.get("title_detail")).get("type")) or None


def posts_from_feed(
    parsed: ParsedFeed,
    *,
    source_id: str,
    base_url: str,
    lang_hint: str | None,
    fetched_at: datetime,
) -> tuple[Post, ...]:
    """Every entry of a parsed feed as a Post, first occurrence of each post_id only."""
    feed = parsed.feed
    to_post: Callable[[Mapping[str, Any], FeedContext], Post]
    if parsed.kind == "json":
        feed_author = _json_feed_author(feed)
        to_post = post_from_json_item
    else:
        detail = _dict(feed.get("author_detail"))
        feed_author = _text(detail.get("name")) or _text(feed.get("author"))
        to_post = post_from_entry
    context = FeedContext(
        source_id=source_id,
        base_url=base_url,
        language=language_code(feed.get("language")) or language_code(lang_hint),
        author=collapse_whitespace(feed_author) if feed_author else None,
        fetched_at=fetched_at,
    )
    posts: dict[str, Post] = {}
    for entry in parsed.entries[:MAX_ENTRIES]:
        post = to_post(entry, context)
        posts.setdefault(post.post_id, post)
    return _without_shared_links(tuple(posts.values()))


def _without_shared_links(posts: tuple[Post, ...]) -> tuple[Post, ...]:
    """Some feeds give every item the same link (the site's front page): such a link names
    no one story, so those items are keyed by their text instead."""
    seen = Counter(p.shared_url for p in posts if p.shared_url)
    if all(n == 1 for n in seen.values()):
        return posts
    return tuple(
        dataclasses.replace(p, shared_url=None) if p.shared_url and seen[p.shared_url] > 1 else p
        for p in posts
    )
