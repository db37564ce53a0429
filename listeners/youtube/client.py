"""Fetch a YouTube channel or playlist feed with the feed listener, then as video posts."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import httpx

from earshot.listeners import feeds
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, SourceSpec
from earshot.listeners.youtube.normalize import video_post


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`spec.url` is the channel's or playlist's feed URL (built by the config)."""
    fetched = feeds.fetch.read(client, spec, previous, policy, now)
    return dataclasses.replace(fetched, posts=tuple(video_post(p) for p in fetched.posts))
