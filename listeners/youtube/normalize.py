"""A feed `Post` of a YouTube Atom entry as a YouTube video post: id, views, likes. Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from earshot.listeners.records import Post
from earshot.listeners.social.common import count, text_field

PLATFORM = "youtube"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


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
