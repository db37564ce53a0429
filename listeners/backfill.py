"""One entry point for `earshot backfill`: a source's history walker by its kind, or the
reason the platform cannot go back (see `listeners.social.backfill` for the walk's shape)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.bluesky.backfill import backfill as bluesky
from earshot.listeners.discourse.backfill import backfill as discourse
from earshot.listeners.hackernews.backfill import backfill as hackernews
from earshot.listeners.http import HttpPolicy
from earshot.listeners.lemmy.backfill import backfill as lemmy
from earshot.listeners.mastodon.backfill import backfill as mastodon
from earshot.listeners.news.backfill import backfill as news
from earshot.listeners.news.backfill import earliest as news_earliest
from earshot.listeners.records import SourceSpec
from earshot.listeners.reddit.backfill import backfill as reddit
from earshot.listeners.social.backfill import Backfiller, BackfillPage, Window
from earshot.listeners.stackexchange.backfill import backfill as stackexchange

BACKFILLERS: Mapping[str, Backfiller] = {
    "hackernews": hackernews,
    "discourse": discourse,
    "mastodon": mastodon,
    "lemmy": lemmy,
    "reddit": reddit,
    "bluesky": bluesky,
    "stackexchange": stackexchange,
    "news": news,
}


def walk(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    window: Window,
    now: datetime,
) -> Iterator[BackfillPage]:
    """The pages of `spec`'s history walker from `progress` (the last page's, or {} to start);
    none once a walk ended (`{"done": true}`, `listeners.social.backfill.DONE`)."""
    if progress.get("done"):
        return iter(())
    walker = BACKFILLERS[spec.kind]
    return walker(client, spec, progress, policy=policy, window=window, now=now)


# Why a kind cannot go back: its platform serves only its newest items.
_NEWEST_ONLY = {
    "feed": "a feed lists only its newest items",
    "youtube": "a YouTube channel feed lists only its 15 newest videos",
    "appstore": "the App Store reviews feed lists only the newest reviews (at most 10 pages)",
}


def cannot_go_back(spec: SourceSpec) -> str | None:
    """Why this source's history cannot be fetched back to a date, or None when it can."""
    if spec.kind in _NEWEST_ONLY:
        return f"kind {spec.kind!r} cannot go back: {_NEWEST_ONLY[spec.kind]}"
    if spec.kind == "bluesky" and not spec.options.get("actor"):
        return "a Bluesky search or stream cannot go back; only an author feed (`actor`) can"
    if spec.kind not in BACKFILLERS:
        return f"kind {spec.kind!r} cannot go back (no history walker for it)"
    return None


def earliest(spec: SourceSpec, now: datetime) -> datetime | None:
    """The oldest time the platform still serves for this source (None: no such limit)."""
    return news_earliest(now) if spec.kind == "news" else None
