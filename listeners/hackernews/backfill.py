"""Hacker News history: Algolia search by date in a window that narrows page by page.

Algolia serves at most 1,000 hits of one query, so the walk does not page deep: each request
asks for the newest hits created before `before`, and the next one moves `before` to the
oldest second just seen (that second is asked again, so hits sharing it are not cut off; a
page all of one second pages on by number instead).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.hackernews import urls
from earshot.listeners.hackernews.normalize import hits_of, post_from_hit
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import SourceSpec
from earshot.listeners.social.backfill import DONE, BackfillPage, Window
from earshot.listeners.social.common import from_epoch, get_json, require


def backfill(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    window: Window,
    now: datetime,
) -> Iterator[BackfillPage]:
    """Progress: `before` (epoch second, exclusive) and `page` of the next request."""
    query = require(spec, "query")
    tags = str(spec.options.get("tags") or urls.DEFAULT_TAGS)
    base = str(spec.options.get("api_url") or urls.API)
    since = int(window.since.timestamp())
    before = int(progress.get("before") or window.until.timestamp())
    page = int(progress.get("page") or 0)
    while True:
        url = urls.search_window(base, query, tags=tags, since=since, before=before, page=page)
        document, _ = get_json(client, url, policy=policy)
        hits, current, pages = hits_of(document)
        seconds = [s for h in hits if isinstance(s := h.get("created_at_i"), int)]
        posts = [
            post_from_hit(h, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint)
            for h in hits
        ]
        kept = tuple(p for p in posts if p is not None and window.holds(p.published_at))
        reached = from_epoch(min(seconds)) if seconds else None
        if not hits or current + 1 >= pages or not seconds:
            yield BackfillPage(kept, DONE, True, reached)
            return
        oldest = min(seconds)
        before, page = (oldest + 1, 0) if oldest + 1 < before else (before, page + 1)
        yield BackfillPage(kept, {"before": before, "page": page}, False, reached)
