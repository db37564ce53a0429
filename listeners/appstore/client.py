"""Fetch an App Store source: each country's reviews feed, newest first, walked down to the
country's saved newest review id (at most the feed's 10 pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.appstore import urls
from earshot.listeners.appstore.normalize import (
    feed_of,
    post_from_review,
    review_id,
    review_key,
    reviews_of,
)
from earshot.listeners.errors import ListenerError, ParseError
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, Post, SourceSpec
from earshot.listeners.social.common import get_json, require, result
from earshot.listeners.social.paging import Page, walk_newest_first


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`app_id` (digits) in `countries` (comma-separated store codes, e.g. `de,at,ch`)."""
    app_id = require(spec, "app_id")
    countries = [c.strip().lower() for c in require(spec, "countries").split(",") if c.strip()]
    if not countries:
        raise ListenerError(spec.url, "the source needs at least one of `countries`")
    base = str(spec.options.get("api_url") or urls.API)
    kept = previous.get("countries")
    saved: dict[str, Any] = kept if isinstance(kept, dict) else {}
    walks: dict[str, Any] = {}
    posts: list[Post] = []
    pages = 0
    for country in countries:

        def page(cursor: str | None, country: str = country) -> Page:
            number = int(cursor) if cursor else 1
            url = urls.reviews(base, app_id, country, page=number)
            document, _ = get_json(client, url, policy=policy)
            feed = feed_of(document)
            if feed is None:
                raise ParseError(url, "not an App Store reviews feed (no `feed`)")
            reviews = reviews_of(feed)
            more = bool(reviews) and number < urls.MAX_PAGE
            return reviews, str(number + 1) if more else None

        walk = walk_newest_first(
            page,
            saved.get(country) or {},
            key=review_key,
            ident=lambda e: review_id(e) or "",
            max_pages=urls.MAX_PAGE,
        )
        pages += walk.pages
        walks[country] = walk.state
        for entry in walk.items:
            post = post_from_review(
                entry,
                app_id=app_id,
                country=country,
                source_id=spec.source_id,
                fetched_at=now,
                lang_hint=spec.lang_hint,
            )
            if post is not None:
                posts.append(post)
    state = {**previous, "countries": {**saved, **walks}}
    return result(spec, posts, state, 200 if pages else None)
