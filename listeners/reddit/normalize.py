"""Reddit things (links t3, comments t1) as `Post`s. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from earshot.listeners.records import Post
from earshot.listeners.reddit.urls import permalink
from earshot.listeners.social.common import count, from_epoch, text_field
from earshot.listeners.text import collapse_whitespace

PLATFORM = "reddit"
THING_KINDS = ("t1", "t3")  # comments and links


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def listing_things(document: Any) -> tuple[list[Mapping[str, Any]], str | None]:
    """Links and comments of a Listing (comment trees flattened; several Listings, as a
    submission's comments page gives, in order) and the `after` cursor of the last one."""
    listings = document if isinstance(document, list) else [document]
    things: list[Mapping[str, Any]] = []
    after: Any = None
    for listing in listings:
        data = _map(_map(listing).get("data"))
        _collect(data.get("children"), things)
        after = data.get("after")
    return things, after if isinstance(after, str) and after else None


def _collect(children: Any, into: list[Mapping[str, Any]]) -> None:
    for child in children if isinstance(children, list) else ():
        child = _map(child)
        if child.get("kind") not in THING_KINDS:
            continue  # "more" stubs, subreddits, accounts: not posts
        data = _map(child.get("data"))
        if data:
            into.append(data)
            _collect(_map(_map(data.get("replies")).get("data")).get("children"), into)


def thing_time(thing: Mapping[str, Any]) -> str:
    when = thing.get("created_utc")
    return f"{float(when):017.3f}" if isinstance(when, int | float) else ""


def thing_id(thing: Mapping[str, Any]) -> str:
    return str(thing.get("name") or thing.get("id") or "")


def post_from_thing(
    thing: Mapping[str, Any], *, source_id: str, fetched_at: datetime, lang_hint: str | None
) -> Post | None:
    name = text_field(thing.get("name")) or text_field(thing.get("id"))
    if name is None:
        return None
    is_comment = name.startswith("t1_") or "body" in thing
    title = None if is_comment else text_field(thing.get("title"))
    body = thing.get("body") if is_comment else thing.get("selftext")
    text = collapse_whitespace(text_field(body) or "")
    link = None if is_comment or thing.get("is_self") else text_field(thing.get("url"))
    if link and link.startswith("/"):
        link = permalink(link)  # a crosspost links the original post by its path
    if not is_comment and not text and link:
        text = link  # a link post: its link is its content
    author = text_field(thing.get("author"))
    author = None if author == "[deleted]" else author
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=name,
        url=permalink(text_field(thing.get("permalink"))),
        author=author,
        author_handle=f"u/{author}" if author else None,
        title=collapse_whitespace(title) if title else None,
        text=text,
        lang_hint=lang_hint,
        published_at=from_epoch(thing.get("created_utc")),
        fetched_at=fetched_at,
        score=count(thing.get("score")),
        replies=count(thing.get("num_comments")),
        raw=dict(thing),
        shared_url=link,
    )
