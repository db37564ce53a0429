"""Discourse posts (the `cooked` HTML of `/posts.json` and `/t/<id>.json`) as `Post`s. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from earshot.listeners.discourse.urls import post_url
from earshot.listeners.records import Post
from earshot.listeners.social.common import count, parse_iso, text_field
from earshot.listeners.stories import first_link
from earshot.listeners.text import collapse_whitespace, html_to_text, links_in_html

PLATFORM = "discourse"
LIKE = 2  # the `actions_summary` id of a like


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def post_id(post: Mapping[str, Any]) -> int | None:
    value = post.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def latest_posts_of(document: Any) -> list[Mapping[str, Any]]:
    """`/posts.json`: its `latest_posts`, newest first."""
    posts = _map(document).get("latest_posts")
    return [p for p in _list(posts) if isinstance(p, Mapping) and post_id(p) is not None]


def topic_posts_of(document: Any) -> list[Mapping[str, Any]]:
    """`/t/<id>.json` or `/t/<id>/posts.json`: the posts of its `post_stream` page."""
    posts = _map(_map(document).get("post_stream")).get("posts")
    return [p for p in _list(posts) if isinstance(p, Mapping) and post_id(p) is not None]


def topic_stream(document: Any) -> tuple[list[int], int]:
    """Every post id of a topic in order, and the posts per page (`chunk_size`)."""
    stream = _map(_map(document).get("post_stream")).get("stream")
    ids = [i for i in _list(stream) if isinstance(i, int) and not isinstance(i, bool)]
    chunk = _map(document).get("chunk_size")
    return ids, chunk if isinstance(chunk, int) and chunk > 0 else 20


def topics_of(document: Any) -> tuple[list[Mapping[str, Any]], bool]:
    """A topic list's topics (newest activity first) and whether a further page exists."""
    topic_list = _map(_map(document).get("topic_list"))
    topics = [
        t
        for t in _list(topic_list.get("topics"))
        if isinstance(t, Mapping) and isinstance(t.get("id"), int)
    ]
    return topics, bool(topic_list.get("more_topics_url"))


def _likes(post: Mapping[str, Any]) -> int | None:
    if "like_count" in post:
        return count(post.get("like_count"))
    actions = post.get("actions_summary")
    if not isinstance(actions, list):
        return None
    likes = [count(_map(a).get("count")) for a in actions if _map(a).get("id") == LIKE]
    return next((n for n in likes if n is not None), 0)


def post_from_discourse(
    post: Mapping[str, Any],
    *,
    forum: str,
    source_id: str,
    fetched_at: datetime,
    lang_hint: str | None,
    topic_title: str | None = None,
) -> Post | None:
    """None for something that is not a post, or a deleted or hidden one (its text is gone)."""
    pid = post_id(post)
    if pid is None or post.get("deleted_at") or post.get("user_deleted") is True:
        return None
    if post.get("post_type") not in (None, 1):  # 2 moderator action, 3 small action, 4 whisper
        return None
    cooked = text_field(post.get("cooked")) or ""
    text = html_to_text(cooked) or collapse_whitespace(text_field(post.get("raw")) or "")
    if not text:
        return None
    title = topic_title or text_field(post.get("topic_title"))
    is_first = post.get("post_number") == 1
    path = text_field(post.get("post_url"))
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        # Post ids are unique per forum; the forum's address keeps two forums apart.
        external_id=f"{forum.rstrip('/')}/p/{pid}",
        url=post_url(forum, dict(post), path=path),
        author=text_field(post.get("name")) or text_field(post.get("username")),
        author_handle=text_field(post.get("username")),
        title=collapse_whitespace(title) if title and is_first else None,
        text=text,
        lang_hint=lang_hint,
        published_at=parse_iso(post.get("created_at")),
        fetched_at=fetched_at,
        likes=_likes(post),
        replies=count(post.get("reply_count")),
        score=_score(post.get("score")),
        raw=dict(post),
        shared_url=first_link(links_in_html(cooked)),
    )


def _score(value: Any) -> int | None:
    if isinstance(value, float):
        return round(value)
    return count(value)
