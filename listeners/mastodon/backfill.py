"""Mastodon history: a hashtag timeline, an account's statuses or a search paged back by
`max_id` (the oldest status id of the page before) to the window's start."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from earshot.listeners.errors import ParseError
from earshot.listeners.http import HttpPolicy
from earshot.listeners.mastodon import urls
from earshot.listeners.mastodon.client import id_key
from earshot.listeners.mastodon.normalize import post_from_status, statuses_of
from earshot.listeners.records import Post, SourceSpec
from earshot.listeners.social.backfill import BackfillPage, Window, walk_back
from earshot.listeners.social.common import get_json, parse_iso, require, secret
from earshot.listeners.social.paging import Page


def backfill(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    window: Window,
    now: datetime,
) -> Iterator[BackfillPage]:
    """Progress: the `max_id` cursor of the next page."""
    instance = require(spec, "instance")
    token = secret(spec, "token")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if spec.options.get("hashtag"):
        first = urls.hashtag_timeline(instance, require(spec, "hashtag"))
    elif spec.options.get("account"):
        lookup = urls.account_lookup(instance, require(spec, "account"))
        found, _ = get_json(client, lookup, policy=policy, headers=headers)
        account_id = found.get("id") if isinstance(found, dict) else None
        if not isinstance(account_id, str):
            raise ParseError(lookup, "the account lookup gave no account id")
        first = urls.account_statuses(instance, account_id)
    else:
        if token is None:
            raise ParseError(spec.url, "Mastodon search needs a token (set `token_env`)")
        first = urls.search(instance, require(spec, "query"))

    def page(cursor: str | None) -> Page:
        url = first if cursor is None else _with_max_id(first, cursor)
        document, _ = get_json(client, url, policy=policy, headers=headers)
        if not isinstance(document, list | dict):
            raise ParseError(url, "expected a list of statuses")
        statuses = statuses_of(document)
        ids = [str(s["id"]) for s in statuses if isinstance(s.get("id"), str)]
        return statuses, min(ids, key=id_key) if ids else None

    def to_post(status: Mapping[str, Any]) -> Post | None:
        return post_from_status(
            status, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint
        )

    yield from walk_back(
        page, progress, window=window, time_of=lambda s: parse_iso(s.get("created_at")),
        to_post=to_post,
    )  # fmt: skip


def _with_max_id(url: str, max_id: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "max_id"] + [("max_id", max_id)]
    return urlunsplit(parts._replace(query=urlencode(query)))
