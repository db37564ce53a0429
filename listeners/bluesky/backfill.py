"""Bluesky history: an author feed (`actor`) paged back by its cursor to the window's start."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.bluesky import urls
from earshot.listeners.bluesky.normalize import feed_items, item_time, post_from_view
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import Post, SourceSpec
from earshot.listeners.social.backfill import BackfillPage, Window, walk_back
from earshot.listeners.social.common import get_json, parse_iso, require
from earshot.listeners.social.paging import Page


def backfill(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    window: Window,
    now: datetime,
) -> Iterator[BackfillPage]:
    """Progress: the feed's `cursor` of the next page."""
    actor = require(spec, "actor")
    appview = str(spec.options.get("appview") or urls.PUBLIC_APPVIEW)

    def page(cursor: str | None) -> Page:
        document, _ = get_json(client, urls.author_feed(appview, actor, cursor), policy=policy)
        found = document.get("cursor") if isinstance(document, dict) else None
        return feed_items(document), found if isinstance(found, str) and found else None

    def to_post(item: Mapping[str, Any]) -> Post | None:  # feed_items: each has a `post`
        return post_from_view(
            item["post"], source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint
        )

    yield from walk_back(
        page, progress, window=window, time_of=lambda i: parse_iso(item_time(i)), to_post=to_post
    )
