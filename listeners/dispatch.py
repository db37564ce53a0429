"""One entry point for the collect flow: fetch any configured source by its kind."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

import httpx

from listeners import feeds
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


FETCHERS: Mapping[str, Fetcher] = {"feed": feeds.fetch}


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
    return fetcher(client, spec, state, policy=policy, now=now)
