"""Fetch a YouTube source: the channel's or playlist's feed as video posts and, with an API
key (`api_key_env`), the comments of its recent videos (or of one `video_id`) within the
run's quota budget (`quota_units`, default 1,000; see `youtube.comments`)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

import httpx

from earshot.listeners import feeds
from earshot.listeners.errors import ListenerError
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, FetchStatus, Post, SourceSpec
from earshot.listeners.social.common import result, secret, text_field
from earshot.listeners.youtube import urls
from earshot.listeners.youtube.comments import (
    DISABLED_RECHECK,
    Api,
    CommentsDisabled,
    Quota,
    as_dict,
    read_video,
)
from earshot.listeners.youtube.normalize import post_from_comment, video_id_of, video_post

DEFAULT_QUOTA_UNITS = 1_000
# The feed's own state (ETag, body hash ...) sits beside these keys of the comments reader.
_COMMENT_KEYS = ("comments", "quota_units", "quota_used", "quota_remaining")
_FEED_VALIDATORS = ("etag", "last_modified", "body_sha256")


def reads_comments(spec: SourceSpec) -> bool:
    """Whether the source reads comments (then a 304 of its feed does not end its fetch)."""
    return bool(spec.options.get("api_key_env"))


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`spec.url` is the channel's or playlist's feed URL, or a `video_id`'s page (built by
    the config); `api_key_env`, `api_url` and `quota_units` for the comments."""
    video_id = text_field(spec.options.get("video_id"))
    if video_id and not reads_comments(spec):
        raise ListenerError(spec.url, "a `video_id` source reads comments: it needs `api_key_env`")
    key = secret(spec, "api_key")  # before any request: a missing variable fails at once
    feed_state = {k: v for k, v in previous.items() if k not in _COMMENT_KEYS}
    saved = {k: previous[k] for k in _COMMENT_KEYS if k in previous}
    if key is not None and "comments" not in previous:
        # Comments just turned on: read the whole feed once for its videos, changed or not.
        feed_state = {k: v for k, v in feed_state.items() if k not in _FEED_VALIDATORS}
    if video_id:
        fetched = FetchResult(spec.source_id, FetchStatus.NOT_MODIFIED, state=feed_state)
        videos = [video_id]
    else:
        fetched = feeds.fetch.read(client, spec, feed_state, policy, now)
        fetched = dataclasses.replace(fetched, posts=tuple(video_post(p) for p in fetched.posts))
        videos = [v for v in map(video_id_of, fetched.posts) if v]
    if key is None:
        return fetched
    comments = as_dict(previous.get("comments"))
    if not videos:  # the feed did not change: its videos are the ones saved last time
        videos = [v for v in comments.get("recent") or () if isinstance(v, str)]
    posts, state = _read_comments(client, spec, policy, now, key, videos, comments)
    new_state = {**saved, **fetched.state, **state}
    return result(spec, [*fetched.posts, *posts], new_state, fetched.http_status or 200)


def _quota_units(spec: SourceSpec) -> int:
    value = spec.options.get("quota_units", DEFAULT_QUOTA_UNITS)
    try:
        units = int(value)
    except (TypeError, ValueError):
        units = 0
    if units < 1:
        raise ListenerError(spec.url, f"`quota_units` must be a whole number >= 1 (got {value!r})")
    return units


def _read_comments(
    client: httpx.Client,
    spec: SourceSpec,
    policy: HttpPolicy,
    now: datetime,
    key: str,
    videos: list[str],
    saved: dict[str, Any],
) -> tuple[list[Post], dict[str, Any]]:
    """Read the queue of videos (the rest of last run's, else every recent video) as far as
    the budget goes; the state keeps each video's marks, the queue and the quota used."""
    quota = Quota(_quota_units(spec))
    base = str(spec.options.get("api_url") or urls.API)
    api = Api(client, policy, base, key, quota, now)
    known = as_dict(saved.get("videos"))
    states: dict[str, Any] = {v: known.get(v) or {} for v in videos}
    queue = [v for v in saved.get("queue") or () if v in states] or list(videos)
    posts: list[Post] = []
    today = now.date()
    while queue and quota.left:
        video_id = queue[0]
        video_state = states[video_id]
        if _disabled_lately(video_state, today):
            queue.pop(0)
            continue

        def make_post(comment: Any, replies: int | None, video_id: str = video_id) -> Post | None:
            return post_from_comment(
                comment,
                video_id=video_id,
                source_id=spec.source_id,
                fetched_at=now,
                lang_hint=spec.lang_hint,
                total_replies=replies,
            )

        try:
            read = read_video(api, video_id, video_state, make_post)
        except CommentsDisabled:
            states[video_id] = {**video_state, "disabled_on": today.isoformat()}
            queue.pop(0)
            continue
        posts.extend(read.posts)
        states[video_id] = read.state
        if not read.done:
            break
        queue.pop(0)
    comments = {"recent": videos, "videos": states, "queue": queue}
    return posts, {"comments": comments, **quota.state()}


def _disabled_lately(video_state: dict[str, Any], today: date) -> bool:
    when = video_state.get("disabled_on")
    try:
        return isinstance(when, str) and today - date.fromisoformat(when) < DISABLED_RECHECK
    except ValueError:
        return False
