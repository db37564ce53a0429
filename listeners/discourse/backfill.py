"""Discourse history: the forum's posts walked back by `before` (a post id), or a category's
or tag's topic list read page after page until its topics' last activity is before the
window, with every post of each topic."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.discourse import urls
from earshot.listeners.discourse.client import api_headers, latest_posts_pager, new_topic_posts
from earshot.listeners.discourse.normalize import (
    post_from_discourse,
    topics_of,
)
from earshot.listeners.errors import ParseError
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import Post, SourceSpec
from earshot.listeners.social.backfill import DONE, BackfillPage, Window, walk_back
from earshot.listeners.social.common import get_json, parse_iso, text_field


def backfill(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    window: Window,
    now: datetime,
) -> Iterator[BackfillPage]:
    """Progress: `cursor` (the post id to read before) for a forum; `page` and the topics
    of that page stored so far (`topics_done`) for a category or tag."""
    forum = spec.url
    headers = api_headers(spec)
    category = text_field(spec.options.get("category"))
    tag = text_field(spec.options.get("tag"))
    if category or tag:
        yield from _topics(client, spec, progress, policy, window, now, category, tag)
        return

    page = latest_posts_pager(client, forum, policy, headers)

    def to_post(raw: Mapping[str, Any]) -> Post | None:
        return post_from_discourse(
            raw, forum=forum, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint
        )

    yield from walk_back(
        page, progress, window=window, time_of=lambda p: parse_iso(p.get("created_at")),
        to_post=to_post,
    )  # fmt: skip


def _topics(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    policy: HttpPolicy,
    window: Window,
    now: datetime,
    category: str | None,
    tag: str | None,
) -> Iterator[BackfillPage]:
    forum, headers = spec.url, api_headers(spec)
    number = int(progress.get("page") or 0)
    finished = {int(t) for t in progress.get("topics_done") or ()}
    while True:
        url = urls.latest_topics(forum, category=category, tag=tag, page=number)
        document, _ = get_json(client, url, policy=policy, headers=headers)
        if not isinstance(document, dict) or "topic_list" not in document:
            raise ParseError(url, "not a Discourse topic list (no `topic_list`)")
        topics, more = topics_of(document)
        unpinned = [t for t in topics if not t.get("pinned")]
        last = parse_iso(unpinned[-1].get("last_posted_at")) if unpinned else None
        passed = last is not None and last < window.since
        page_done = not more or not topics or passed
        todo = [t for t in topics if int(t["id"]) not in finished and _may_hold(t, window)]
        if not todo:
            after = DONE if page_done else {"page": number + 1, "topics_done": []}
            yield BackfillPage((), after, page_done, last, exhausted=page_done and not passed)
        for n, topic in enumerate(todo):
            tid = int(topic["id"])
            got, _, _ = new_topic_posts(client, forum, tid, 0, policy, headers, 10_000)
            title = text_field(topic.get("fancy_title")) or text_field(topic.get("title"))
            posts = (
                post_from_discourse(
                    raw, forum=forum, source_id=spec.source_id, fetched_at=now,
                    lang_hint=spec.lang_hint, topic_title=title,
                )
                for raw in got
            )  # fmt: skip
            kept = tuple(p for p in posts if p is not None and window.holds(p.published_at))
            finished.add(tid)
            times = [t for raw in got if (t := parse_iso(raw.get("created_at")))]
            if n + 1 < len(todo):
                after = {"page": number, "topics_done": sorted(finished)}
                yield BackfillPage(kept, after, False, min(times, default=None))
            else:
                after = DONE if page_done else {"page": number + 1, "topics_done": []}
                yield BackfillPage(
                    kept, after, page_done, min(times, default=None),
                    exhausted=page_done and not passed,
                )  # fmt: skip
        if page_done:
            return
        number, finished = number + 1, set()


def _may_hold(topic: Mapping[str, Any], window: Window) -> bool:
    """Can the topic have a post in the window? Not if it began after it or ended before."""
    created = parse_iso(topic.get("created_at"))
    active = parse_iso(topic.get("last_posted_at")) or parse_iso(topic.get("bumped_at"))
    return not (created and created >= window.until) and not (active and active < window.since)
