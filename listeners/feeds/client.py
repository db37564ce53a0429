"""Fetch one feed source: conditional GET, body-hash short cut, parse, normalise."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.errors import HttpStatusError, ParseError
from earshot.listeners.feeds.discover import discover_feeds
from earshot.listeners.feeds.normalize import feed_title, posts_from_feed
from earshot.listeners.feeds.parse import ParsedFeed, parse_feed
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy, fetch_bytes
from earshot.listeners.records import FetchResult, FetchStatus, SourceSpec

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
    "application/json;q=0.8, */*;q=0.5"
)


def conditional_headers(state: Mapping[str, Any]) -> dict[str, str]:
    """Request headers for a feed, with the validators remembered from the last fetch."""
    headers = {"Accept": ACCEPT}
    etag = state.get("etag")
    if isinstance(etag, str) and etag:
        headers["If-None-Match"] = etag
    last_modified = state.get("last_modified")
    if isinstance(last_modified, str) and last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def revalidation_url(spec: SourceSpec, state: Mapping[str, Any]) -> str:
    """The URL a fetch of this feed starts with: the feed a site page announced, if any."""
    feed_url = state.get("feed_url")
    return feed_url if isinstance(feed_url, str) and feed_url else spec.url


def has_validators(state: Mapping[str, Any]) -> bool:
    """Whether the last fetch left an ETag or Last-Modified to revalidate with."""
    return len(conditional_headers(state)) > 1


def not_modified(spec: SourceSpec, state: Mapping[str, Any]) -> FetchResult:
    """The result of a fetch the server answered with 304 Not Modified."""
    return FetchResult(spec.source_id, FetchStatus.NOT_MODIFIED, state=dict(state), http_status=304)


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """Fetch and normalise one feed (or the feed a site page announces)."""
    # A site URL configured instead of a feed: read the feed its page announced last time.
    feed_url = previous.get("feed_url") if isinstance(previous.get("feed_url"), str) else None
    try:
        return _fetch_feed(client, spec, previous, feed_url or spec.url, policy=policy, now=now)
    except HttpStatusError as exc:
        if feed_url is None or exc.status not in (404, 410):
            raise
    # The announced feed is gone: look at the site again.
    rest = {k: v for k, v in previous.items() if k != "feed_url"}
    return _fetch_feed(client, spec, rest, spec.url, policy=policy, now=now)


def _fetch_feed(
    client: httpx.Client,
    spec: SourceSpec,
    previous: dict[str, Any],
    url: str,
    *,
    policy: HttpPolicy,
    now: datetime,
    discovering: bool = True,
) -> FetchResult:
    response = fetch_bytes(client, url, headers=conditional_headers(previous), policy=policy)
    if response.status_code == 304:
        return not_modified(spec, previous)
    validators = {
        "etag": response.headers.get("etag"),
        "last_modified": response.headers.get("last-modified"),
    }
    body_sha256 = hashlib.sha256(response.content).hexdigest()
    if body_sha256 == previous.get("body_sha256"):
        # Same bytes as last time: nothing new, but remember fresh validators for a 304 next.
        fresher = {k: v for k, v in validators.items() if v}
        return FetchResult(
            spec.source_id,
            FetchStatus.NOT_MODIFIED,
            state={**previous, **fresher},
            http_status=response.status_code,
        )
    content_type = response.headers.get("content-type")
    try:
        parsed = parse_feed(response.content, url=response.url, content_type=content_type)
    except ParseError as exc:
        announced = discover_feeds(response.content, response.url) if discovering else []
        if announced and announced[0] != url:
            # A web page that names its feed: follow it once, and remember it.
            found = _fetch_feed(
                client, spec, {}, announced[0], policy=policy, now=now, discovering=False
            )
            return dataclasses.replace(found, state={**found.state, "feed_url": announced[0]})
        # Name the configured URL (the one the data person knows), and where it led.
        moved = f" (after a redirect to {response.url})" if response.url != spec.url else ""
        raise ParseError(spec.url, exc.message + moved, http_status=response.status_code) from exc
    posts = posts_from_feed(
        parsed,
        source_id=spec.source_id,
        base_url=response.url,
        lang_hint=spec.lang_hint,
        fetched_at=now,
    )
    state = {**validators, "body_sha256": body_sha256, "feed_title": feed_title(parsed)}
    if url != spec.url:
        state["feed_url"] = url
    return FetchResult(
        spec.source_id,
        FetchStatus.OK,
        posts=posts,
        state=state,
        http_status=response.status_code,
        warning=_cut_off(spec.url, parsed, len(posts)),
    )


def _cut_off(url: str, parsed: ParsedFeed, read: int) -> str | None:
    """What to say of a feed whose body ended inside an entry (None: it did not)."""
    if not parsed.cut_off:
        return None
    says = f"; the parser says: {parsed.problem}" if parsed.problem != "the feed ends early" else ""
    return f"{url}: the feed ends inside an entry, which was left out ({read} post(s) read){says}"
