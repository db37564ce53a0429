"""Fetch a Lemmy source: a community's new posts and new comments, or a search (`query`),
each walked newest first down to its saved mark; paged by Lemmy 0.19's cursor where the
instance gives one, else by page number (0.18)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.errors import ListenerError, ParseError
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.lemmy import urls
from earshot.listeners.lemmy.normalize import (
    next_cursor,
    post_from_comment_view,
    post_from_post_view,
    view_id,
    view_time,
    views_of,
)
from earshot.listeners.records import FetchResult, Post, SourceSpec
from earshot.listeners.social.common import get_json, require, result, text_field
from earshot.listeners.social.paging import Page, walk_newest_first

MAX_PAGES = 5  # per walk (posts, comments) and run; the rest follows next run
UrlOf = Callable[[int, str | None], str]  # (page number, cursor) -> URL


def listing_pager(
    client: httpx.Client, policy: HttpPolicy, key: str, url_of: UrlOf
) -> Callable[[str | None], Page]:
    """A page fetcher over Lemmy's two paging styles: cursors are `c:<next_page>` or `p:<n>`."""

    def page(cursor: str | None) -> Page:
        number, token = 1, None
        if cursor and cursor.startswith("c:"):
            token = cursor[2:]
        elif cursor and cursor.startswith("p:"):
            number = int(cursor[2:])
        url = url_of(number, token)
        document, _ = get_json(client, url, policy=policy)
        if not isinstance(document, dict) or key not in document:
            raise ParseError(url, f"not a Lemmy answer (no `{key}`)")
        views = views_of(document, key)
        following = next_cursor(document)
        if following:
            return views, f"c:{following}"
        return views, f"p:{number + 1}" if len(views) >= urls.PAGE_SIZE else None

    return page


def listing_urls(
    spec: SourceSpec, instance: str, community: str | None, query: str | None
) -> tuple[UrlOf, UrlOf]:
    """The URL makers of the source's posts and comments listings."""
    if query:
        q = query
        return (
            lambda n, _c: urls.search(instance, q, kind="Posts", community=community, page=n),
            lambda n, _c: urls.search(instance, q, kind="Comments", community=community, page=n),
        )
    if community:
        name = community
        return (
            lambda n, c: urls.community_posts(instance, name, page=n, cursor=c),
            lambda n, _c: urls.community_comments(instance, name, page=n),
        )
    raise ListenerError(spec.url, "a lemmy source needs `community` or `query`")


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`instance` and `community` (`name` or `name@instance`: its posts and comments) or
    `query` (search, within `community` when both are set)."""
    instance = require(spec, "instance")
    community = text_field(str(spec.options.get("community") or "").lstrip("!"))
    query = text_field(spec.options.get("query"))
    posts_url, comments_url = listing_urls(spec, instance, community, query)
    posts: list[Post] = []
    state: dict[str, Any] = dict(previous)
    pages = 0
    for key, url_of, normalise in (
        ("posts", posts_url, post_from_post_view),
        ("comments", comments_url, post_from_comment_view),
    ):
        walk = walk_newest_first(
            listing_pager(client, policy, key, url_of),
            previous.get(key) or {},
            key=view_time,
            ident=view_id,
            max_pages=MAX_PAGES,
        )
        pages += walk.pages
        state[key] = walk.state
        for view in walk.items:
            post = normalise(
                view, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint
            )
            if post is not None:
                posts.append(post)
    return result(spec, posts, state, 200 if pages else None)
