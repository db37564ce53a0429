"""App Store reviews (the customer-reviews feed as JSON) as `Post`s. Pure.

Every value of the feed is wrapped: `{"label": "..."}`, links in `{"attributes": {...}}`.
`rating` is the review's star rating (1 to 5; also in `score`, as before the column existed),
`likes` its helpful votes (`im:voteSum`).
Feeds recorded in 2021 carry no date per review; newer ones have `updated`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from earshot.listeners.appstore.urls import app_page
from earshot.listeners.records import Post
from earshot.listeners.social.common import count, parse_iso, text_field
from earshot.listeners.text import collapse_whitespace, html_to_text

PLATFORM = "appstore"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _label(value: Any) -> str | None:
    return text_field(_map(value).get("label"))


def feed_of(document: Any) -> Mapping[str, Any] | None:
    """The `feed` of an answer; None for a body that is not the reviews feed."""
    feed = _map(document).get("feed")
    return feed if isinstance(feed, Mapping) else None


def reviews_of(feed: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The reviews of a page, newest first: entries with a rating (a page without reviews
    has no `entry`; one review comes as an object, not a list; old feeds led with the app)."""
    entries = feed.get("entry")
    if isinstance(entries, Mapping):
        entries = [entries]
    return [e for e in _list(entries) if isinstance(e, Mapping) and review_id(e)]


def review_id(entry: Mapping[str, Any]) -> str | None:
    ident = _label(entry.get("id"))
    if not ident or not ident.isdigit() or _label(entry.get("im:rating")) is None:
        return None
    return ident


def review_key(entry: Mapping[str, Any]) -> str:
    """Review ids grow with time: a newest-first walk's key."""
    return f"{int(review_id(entry) or 0):020d}"


def post_from_review(
    entry: Mapping[str, Any],
    *,
    app_id: str,
    country: str,
    source_id: str,
    fetched_at: datetime,
    lang_hint: str | None,
) -> Post | None:
    ident = review_id(entry)
    if ident is None:
        return None
    content = _map(entry.get("content"))
    body = text_field(content.get("label")) or ""
    kind = _map(content.get("attributes")).get("type")
    text = html_to_text(body) if kind == "html" else collapse_whitespace(body)
    title = _label(entry.get("title"))
    if not text and not title:
        return None
    author = _map(entry.get("author"))
    name = _label(author.get("name"))
    stars = count(_label(entry.get("im:rating")))
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=f"{app_id}/{ident}",
        url=app_page(app_id, country),
        author=name,
        author_handle=_label(author.get("uri")) or name,
        title=collapse_whitespace(title) if title else None,
        text=text or (title or ""),
        lang_hint=lang_hint,
        published_at=parse_iso(_label(entry.get("updated"))),
        fetched_at=fetched_at,
        likes=count(_label(entry.get("im:voteSum"))),
        score=stars,
        rating=stars if stars is not None and 1 <= stars <= 5 else None,
        raw={"country": country, **entry},
    )
