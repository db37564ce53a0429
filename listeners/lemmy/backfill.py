"""Lemmy history: a community's (or a search's) posts, then its comments, each listing paged
back (0.19 cursor or 0.18 page number) to the window's start."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import partial
from typing import Any

import httpx

from earshot.listeners.http import HttpPolicy
from earshot.listeners.lemmy.client import listing_pager, listing_urls
from earshot.listeners.lemmy.normalize import post_from_comment_view, post_from_post_view, view_time
from earshot.listeners.records import SourceSpec
from earshot.listeners.social.backfill import DONE, BackfillPage, Window, walk_back
from earshot.listeners.social.common import parse_iso, require, text_field


def backfill(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    window: Window,
    now: datetime,
) -> Iterator[BackfillPage]:
    """Progress: each listing's own (`posts`, `comments`: a cursor, or done)."""
    instance = require(spec, "instance")
    community = text_field(str(spec.options.get("community") or "").lstrip("!"))
    posts_url, comments_url = listing_urls(
        spec, instance, community, text_field(spec.options.get("query"))
    )
    state: dict[str, Any] = {"posts": dict(progress.get("posts") or {}),
                             "comments": dict(progress.get("comments") or {})}  # fmt: skip
    if progress.get("exhausted"):
        state["exhausted"] = True
    listings = (("posts", posts_url, post_from_post_view),
                ("comments", comments_url, post_from_comment_view))  # fmt: skip
    for n, (key, url_of, normalise) in enumerate(listings):
        to_post = partial(
            normalise, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint
        )
        for page in walk_back(
            listing_pager(client, policy, key, url_of), state[key], window=window,
            time_of=lambda v: parse_iso(view_time(v)), to_post=to_post,
        ):  # fmt: skip
            state[key] = page.progress
            if page.exhausted:
                state["exhausted"] = True  # a listing ended before the window's start
            done = page.done and n == len(listings) - 1
            exhausted = done and bool(state.get("exhausted"))
            after = {**DONE, "exhausted": True} if exhausted else DONE if done else dict(state)
            yield BackfillPage(page.posts, after, done, page.reached, exhausted=exhausted)
