"""Record types that leave the listeners: `Post`, `SourceSpec`, `FetchResult`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from earshot.listeners.stories import canonical_url, story_key


def make_post_id(platform: str, key: str) -> str:
    """Stable post id: hash of the platform and its external id (or canonical URL)."""
    digest = hashlib.sha256(f"{platform}\x1f{key}".encode()).hexdigest()
    return digest[:24]


def content_key(title: str, text: str) -> str:
    """Hash of the normalised words alone (the story key of a post that shares no page)."""
    return story_key(None, title, text, "")


@dataclass(frozen=True, slots=True)
class Post:
    """One public post, normalised. `text` is plain text; `published_at` is UTC-aware."""

    platform: str
    source_id: str
    external_id: str
    url: str | None
    author: str | None
    author_handle: str | None
    title: str | None
    text: str
    lang_hint: str | None
    published_at: datetime | None
    fetched_at: datetime
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    score: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # The web page the post is about: a feed item's or video's own link, the page a link
    # post, link card or embed shares; None for a post that shares no page.
    shared_url: str | None = None
    # A review's star rating, 1 to 5 (App Store); None for every other post.
    rating: int | None = None

    @property
    def post_id(self) -> str:
        return make_post_id(self.platform, self.external_id or (self.url or ""))

    @property
    def story_url(self) -> str | None:
        """`shared_url` in its canonical form (`listeners.stories.canonical_url`)."""
        return canonical_url(self.shared_url)

    @property
    def content_key(self) -> str:
        """The story key (`listeners.stories.story_key`): the same page shared from several
        platforms, or the same words posted to several, give the same key."""
        return story_key(self.shared_url, self.title, self.text, self.post_id)

    def raw_json(self) -> str:
        return json.dumps(self.raw, default=str, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What a listener needs to know about one configured source."""

    source_id: str
    kind: str
    url: str
    owned: bool = False
    lang_hint: str | None = None
    # Kind-specific settings (hashtag, account, query ...) and secrets read from the
    # environment by the caller (token, app password); a listener never reads os.environ.
    options: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    secrets: Mapping[str, str | None] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


class FetchStatus(StrEnum):
    OK = "ok"  # new content fetched and parsed
    NOT_MODIFIED = "not_modified"  # 304, or the same body as last time: costs nothing downstream
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Outcome of fetching one source: posts, the new per-source state, and how it went.

    `state` is the listener's own JSON-able state (etag, last_modified, body hash, cursors);
    the warehouse saves it in the same transaction as the posts.
    """

    source_id: str
    status: FetchStatus
    posts: tuple[Post, ...] = ()
    state: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    http_status: int | None = None
    retry_after_seconds: float | None = None  # the server asked us to wait (429/503)
    # an answer read, but not whole (a feed cut off inside an entry): said, and kept as the
    # source's last error beside its "ok"
    warning: str | None = None
