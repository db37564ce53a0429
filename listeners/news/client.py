"""Fetch a news source: GDELT DOC 2.0 articles seen since the saved mark, newest first; a
window fuller than one answer (250 articles) is paged back by `enddatetime`, resumably.
GDELT wants at most one request every 5 s: the collect run's client keeps that interval
for GDELT's host (`pipelines.http_setup.http_policy`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx

from earshot.listeners.errors import ParseError
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy, fetch_bytes
from earshot.listeners.news import urls
from earshot.listeners.news.normalize import article_id, article_key, articles_of, post_from_article
from earshot.listeners.records import FetchResult, SourceSpec
from earshot.listeners.social.common import JSON_ACCEPT, require, result
from earshot.listeners.social.paging import Page, walk_newest_first

MAX_PAGES = 3  # requests per run (5 s apart)
FIRST_WINDOW = timedelta(days=1)  # how far back a new source starts
SEARCHABLE = timedelta(days=89)  # GDELT DOC searches the last 3 months; older is refused


def split_list(value: object) -> list[str]:
    """A comma-separated option (`de,at`) as its items."""
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def article_page(client: httpx.Client, url: str, policy: HttpPolicy) -> Page:
    """One GDELT answer's articles (no cursor: the caller moves the date window)."""
    response = fetch_bytes(client, url, headers=JSON_ACCEPT, policy=policy)
    try:
        document = json.loads(response.content) if response.content.strip() else {}
    except (ValueError, RecursionError):
        # GDELT says what is wrong with a query in a plain-text body, with status 200.
        said = " ".join(response.content[:300].decode("utf-8", "replace").split())
        raise ParseError(url, f"GDELT did not answer with articles: {said!r}") from None
    articles = articles_of(document)
    if articles is None:
        raise ParseError(url, "not a GDELT article list (no `articles`)")
    return articles, None


def _parse_stamp(value: object, now: datetime) -> datetime | None:
    """A saved GDELT stamp ('20240506114500', UTC) as a time; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=now.tzinfo)
    except ValueError:
        return None


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`query` (GDELT syntax), optional `languages` and `countries` (comma-separated)."""
    query = urls.full_query(
        require(spec, "query"),
        languages=split_list(spec.options.get("languages")),
        countries=split_list(spec.options.get("countries")),
    )
    base = str(spec.options.get("api_url") or urls.API)
    walk_state = previous.get("walk") or {}
    start = _parse_stamp(walk_state.get("mark"), now) or now - FIRST_WINDOW
    start = max(start, now - SEARCHABLE)

    def page(cursor: str | None) -> Page:
        end = (
            datetime.strptime(cursor, "%Y%m%d%H%M%S").replace(tzinfo=now.tzinfo) if cursor else None
        )
        articles, _ = article_page(
            client, urls.article_list(base, query, start=start, end=end), policy
        )
        if len(articles) < urls.MAX_RECORDS:
            return articles, None
        # A full answer: the window holds more. Go on below its oldest article (the same
        # second again: the walk's mark ids keep those already taken from coming twice).
        oldest = min((article_key(a) for a in articles if article_key(a)), default=None)
        return articles, oldest

    walk = walk_newest_first(
        page,
        walk_state,
        key=article_key,
        ident=article_id,
        max_pages=MAX_PAGES,
        first_run_pages=MAX_PAGES,
    )
    posts = [
        post_from_article(a, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint)
        for a in walk.items
    ]
    state = {**previous, "walk": walk.state}
    return result(spec, [p for p in posts if p is not None], state, 200 if walk.pages else None)
