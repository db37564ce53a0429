"""One entry point for the collect flow: fetch any configured source by its kind."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners import (
    appstore,
    bluesky,
    discourse,
    feeds,
    hackernews,
    lemmy,
    mastodon,
    news,
    reddit,
    stackexchange,
    youtube,
)
from earshot.listeners.errors import ListenerError
from earshot.listeners.feeds import client as feed_client
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, FetchStatus, SourceSpec
from earshot.listeners.revalidate import Conditional, revalidate

FETCHERS: Mapping[str, Listener] = {
    "feed": feeds.fetch,
    "mastodon": mastodon.fetch,
    "bluesky": bluesky.fetch,
    "reddit": reddit.fetch,
    "hackernews": hackernews.fetch,
    "youtube": youtube.fetch,
    "discourse": discourse.fetch,
    "lemmy": lemmy.fetch,
    "stackexchange": stackexchange.fetch,
    "appstore": appstore.fetch,
    "news": news.fetch,
}


@Listener
def fetch_source(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """Fetch one source with the listener for its kind; never raises for source problems."""
    fetcher = FETCHERS.get(spec.kind)
    if fetcher is None:
        known = ", ".join(sorted(FETCHERS))
        raise ListenerError(spec.url, f"unknown source kind {spec.kind!r} (known kinds: {known})")
    result = fetcher(client, spec, previous, policy=policy, now=now)
    return _with_quiet_runs(result, previous)


# Kinds whose fetch starts with one conditional GET of `feeds.client.revalidation_url`.
REVALIDATING_KINDS = frozenset({"feed", "youtube"})


def fetch_sources(
    client: httpx.Client,
    work: Iterable[tuple[SourceSpec, Mapping[str, Any]]],
    *,
    policy: HttpPolicy,
    workers: int = 8,
    now: datetime | None = None,
) -> Iterator[FetchResult]:
    """Fetch many sources, yielding each result as soon as it is ready (in no set order).

    Every source is requested. Feeds whose last fetch left an ETag or Last-Modified are
    first revalidated together on pooled connections (`listeners.revalidate`): a 304 ends
    their fetch at a fraction of a full request's cost. Every other source, and every feed
    that did not answer 304, goes through `fetch_source` on `workers` threads. The
    revalidation ends before those fetches start, so no host sees both paths at once (each
    keeps to the policy's per-host concurrency and interval on its own).
    """
    pending = list(work)
    unchanged = revalidate_unchanged(pending, policy=policy)
    yield from unchanged.values()
    rest = iter([pair for n, pair in enumerate(pending) if n not in unchanged])
    # At most a few results per worker wait for the caller: when storing is slower than
    # fetching, fetching pauses instead of holding every source's posts in memory.
    window = max(1, workers) * 4
    running: set[Future[FetchResult]] = set()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        while True:
            for spec, state in itertools.islice(rest, window - len(running)):
                running.add(pool.submit(fetch_source, client, spec, state, policy=policy, now=now))
            if not running:
                return
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


def revalidate_unchanged(
    work: Sequence[tuple[SourceSpec, Mapping[str, Any]]], *, policy: HttpPolicy
) -> dict[int, FetchResult]:
    """Revalidate the feeds among `work` together; return {index: result} for each 304.

    Only feeds (and YouTube feeds without comments, which come whether or not the feed
    changed) whose saved state has an ETag or Last-Modified take part.
    The conditional GETs run on pooled keep-alive connections within the policy's per-host
    limits; any answer but 304 leaves that source to a normal `fetch_source`.
    """
    conditional = [
        n
        for n, (spec, state) in enumerate(work)
        if spec.kind in REVALIDATING_KINDS
        and feed_client.has_validators(state)
        and not (spec.kind == "youtube" and youtube.reads_comments(spec))
    ]
    if not conditional:
        return {}
    answers = revalidate(
        [
            Conditional(
                feed_client.revalidation_url(work[n][0], work[n][1]),
                feed_client.conditional_headers(work[n][1]),
            )
            for n in conditional
        ],
        policy=policy,
    )
    unchanged: dict[int, FetchResult] = {}
    for n, answer in zip(conditional, answers, strict=True):
        if answer:
            spec, state = work[n]
            unchanged[n] = _with_quiet_runs(feed_client.not_modified(spec, state), state)
    return unchanged


def _with_quiet_runs(result: FetchResult, previous: Mapping[str, Any]) -> FetchResult:
    """Count fetches in a row that brought nothing new (adaptive polling reads it)."""
    if result.status is FetchStatus.FAILED:
        return result
    quiet = previous.get("quiet_runs")
    quiet = quiet if isinstance(quiet, int) else 0
    quiet = quiet + 1 if not result.posts else 0
    return dataclasses.replace(result, state={**result.state, "quiet_runs": quiet})
