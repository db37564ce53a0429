"""Fetch a Stack Exchange source: the site's questions (by `tagged` and/or `query`) walked
newest activity first down to the saved mark, their new questions and new answers, created
after the saved creation date; the API's `backoff` and quota respected and kept in the state."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from earshot.listeners.errors import ListenerError, ParseError, RateLimited
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, Post, SourceSpec
from earshot.listeners.social.common import get_json, require, result, secret, text_field
from earshot.listeners.social.paging import Page, walk_newest_first
from earshot.listeners.stackexchange import urls
from earshot.listeners.stackexchange.normalize import (
    Wrapper,
    activity_key,
    answers_of,
    created,
    item_id,
    post_from_item,
    questions_of,
    wrapper_of,
)

MAX_QUESTION_PAGES = 3  # of 100 questions each, per run; the rest follows next run
MAX_ANSWER_PAGES = 3  # per 100 questions


class Api:
    """GETs of one run: each waits out a `backoff` the answer before asked for (up to the
    policy's longest wait, as for `Retry-After`; beyond it the source fails and is retried
    after the backoff), and the quota is noted."""

    def __init__(self, client: httpx.Client, policy: HttpPolicy, spec: SourceSpec) -> None:
        self.client, self.policy, self.spec = client, policy, spec
        self.quota: dict[str, int] = {}
        self.backoff: int | None = None

    def get(self, url: str) -> Wrapper:
        if self.backoff:
            if self.backoff > self.policy.max_retry_after_seconds:
                raise RateLimited(
                    url,
                    f"the API asked us to back off for {self.backoff} s, longer than the "
                    f"{self.policy.max_retry_after_seconds:g} s we wait in one run",
                    retry_after=float(self.backoff),
                )
            time.sleep(self.backoff)
            self.backoff = None
        document, _ = get_json(self.client, url, policy=self.policy)
        wrapper = wrapper_of(document)
        if wrapper is None:
            raise ParseError(url, "not a Stack Exchange API answer (no `items`)")
        if wrapper.quota_remaining is not None:
            self.quota["quota_remaining"] = wrapper.quota_remaining
        if wrapper.quota_max is not None:
            self.quota["quota_max"] = wrapper.quota_max
        if wrapper.backoff:
            self.backoff = max(self.backoff or 0, wrapper.backoff)
        return wrapper


def _until(now: datetime, state: Mapping[str, Any]) -> float:
    """Seconds until a saved `backoff_until` has passed (0 when it has, or none is saved)."""
    value = state.get("backoff_until")
    if not isinstance(value, str):
        return 0.0
    try:
        until = datetime.fromisoformat(value)
    except ValueError:
        return 0.0
    return max((until - now).total_seconds(), 0.0)


def _refuse_when_spent(spec: SourceSpec, state: Mapping[str, Any], now: datetime) -> None:
    """Refuse to ask while the site's `backoff` runs or the day's quota is used up."""
    wait = _until(now, state)
    if wait:
        raise RateLimited(
            spec.url, f"the API asked us to back off for {wait:.0f} s more", retry_after=wait
        )
    if state.get("quota_remaining") == 0:
        reset = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        quota_day = state.get("quota_day")
        if quota_day == now.date().isoformat():
            raise RateLimited(
                spec.url,
                f"the day's API quota ({state.get('quota_max', '?')} requests) is used up; "
                f"it resets at {reset:%Y-%m-%d %H:%M} UTC (set `key_env` for a larger one)",
                retry_after=(reset - now).total_seconds(),
                retry_at=reset,
            )


def search_options(spec: SourceSpec) -> tuple[str, str, str | None, str | None, str | None]:
    """(API base, site, tagged, query, key) of a source; `tagged` or `query` is required."""
    site = require(spec, "site")
    tagged = text_field(spec.options.get("tagged"))
    query = text_field(spec.options.get("query"))
    if not tagged and not query:
        raise ListenerError(spec.url, "a stackexchange source needs `tagged`, `query` or both")
    return str(spec.options.get("api_url") or urls.API), site, tagged, query, secret(spec, "key")


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`site` with `tagged` (`;`-separated tags, all must match) and/or `query`; `key_env`."""
    base, site, tagged, query, key = search_options(spec)
    _refuse_when_spent(spec, previous, now)
    api = Api(client, policy, spec)
    walk_state = previous.get("walk") or {}
    mark = walk_state.get("mark")
    since = int(mark) if isinstance(mark, str) and mark.isdigit() else None

    def page(cursor: str | None) -> Page:
        number = int(cursor) if cursor else 1
        url = urls.questions(
            base, site, tagged=tagged, query=query, since=since, page=number, key=key
        )
        answer = api.get(url)
        return questions_of(answer.items), str(number + 1) if answer.has_more else None

    walk = walk_newest_first(
        page, walk_state, key=activity_key, ident=item_id, max_pages=MAX_QUESTION_PAGES
    )
    created_mark = previous.get("created")
    created_mark = created_mark if isinstance(created_mark, int) else None
    saved_ids = previous.get("created_ids")
    seen_at_mark = set(saved_ids) if isinstance(saved_ids, list) else set()

    def is_new(item: Mapping[str, Any]) -> bool:
        when = created(item)
        return (
            created_mark is None
            or when > created_mark
            or (when == created_mark and item_id(item) not in seen_at_mark)
        )

    questions = walk.items
    new_items: list[Mapping[str, Any]] = [q for q in questions if is_new(q)]
    links = {q.get("question_id"): text_field(q.get("link")) for q in questions}
    ids = sorted({int(q["question_id"]) for q in questions})
    for start in range(0, len(ids), urls.PAGE_SIZE):
        for number in range(1, MAX_ANSWER_PAGES + 1):
            url = urls.answers(
                base, site, ids[start : start + urls.PAGE_SIZE],
                since=created_mark, page=number, key=key,
            )  # fmt: skip
            answer = api.get(url)
            new_items.extend(a for a in answers_of(answer.items) if is_new(a))
            if not answer.has_more:
                break
    posts: list[Post] = []
    for item in new_items:
        post = post_from_item(
            item,
            site=site,
            source_id=spec.source_id,
            fetched_at=now,
            lang_hint=spec.lang_hint,
            question_link=links.get(item.get("question_id")),
        )
        if post is not None:
            posts.append(post)
    state: dict[str, Any] = {**previous, "walk": walk.state, **api.quota}
    state["quota_day"] = now.astimezone(UTC).date().isoformat()
    state.pop("backoff_until", None)
    if api.backoff:
        state["backoff_until"] = (now + timedelta(seconds=api.backoff)).isoformat()
    # The creation mark moves only once the walk has read every question it found, so a
    # walk resumed next run still sees the answers created before this run's newest.
    if new_items and "resume" not in walk.state:
        newest = max(created(i) for i in new_items)
        if created_mark is None or newest >= created_mark:
            at = {item_id(i) for i in new_items if created(i) == newest}
            if newest == created_mark:
                at |= seen_at_mark
            state["created"], state["created_ids"] = newest, sorted(at)
    return result(spec, posts, state, 200 if walk.pages else None)
