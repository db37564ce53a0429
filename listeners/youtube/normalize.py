"""YouTube as `Post`s: a feed `Post` of an Atom entry as a video post, and Data API v3
comments (`youtube#commentThread`, `youtube#comment`) as comment posts. Pure.

Answers recorded in 2019 quote their `etag`s and give `publishedAt` with milliseconds; replies
listed by `comments?parentId=` carry no `videoId` (the caller knows the video).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from earshot.listeners.records import Post
from earshot.listeners.social.common import count, parse_iso, text_field
from earshot.listeners.text import html_to_text
from earshot.listeners.youtube.urls import comment_page

PLATFORM = "youtube"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def video_post(post: Post) -> Post:
    """Views become `score`, the star-rating count (YouTube's like count) `likes`."""
    entry = post.raw
    video_id = text_field(entry.get("yt_videoid"))
    return dataclasses.replace(
        post,
        platform=PLATFORM,
        external_id=f"yt:video:{video_id}" if video_id else post.external_id,
        author_handle=text_field(entry.get("yt_channelid")) or post.author_handle,
        score=count(_map(entry.get("media_statistics")).get("views")),
        likes=count(_map(entry.get("media_starrating")).get("count")),
    )


def video_id_of(post: Post) -> str | None:
    """The video id of a video post from the feed."""
    return text_field(post.raw.get("yt_videoid"))


@dataclasses.dataclass(frozen=True, slots=True)
class Thread:
    """A comment thread as one page lists it: its top-level comment, the replies the page
    includes, and how many replies the thread has in all."""

    thread_id: str
    top: Mapping[str, Any]
    replies: list[Mapping[str, Any]]
    total_replies: int

    @property
    def published(self) -> str:
        """The top-level comment's time, as a key that sorts by time ('' when unknown)."""
        return comment_time(self.top)

    @property
    def replies_missing(self) -> bool:
        """Whether the thread has more replies than the page includes."""
        return self.total_replies > len(self.replies)


def comment_page_of(document: Any, kind: str) -> tuple[list[Any], str | None] | None:
    """(items, next page token) of a `youtube#<kind>ListResponse`; None for any other body."""
    body = _map(document)
    if body.get("kind") != f"youtube#{kind}ListResponse" or not isinstance(body.get("items"), list):
        return None
    return body["items"], text_field(body.get("nextPageToken"))


def thread_of(item: Any) -> Thread | None:
    """A `youtube#commentThread` item; None for one without an id or top-level comment."""
    thread = _map(item)
    snippet = _map(thread.get("snippet"))
    top = _map(snippet.get("topLevelComment"))
    thread_id = text_field(thread.get("id"))
    if thread_id is None or text_field(top.get("id")) is None:
        return None
    replies = [c for c in _list(_map(thread.get("replies")).get("comments")) if _is_comment(c)]
    return Thread(thread_id, top, replies, count(snippet.get("totalReplyCount")) or 0)


def _is_comment(value: Any) -> bool:
    return isinstance(value, Mapping) and text_field(value.get("id")) is not None


def comments_of(items: list[Any]) -> list[Mapping[str, Any]]:
    """The `youtube#comment` items of a `comments` page."""
    return [c for c in items if _is_comment(c)]


def comment_time(comment: Mapping[str, Any]) -> str:
    """`publishedAt` in one sortable form (UTC, microseconds), '' when missing or unreadable."""
    when = parse_iso(_map(comment.get("snippet")).get("publishedAt"))
    return when.isoformat(timespec="microseconds") if when else ""


def post_from_comment(
    comment: Mapping[str, Any],
    *,
    video_id: str | None,
    source_id: str,
    fetched_at: datetime,
    lang_hint: str | None,
    total_replies: int | None = None,
) -> Post | None:
    """A top-level comment (with its thread's `total_replies`) or a reply as a post; None for
    one without id or text. `raw` keeps the comment with its video and parent. The comment's
    own `videoId` wins over `video_id`; with neither (a channel's discussion) it has no URL."""
    ident = text_field(comment.get("id"))
    snippet = _map(comment.get("snippet"))
    body = text_field(snippet.get("textOriginal")) or text_field(snippet.get("textDisplay"))
    text = html_to_text(body) if body else ""
    if ident is None or not text:
        return None
    video = text_field(snippet.get("videoId")) or video_id
    parent = text_field(snippet.get("parentId"))
    channel = text_field(_map(snippet.get("authorChannelId")).get("value"))
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=f"yt:comment:{ident}",
        url=comment_page(video, ident) if video else None,
        author=text_field(snippet.get("authorDisplayName")),
        author_handle=channel,
        title=None,
        text=text,
        lang_hint=lang_hint,
        published_at=parse_iso(snippet.get("publishedAt")),
        fetched_at=fetched_at,
        likes=count(snippet.get("likeCount")),
        replies=None if parent else total_replies,
        raw={"video_id": video, "parent_id": parent, **comment},
    )
