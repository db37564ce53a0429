"""Walking a source's history back to a date, page by page (`earshot backfill`).

A platform's `backfill(client, spec, progress, *, policy, window, now)` yields one
`BackfillPage` per request: the page's posts inside the window and the progress to go on
from. The caller stores each page's posts with its progress; handing a saved progress back
goes on after the last stored page (the walk never keeps state of its own). A walk raises
a `ListenerError` for a source problem, like a fetch; what was stored before stays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import Post, SourceSpec
from earshot.listeners.social.paging import PageFetcher


@dataclass(frozen=True, slots=True)
class Window:
    """The time range a backfill fills: from `since` (inclusive) to `until` (exclusive)."""

    since: datetime
    until: datetime

    def holds(self, when: datetime | None) -> bool:
        return when is not None and self.since <= when < self.until


@dataclass(frozen=True, slots=True)
class BackfillPage:
    """One page of history: its posts in the window, and the progress after it.

    `done`: the walk reached the window's start, or the listing's end (then `exhausted`: the
    platform serves nothing older, and the history reaches only back to what was seen);
    `reached`: the oldest time this page showed (how far back the history goes so far).
    """

    posts: tuple[Post, ...]
    progress: dict[str, Any] = field(default_factory=dict)
    done: bool = False
    reached: datetime | None = None
    exhausted: bool = False


class Backfiller(Protocol):
    def __call__(
        self,
        client: httpx.Client,
        spec: SourceSpec,
        progress: Mapping[str, Any],
        *,
        policy: HttpPolicy,
        window: Window,
        now: datetime,
    ) -> Iterator[BackfillPage]: ...


DONE: dict[str, Any] = {"done": True}


def walk_back(
    fetch_page: PageFetcher,
    progress: Mapping[str, Any],
    *,
    window: Window,
    time_of: Callable[[Any], datetime | None],
    to_post: Callable[[Any], Post | None],
) -> Iterator[BackfillPage]:
    """Page a newest-first listing by its cursor until an item older than `window.since`.

    Progress: `{"cursor": ...}` of the next page, `{"done": true}` at the end (nothing more is
    fetched from there: a source with several listings walks each on its own). A walk starts
    at the listing's top; it stops when the last item of a page (the oldest
    by the listing's order, so a pinned old item at the top does not end it) is older than
    the window, or the listing ends.
    """
    if progress.get("done"):
        return
    cursor = progress.get("cursor")
    while True:
        items, next_cursor = fetch_page(cursor)
        times = [t for t in map(time_of, items) if t is not None]
        last = time_of(items[-1]) if items else None
        posts = tuple(
            p for item in items if (p := to_post(item)) is not None and window.holds(p.published_at)
        )
        passed = last is not None and last < window.since
        done = next_cursor is None or not items or passed
        reached = min(times, default=None)
        progress = DONE if done else {"cursor": next_cursor}
        yield BackfillPage(posts, progress, done, reached, exhausted=done and not passed)
        if done:
            return
        cursor = next_cursor
