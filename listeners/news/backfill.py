"""GDELT history: the window's articles newest first, the end of the date window
(`enddatetime`) moved down to the oldest article of each full answer. GDELT searches only
its last 3 months (`earliest`), and wants one request per 5 s: the job's client keeps that
interval for GDELT's host, as a collect does."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from earshot.listeners.http import HttpPolicy
from earshot.listeners.news import urls
from earshot.listeners.news.client import SEARCHABLE, article_page, split_list
from earshot.listeners.news.normalize import post_from_article, seen_at
from earshot.listeners.records import SourceSpec
from earshot.listeners.social.backfill import DONE, BackfillPage, Window
from earshot.listeners.social.common import require


def earliest(now: datetime) -> datetime:
    """The oldest time GDELT DOC still searches."""
    return now - SEARCHABLE


def backfill(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    window: Window,
    now: datetime,
) -> Iterator[BackfillPage]:
    """Progress: the `end` (GDELT stamp, inclusive) of the next request's window."""
    query = urls.full_query(
        require(spec, "query"),
        languages=split_list(spec.options.get("languages")),
        countries=split_list(spec.options.get("countries")),
    )
    base = str(spec.options.get("api_url") or urls.API)
    start = max(window.since, earliest(now))
    saved = progress.get("end")
    end = (
        datetime.strptime(saved, "%Y%m%d%H%M%S").replace(tzinfo=window.until.tzinfo)
        if isinstance(saved, str)
        else window.until - timedelta(seconds=1)
    )
    while True:
        articles, _ = article_page(
            client, urls.article_list(base, query, start=start, end=end), policy
        )
        posts = (
            post_from_article(a, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint)
            for a in articles
        )
        kept = tuple(p for p in posts if p is not None and window.holds(p.published_at))
        oldest = min((t for a in articles if (t := seen_at(a))), default=None)
        if len(articles) < urls.MAX_RECORDS or oldest is None:
            yield BackfillPage(kept, DONE, True, oldest)
            return
        # the oldest second again (dedup keeps its articles once); a full answer all of one
        # second moves on below it
        end = oldest if oldest < end else end - timedelta(seconds=1)
        yield BackfillPage(kept, {"end": urls.stamp(end)}, False, oldest)
