"""Fetch a Reddit source: newest-first listing paged by `after`, resumable; a descriptive
User-Agent (the shared client's) and OAuth client credentials when configured."""

from __future__ import annotations

import base64
import threading
import time
from datetime import datetime

import httpx

from earshot.listeners.errors import ListenerError
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, SourceSpec
from earshot.listeners.reddit import urls
from earshot.listeners.reddit.normalize import listing_things, post_from_thing, thing_id, thing_time
from earshot.listeners.social.common import get_json, result, secret
from earshot.listeners.social.paging import Page, PageFetcher, walk_newest_first

MAX_PAGES = 5

# Application tokens live in this process only, until shortly before they expire.
_TOKENS: dict[tuple[str, str], tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()


def app_token(
    client: httpx.Client, token_url: str, client_id: str, client_secret: str, policy: HttpPolicy
) -> str:
    """An application-only OAuth token (client credentials grant), cached until expiry."""
    key = (token_url, client_id)
    with _TOKENS_LOCK:
        cached = _TOKENS.get(key)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    answer, _ = get_json(
        client, token_url, policy=policy, method="POST",
        content=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}",
                 "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str):
        raise ListenerError(token_url, "the OAuth answer has no access_token")
    lifetime = answer.get("expires_in")
    seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
    with _TOKENS_LOCK:
        _TOKENS[key] = (token, time.monotonic() + max(seconds - 60.0, 0.0))
    return token


def listing_pages(client: httpx.Client, spec: SourceSpec, policy: HttpPolicy) -> PageFetcher:
    """The source's listing (newest first) as a page fetcher by `after`; with OAuth client
    credentials when configured."""
    subreddit = spec.options.get("subreddit") or None
    query = spec.options.get("query") or None
    if not subreddit and not query:
        raise ListenerError(spec.url, "a reddit source needs `subreddit` or `query`")
    client_id, client_secret = secret(spec, "client_id"), secret(spec, "client_secret")
    headers: dict[str, str] = {}
    oauth = bool(client_id and client_secret)
    if client_id and client_secret:
        token_url = str(spec.options.get("token_url") or urls.TOKEN_URL)
        token = app_token(client, token_url, client_id, client_secret, policy)
        headers["Authorization"] = f"Bearer {token}"
        base = str(spec.options.get("oauth_api_url") or urls.OAUTH_API)
    else:
        base = str(spec.options.get("api_url") or urls.PUBLIC_API)

    def page(cursor: str | None) -> Page:
        url = urls.listing(base, subreddit=subreddit, query=query, after=cursor, oauth=oauth)
        document, _ = get_json(client, url, policy=policy, headers=headers)
        return listing_things(document)

    return page


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`subreddit` (its new posts), `query` (search; within `subreddit` when both are set)."""
    page = listing_pages(client, spec, policy)
    walk = walk_newest_first(
        page, previous.get("walk") or {}, key=thing_time, ident=thing_id, max_pages=MAX_PAGES
    )
    posts = [
        post_from_thing(t, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint)
        for t in walk.items
    ]
    state = {**previous, "walk": walk.state}
    return result(spec, [p for p in posts if p is not None], state, 200 if walk.pages else None)
