"""Reddit history: the source's newest-first listing paged on by `after`, as far back as
Reddit lets a listing go (about 1,000 items), or to the window's start."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import Post, SourceSpec
from earshot.listeners.reddit.client import listing_pages
from earshot.listeners.reddit.normalize import post_from_thing
from earshot.listeners.social.backfill import BackfillPage, Window, walk_back
from earshot.listeners.social.common import from_epoch


def backfill(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    window: Window,
    now: datetime,
) -> Iterator[BackfillPage]:
    """Progress: the listing's `after` cursor of the next page."""

    def to_post(thing: Mapping[str, Any]) -> Post | None:
        return post_from_thing(
            thing, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint
        )

    yield from walk_back(
        listing_pages(client, spec, policy), progress, window=window,
        time_of=lambda t: from_epoch(t.get("created_utc")), to_post=to_post,
    )  # fmt: skip
