"""Fetch a Hacker News query: Algolia search by date, only items at or after the saved
`created_at_i` mark, paged by page number, resumable."""

from __future__ import annotations

from datetime import datetime

import httpx

from earshot.listeners.fetching import Listener, State
from earshot.listeners.hackernews import urls
from earshot.listeners.hackernews.normalize import hit_id, hit_time, hits_of, post_from_hit
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, SourceSpec
from earshot.listeners.social.common import get_json, require, result
from earshot.listeners.social.paging import Page, walk_newest_first

MAX_PAGES = 5


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`query` (required), `tags` (default stories and comments)."""
    query = require(spec, "query")
    tags = str(spec.options.get("tags") or urls.DEFAULT_TAGS)
    base = str(spec.options.get("api_url") or urls.API)
    walk_state = previous.get("walk") or {}
    mark = walk_state.get("mark")
    since = int(mark) if isinstance(mark, str) and mark.isdigit() else None

    def page(cursor: str | None) -> Page:
        number = int(cursor) if cursor else 0
        url = urls.search_by_date(base, query, tags=tags, since=since, page=number)
        document, _ = get_json(client, url, policy=policy)
        hits, current, pages = hits_of(document)
        return hits, str(current + 1) if current + 1 < pages else None

    walk = walk_newest_first(page, walk_state, key=hit_time, ident=hit_id, max_pages=MAX_PAGES)
    posts = [
        post_from_hit(h, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint)
        for h in walk.items
    ]
    state = {**previous, "walk": walk.state}
    return result(spec, [p for p in posts if p is not None], state, 200 if walk.pages else None)
