"""The `fetch` every listener offers, written once: a platform writes only how it reads a source.

`@Listener` turns a `Read` into `fetch(client, spec, state, *, policy, now=None)`: it fixes the
time of the fetch and makes a source problem (`ListenerError`) a FAILED result that keeps the
previous state, so no listener raises for one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from earshot.listeners.errors import ListenerError, RateLimited
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, FetchStatus, SourceSpec

# A source's saved state as a listener is handed it and returns it (JSON-able).
State = dict[str, Any]
# How a platform reads one source: (client, spec, previous state, policy, time of the fetch).
# It raises a `ListenerError` for a source problem; `Listener` does the rest.
Read = Callable[[httpx.Client, SourceSpec, State, HttpPolicy, datetime], FetchResult]


class Listener:
    """A listener's `fetch`, made from its `Read` (use it as the read function's decorator).

    `now` (default: the current time; a naive one is taken as UTC) is the `fetched_at` of every
    post. `read` gets a copy of `state`; when it raises a `ListenerError`, the result is FAILED
    with that error's message, last HTTP status and `Retry-After`, and that copy as the state
    (so a `read` builds its new state apart and never changes the copy in place).
    """

    def __init__(self, read: Read) -> None:
        self.read = read  # unguarded: for a listener built on another's reading (YouTube)
        functools.update_wrapper(self, read)

    def __call__(
        self,
        client: httpx.Client,
        spec: SourceSpec,
        state: Mapping[str, Any],
        *,
        policy: HttpPolicy,
        now: datetime | None = None,
    ) -> FetchResult:
        now = now or datetime.now(UTC)
        fetched_at = now if now.tzinfo else now.replace(tzinfo=UTC)
        previous = dict(state)
        try:
            return self.read(client, spec, previous, policy, fetched_at)
        except ListenerError as exc:
            return FetchResult(
                spec.source_id,
                FetchStatus.FAILED,
                state=previous,
                error=str(exc),
                http_status=exc.http_status,
                retry_after_seconds=exc.retry_after if isinstance(exc, RateLimited) else None,
            )
