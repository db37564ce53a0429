"""Fetch a Mastodon source: walk forward from the saved `since_id` with `min_id` and the
`Link: rel="prev"` header, so nothing between runs is missed and a rerun adds nothing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from earshot.listeners.errors import ParseError
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.mastodon import urls
from earshot.listeners.mastodon.normalize import post_from_status, statuses_of
from earshot.listeners.records import FetchResult, Post, SourceSpec
from earshot.listeners.social.common import get_json, require, result, secret

MAX_PAGES = 10  # per run; the rest follows next run from the saved since_id


def id_key(status_id: str) -> tuple[int, str]:
    # Mastodon ids are decimal snowflakes as strings: compare numerically.
    return (len(status_id), status_id)


def pages(
    client: httpx.Client,
    first_url: str,
    *,
    policy: HttpPolicy,
    headers: Mapping[str, str],
    max_pages: int = MAX_PAGES,
    forward: bool = True,
) -> Iterator[tuple[list[Mapping[str, Any]], int]]:
    """Pages of statuses with the HTTP status; forward follows `rel="prev"` (newer)."""
    url: str | None = first_url
    for _ in range(max_pages):
        if url is None:
            return
        document, response = get_json(client, url, policy=policy, headers=headers)
        if not isinstance(document, list | dict):
            raise ParseError(url, "expected a list of statuses")
        statuses = statuses_of(document)
        yield statuses, response.status_code
        if not statuses or not forward:
            return
        link = urls.parse_link_header(response.headers.get("link")).get("prev")
        if link is None:  # search has no Link header: page on by the newest id seen
            newest = max((str(s.get("id")) for s in statuses), key=id_key)
            link = _with_min_id(url, newest)
        url = link


def _with_min_id(url: str, min_id: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "min_id"] + [("min_id", min_id)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """Hashtag (`hashtag`), account (`account`) or search (`query`, needs `token_env`)."""
    instance = require(spec, "instance")
    token = secret(spec, "token")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    since_id = previous.get("since_id")
    new_state = dict(previous)
    if spec.options.get("hashtag"):
        first = urls.hashtag_timeline(instance, require(spec, "hashtag"), min_id=since_id)
    elif spec.options.get("account"):
        account_id = previous.get("account_id")
        if not account_id:
            lookup = urls.account_lookup(instance, require(spec, "account"))
            found, _ = get_json(client, lookup, policy=policy, headers=headers)
            account_id = found.get("id") if isinstance(found, dict) else None
            if not isinstance(account_id, str):
                raise ParseError(lookup, "the account lookup gave no account id")
            new_state["account_id"] = account_id
        first = urls.account_statuses(instance, account_id, min_id=since_id)
    else:
        query = require(spec, "query")
        if token is None:
            raise ParseError(spec.url, "Mastodon search needs a token (set `token_env`)")
        first = urls.search(instance, query, min_id=since_id)
    posts: list[Post] = []
    newest = since_id
    http_status: int | None = None
    # Without a saved since_id, take the latest page only: history is not what we want.
    for statuses, page_status in pages(
        client, first, policy=policy, headers=headers, forward=since_id is not None
    ):
        http_status = page_status
        for status in statuses:
            sid = status.get("id")
            if isinstance(sid, str) and (newest is None or id_key(sid) > id_key(newest)):
                newest = sid
            post = post_from_status(
                status,
                source_id=spec.source_id,
                fetched_at=now,
                lang_hint=spec.lang_hint,
            )
            if post is not None:
                posts.append(post)
    if newest:
        new_state["since_id"] = newest
    return result(spec, posts, new_state, http_status)
