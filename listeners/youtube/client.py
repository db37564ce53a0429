"""Fetch a YouTube channel or playlist feed with the feed listener, then as video posts."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from listeners import feeds
from listeners.http import HttpPolicy
from listeners.records import FetchResult, SourceSpec
from listeners.youtube.normalize import video_post


def fetch(
    client: httpx.Client,
    spec: SourceSpec,
    state: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    now: datetime | None = None,
) -> FetchResult:
    """`spec.url` is the channel's or playlist's feed URL (built by the config)."""
    fetched = feeds.fetch(client, spec, state, policy=policy, now=now)
    return dataclasses.replace(fetched, posts=tuple(video_post(p) for p in fetched.posts))
