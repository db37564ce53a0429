"""Fetch a Discourse source: the forum's newest posts walked back by `before` to the saved
post id, or a category's / tag's topics by latest activity with their new posts, a topic's
later posts by page; optional API key and user (`api_key_env`, `api_username_env`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.discourse import urls
from earshot.listeners.discourse.normalize import (
    latest_posts_of,
    post_from_discourse,
    post_id,
    topic_posts_of,
    topic_stream,
    topics_of,
)
from earshot.listeners.errors import ListenerError, ParseError
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, Post, SourceSpec
from earshot.listeners.social.common import get_json, result, secret, text_field
from earshot.listeners.social.paging import Page, walk_newest_first

MAX_PAGES = 5  # of /posts.json (50 posts each) per run
MAX_REQUESTS = 40  # topic lists and topic pages per run; the rest follows next run
MAX_TOPIC_PAGES = 2  # of the topic list per run
KEPT_TOPICS = 1000  # per-topic marks kept in the state (most recently active)


def api_headers(spec: SourceSpec) -> dict[str, str]:
    """The API key and user headers when the source names them (`api_key_env`, ...)."""
    key, user = secret(spec, "api_key"), secret(spec, "api_username")
    if key and not user:
        raise ListenerError(spec.url, "a Discourse API key needs `api_username_env` too")
    return {"Api-Key": key, "Api-Username": str(user)} if key else {}


def latest_posts_pager(
    client: httpx.Client, forum: str, policy: HttpPolicy, headers: Mapping[str, str]
) -> Callable[[str | None], Page]:
    """A page of the forum's newest posts (`/posts.json`) before a post id (the cursor; None:
    the newest), and the cursor of the next older page (None at the listing's end)."""

    def page(cursor: str | None) -> Page:
        url = urls.latest_posts(forum, before=int(cursor) if cursor else None)
        document, _ = get_json(client, url, policy=policy, headers=headers)
        if not isinstance(document, dict) or "latest_posts" not in document:
            raise ParseError(url, "not a Discourse posts list (no `latest_posts`)")
        posts = latest_posts_of(document)
        oldest = min((post_id(p) or 0 for p in posts), default=0)
        return posts, str(oldest) if posts and oldest > 1 else None

    return page


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`url` (the forum), optionally `category` (slug, `parent/child` or id) or `tag`."""
    forum = spec.url
    headers = api_headers(spec)
    category = text_field(spec.options.get("category"))
    tag = text_field(spec.options.get("tag"))
    if category or tag:
        return _topics(client, spec, previous, policy, now, forum, headers, category, tag)

    page = latest_posts_pager(client, forum, policy, headers)
    walk = walk_newest_first(
        page,
        previous.get("walk") or {},
        key=lambda p: f"{post_id(p):012d}",
        ident=lambda p: str(post_id(p)),
        max_pages=MAX_PAGES,
    )
    found = [
        post_from_discourse(
            p, forum=forum, source_id=spec.source_id, fetched_at=now, lang_hint=spec.lang_hint
        )
        for p in walk.items
    ]
    state = {**previous, "walk": walk.state}
    return result(spec, [p for p in found if p is not None], state, 200 if walk.pages else None)


def _topics(
    client: httpx.Client,
    spec: SourceSpec,
    previous: State,
    policy: HttpPolicy,
    now: datetime,
    forum: str,
    headers: Mapping[str, str],
    category: str | None,
    tag: str | None,
) -> FetchResult:
    """Topics with posts we have not stored: the list is read down to the saved activity
    mark; each topic's pages are read from the first one holding a post after its mark.

    State: `topics` = {topic id: highest post id stored}, `activity` = the newest activity
    time of a run that read every topic it found (a run cut short by the request budget
    keeps the old one, so the next run finds the rest again).
    """
    marks: dict[str, int] = {
        str(k): v for k, v in (previous.get("topics") or {}).items() if isinstance(v, int)
    }
    activity = previous.get("activity") if isinstance(previous.get("activity"), str) else None
    requests = 0
    pending: list[Mapping[str, Any]] = []
    for number in range(MAX_TOPIC_PAGES):
        url = urls.latest_topics(forum, category=category, tag=tag, page=number)
        document, _ = get_json(client, url, policy=policy, headers=headers)
        requests += 1
        if not isinstance(document, dict) or "topic_list" not in document:
            raise ParseError(url, "not a Discourse topic list (no `topic_list`)")
        topics, more = topics_of(document)
        reached = False
        for topic in topics:
            bumped = _activity(topic)
            if activity and bumped and bumped <= activity:
                if not topic.get("pinned"):  # pinned topics head the list whatever their age
                    reached = True
                continue
            pending.append(topic)
        if reached or not more:
            break
    posts: list[Post] = []
    done = True
    for topic in pending:
        if requests >= MAX_REQUESTS:
            done = False
            break
        tid = int(topic["id"])
        mark = marks.get(str(tid), 0)
        got, used, complete = new_topic_posts(
            client, forum, tid, mark, policy, headers, MAX_REQUESTS - requests
        )
        requests += used
        title = text_field(topic.get("fancy_title")) or text_field(topic.get("title"))
        for raw in got:
            post = post_from_discourse(
                raw,
                forum=forum,
                source_id=spec.source_id,
                fetched_at=now,
                lang_hint=spec.lang_hint,
                topic_title=title,
            )
            if post is not None:
                posts.append(post)
        newest = max((post_id(p) or 0 for p in got), default=mark)
        if newest > mark:
            marks[str(tid)] = newest
        done = done and complete
    state: dict[str, Any] = dict(previous)
    kept = sorted(marks.items(), key=lambda kv: kv[1], reverse=True)[:KEPT_TOPICS]
    state["topics"] = dict(kept)
    if done:
        newest_activity = max((a for t in pending if (a := _activity(t))), default=activity)
        if newest_activity:
            state["activity"] = max(newest_activity, activity or "")
    return result(spec, posts, state, 200)


def _activity(topic: Mapping[str, Any]) -> str | None:
    """When a topic last changed: `last_posted_at` (ISO UTC strings compare as times)."""
    return text_field(topic.get("last_posted_at")) or text_field(topic.get("bumped_at"))


def new_topic_posts(
    client: httpx.Client,
    forum: str,
    topic_id: int,
    mark: int,
    policy: HttpPolicy,
    headers: Mapping[str, str],
    budget: int,
) -> tuple[list[Mapping[str, Any]], int, bool]:
    """Posts of a topic with an id above `mark`, the requests used, and whether all were read.

    The first page carries every post id (`post_stream.stream`); pages before the first one
    with a new post are skipped.
    """
    url = urls.topic(forum, topic_id)
    document, _ = get_json(client, url, policy=policy, headers=headers)
    if not isinstance(document, dict) or "post_stream" not in document:
        raise ParseError(url, "not a Discourse topic (no `post_stream`)")
    used = 1
    stream, chunk = topic_stream(document)
    got = [p for p in topic_posts_of(document) if (post_id(p) or 0) > mark]
    seen = {post_id(p) for p in topic_posts_of(document)}
    later = [i for i in stream if i > mark and i not in seen]
    if not later:
        return got, used, True
    first_page = stream.index(later[0]) // chunk + 1
    last_page = (len(stream) - 1) // chunk + 1
    for number in range(max(first_page, 2), last_page + 1):
        if used >= budget:
            return got, used, False
        document, _ = get_json(client, urls.topic(forum, topic_id, page=number), policy=policy,
                               headers=headers)  # fmt: skip
        used += 1
        page_posts = topic_posts_of(document)
        if not page_posts:
            break
        got.extend(p for p in page_posts if (post_id(p) or 0) > mark and post_id(p) not in seen)
        seen.update(post_id(p) for p in page_posts)
    return got, used, True
