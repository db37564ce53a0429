"""Lemmy PostViews and CommentViews (API v3, 0.18 and 0.19 shapes) as `Post`s. Pure.

Lemmy 0.18 writes times without a zone (`2023-08-07T13:35:18.433381`); they are UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from earshot.listeners.records import Post
from earshot.listeners.social.common import count, parse_iso, text_field
from earshot.listeners.stories import first_link
from earshot.listeners.text import collapse_whitespace, links_in_markdown, markdown_to_text

PLATFORM = "lemmy"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def views_of(document: Any, key: str) -> list[Mapping[str, Any]]:
    """The views under `key` (`posts` or `comments`) of a list or search answer."""
    views = _map(document).get(key)
    return [
        v
        for v in _list(views)
        if isinstance(v, Mapping) and isinstance(v.get(_inner(key)), Mapping)
    ]


def next_cursor(document: Any) -> str | None:
    """Lemmy 0.19's cursor for the next page (`next_page`); older versions page by number."""
    return text_field(_map(document).get("next_page"))


def _inner(key: str) -> str:
    return "post" if key == "posts" else "comment"


def view_time(view: Mapping[str, Any]) -> str:
    """The view's time as a sortable UTC string (a walk's key)."""
    item = _map(view.get("comment")) or _map(view.get("post"))
    when = parse_iso(item.get("published"))
    return when.isoformat() if when else ""


def view_id(view: Mapping[str, Any]) -> str:
    item = _map(view.get("comment")) or _map(view.get("post"))
    return str(text_field(item.get("ap_id")) or item.get("id") or "")


def _author(view: Mapping[str, Any]) -> tuple[str | None, str | None]:
    creator = _map(view.get("creator"))
    name = text_field(creator.get("name"))
    actor = text_field(creator.get("actor_id"))
    host = actor.split("/")[2] if actor and actor.count("/") >= 3 else None
    handle = f"{name}@{host}" if name and host else name
    display = text_field(creator.get("display_name"))
    return collapse_whitespace(display) if display else name, handle


def _gone(item: Mapping[str, Any]) -> bool:
    return item.get("deleted") is True or item.get("removed") is True


def post_from_post_view(
    view: Mapping[str, Any], *, source_id: str, fetched_at: datetime, lang_hint: str | None
) -> Post | None:
    """None for a deleted or removed post, or something that is not a post."""
    post = _map(view.get("post"))
    ident = view_id(view)
    if not ident or _gone(post):
        return None
    counts = _map(view.get("counts"))
    body = text_field(post.get("body")) or ""
    link = text_field(post.get("url"))
    title = text_field(post.get("name"))
    author, handle = _author(view)
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=ident,  # `ap_id`: the post's identity across the fediverse
        url=text_field(post.get("ap_id")) or link,
        author=author,
        author_handle=handle,
        title=collapse_whitespace(title) if title else None,
        text=markdown_to_text(body) or (link or ""),  # a link post: its link is its content
        lang_hint=lang_hint,
        published_at=parse_iso(post.get("published")),
        fetched_at=fetched_at,
        likes=count(counts.get("upvotes")),
        replies=count(counts.get("comments")),
        score=count(counts.get("score")),
        raw=dict(view),
        shared_url=link or first_link(links_in_markdown(body)),
    )


def post_from_comment_view(
    view: Mapping[str, Any], *, source_id: str, fetched_at: datetime, lang_hint: str | None
) -> Post | None:
    """None for a deleted or removed comment, or one without words."""
    comment = _map(view.get("comment"))
    ident = view_id(view)
    content = text_field(comment.get("content")) or ""
    text = markdown_to_text(content)
    if not ident or _gone(comment) or not text:
        return None
    counts = _map(view.get("counts"))
    author, handle = _author(view)
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=ident,
        url=text_field(comment.get("ap_id")),
        author=author,
        author_handle=handle,
        title=None,
        text=text,
        lang_hint=lang_hint,
        published_at=parse_iso(comment.get("published")),
        fetched_at=fetched_at,
        likes=count(counts.get("upvotes")),
        replies=count(counts.get("child_count")),
        score=count(counts.get("score")),
        raw=dict(view),
        shared_url=first_link(links_in_markdown(content)),
    )
