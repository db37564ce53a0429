"""Algolia HN hits (stories and comments) as `Post`s. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from earshot.listeners.hackernews.urls import item_url
from earshot.listeners.records import Post
from earshot.listeners.social.common import count, from_epoch, parse_iso, text_field
from earshot.listeners.text import collapse_whitespace, html_to_text

PLATFORM = "hackernews"


def hits_of(document: Any) -> tuple[list[Mapping[str, Any]], int, int]:
    """Hits, this page's number and the number of pages."""
    if not isinstance(document, Mapping):
        return [], 0, 0
    hits = [h for h in document.get("hits") or () if isinstance(h, Mapping)]
    page, pages = document.get("page"), document.get("nbPages")
    return hits, page if isinstance(page, int) else 0, pages if isinstance(pages, int) else 0


def hit_time(hit: Mapping[str, Any]) -> str:
    when = hit.get("created_at_i")
    return f"{when:012d}" if isinstance(when, int) and not isinstance(when, bool) else ""


def hit_id(hit: Mapping[str, Any]) -> str:
    return str(hit.get("objectID") or "")


def post_from_hit(
    hit: Mapping[str, Any], *, source_id: str, fetched_at: datetime, lang_hint: str | None
) -> Post | None:
    object_id = text_field(hit.get("objectID"))
    if object_id is None:
        return None
    tags = hit.get("_tags")
    tags = tags if isinstance(tags, list) else []
    is_comment = "comment" in tags or text_field(hit.get("comment_text")) is not None
    link = None if is_comment else text_field(hit.get("url"))  # a link story's page
    if is_comment:
        title = None
        text = html_to_text(text_field(hit.get("comment_text")) or "")
        if not text and text_field(hit.get("story_title")):
            title = collapse_whitespace(str(hit["story_title"]))
    else:
        raw_title = text_field(hit.get("title"))
        title = collapse_whitespace(raw_title) if raw_title else None
        text = html_to_text(text_field(hit.get("story_text")) or "")
        if not text:
            text = text_field(hit.get("url")) or ""  # a link story: its link is its content
    published = from_epoch(hit.get("created_at_i")) or parse_iso(hit.get("created_at"))
    author = text_field(hit.get("author"))
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=object_id,
        url=item_url(object_id),
        author=author,
        author_handle=author,
        title=title,
        text=text,
        lang_hint=lang_hint,
        published_at=published,
        fetched_at=fetched_at,
        score=count(hit.get("points")),
        replies=count(hit.get("num_comments")),
        raw=dict(hit),
        shared_url=link,
    )
