"""One entry point for the collect flow: fetch any configured source by its kind."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import httpx

from listeners import bluesky, feeds, hackernews, mastodon, reddit, youtube
from listeners.http import HttpPolicy
from listeners.records import FetchResult, FetchStatus, SourceSpec


class Fetcher(Protocol):
    def __call__(
        self,
        client: httpx.Client,
        spec: SourceSpec,
        state: Mapping[str, Any],
        *,
        policy: HttpPolicy,
        now: datetime | None = None,
    ) -> FetchResult: ...


FETCHERS: Mapping[str, Fetcher] = {
    "feed": feeds.fetch,
    "mastodon": mastodon.fetch,
    "bluesky": bluesky.fetch,
    "reddit": reddit.fetch,
    "hackernews": hackernews.fetch,
    "youtube": youtube.fetch,
}


def fetch_source(
    client: httpx.Client,
    spec: SourceSpec,
    state: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    now: datetime | None = None,
) -> FetchResult:
    """Fetch one source with the listener for its kind; never raises for source problems."""
    fetcher = FETCHERS.get(spec.kind)
    if fetcher is None:
        known = ", ".join(sorted(FETCHERS))
        return FetchResult(
            spec.source_id,
            FetchStatus.FAILED,
            state=dict(state),
            error=f"{spec.url}: unknown source kind {spec.kind!r} (known kinds: {known})",
        )
    result = fetcher(client, spec, state, policy=policy, now=now)
    return _with_quiet_runs(result, state)


def _with_quiet_runs(result: FetchResult, previous: Mapping[str, Any]) -> FetchResult:
    """Count fetches in a row that brought nothing new (adaptive polling reads it)."""
    if result.status is FetchStatus.FAILED:
        return result
    quiet = previous.get("quiet_runs")
    quiet = quiet if isinstance(quiet, int) else 0
    quiet = quiet + 1 if not result.posts else 0
    return dataclasses.replace(result, state={**result.state, "quiet_runs": quiet})
