"""Read the comments of YouTube videos with the Data API v3 within a per-run quota budget.

Each list call (`commentThreads`, `comments`) costs one unit of the budget. Per video the
state keeps `mark`, the newest top-level comment time of a completed walk (and `mark_ids`,
the threads at that time); a walk reads the threads newest first (`order=time`) and stops at
the first one older than the mark. When the budget runs out mid-walk, `resume` keeps the
page to read again next run (a page whose replies were not all read is read again; the
warehouse stores a post once), and the run's queue of videos keeps the ones not read yet.
New replies to a thread older than the mark are not looked for: that costs a call per thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from earshot.listeners.errors import HttpStatusError, ListenerError, ParseError, RateLimited
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import Post
from earshot.listeners.social.common import get_json
from earshot.listeners.youtube import urls
from earshot.listeners.youtube.normalize import Thread, comment_page_of, comments_of, thread_of

# The API key's daily quota is reset at midnight Pacific time.
_QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
# A video whose comments are turned off is asked again after this long.
DISABLED_RECHECK = timedelta(days=7)


@dataclass
class Quota:
    """The run's budget of API units and how many are used."""

    budget: int
    used: int = 0

    @property
    def left(self) -> int:
        return max(self.budget - self.used, 0)

    def state(self) -> dict[str, int]:
        return {"quota_units": self.budget, "quota_used": self.used, "quota_remaining": self.left}


class CommentsDisabled(ListenerError):
    """The video's owner turned its comments off (403 `commentsDisabled`): skip the video."""


def _reset_after(now: datetime) -> datetime:
    local = now.astimezone(_QUOTA_ZONE)
    return (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Api:
    """The list calls of one run, each counted against `quota`; the key goes in a header
    (`X-Goog-Api-Key`), never in a URL that an error message could show."""

    client: httpx.Client
    policy: HttpPolicy
    base: str
    key: str
    quota: Quota
    now: datetime

    def page(self, url: str, kind: str, video_id: str) -> tuple[list[Any], str | None]:
        """(items, next page token) of one `commentThread` or `comment` list."""
        self.quota.used += 1  # a call the API refuses costs its unit too
        try:
            document, _ = get_json(
                self.client, url, policy=self.policy, headers={"X-Goog-Api-Key": self.key}
            )
        except HttpStatusError as exc:
            raise self._refusal(exc, url, video_id) from exc
        page = comment_page_of(document, kind)
        if page is None:
            raise ParseError(url, f"not a YouTube {kind} list (no `kind` {kind}ListResponse)")
        return page

    def _refusal(self, exc: HttpStatusError, url: str, video_id: str) -> ListenerError:
        said = exc.message
        if exc.status == 403 and "quotaExceeded" in said:
            reset = _reset_after(self.now)
            return RateLimited(
                url,
                f"the API key's daily quota is used up (quotaExceeded); it resets at "
                f"{reset:%Y-%m-%d %H:%M %Z}",
                retry_after=(reset - self.now).total_seconds(),
                retry_at=reset,
                status=403,
            )
        if exc.status == 403 and "commentsDisabled" in said:
            return CommentsDisabled(url, f"video {video_id} has its comments turned off")
        what = {
            400: "the API refused the request",
            403: "the API key may not read it",
            404: "not found (a removed or private video?)",
        }.get(exc.status, "the API failed")
        return HttpStatusError(url, f"video {video_id}: {what} ({said})", status=exc.status)


@dataclass
class VideoRead:
    """What one run read of one video: its new posts, its new state, whether it is done."""

    posts: list[Post] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    done: bool = True


# (comment, total replies of its thread or None for a reply) -> post
MakePost = Callable[[Mapping[str, Any], int | None], Post | None]


def _replies(api: Api, thread: Thread, video_id: str) -> list[Mapping[str, Any]] | None:
    """Every reply of `thread`; None when the budget ran out before the last page."""
    got: list[Mapping[str, Any]] = []
    token: str | None = None
    while True:
        if not api.quota.left:
            return None
        url = urls.replies(api.base, thread.thread_id, token)
        items, token = api.page(url, "comment", video_id)
        got.extend(comments_of(items))
        if not token or not items:
            return got


def read_video(api: Api, video_id: str, saved: Mapping[str, Any], make_post: MakePost) -> VideoRead:
    """The comments of `video_id` newer than its saved mark, as far as the budget goes."""
    mark = saved.get("mark") if isinstance(saved.get("mark"), str) else None
    mark_ids = set(saved.get("mark_ids") or ())
    resume = saved.get("resume") if isinstance(saved.get("resume"), dict) else None
    token: str | None = resume.get("page_token") if resume else None
    newest: str | None = resume.get("newest") if resume else None
    newest_ids = set(resume.get("newest_ids") or ()) if resume else set()
    read = VideoRead()

    def unfinished(page_token: str | None) -> VideoRead:
        resumed = {"page_token": page_token, "newest": newest, "newest_ids": sorted(newest_ids)}
        read.state = {"mark": mark, "mark_ids": sorted(mark_ids), "resume": resumed}
        read.done = False
        return read

    while True:
        if not api.quota.left:
            return unfinished(token)
        url = urls.comment_threads(api.base, video_id, token)
        items, next_token = api.page(url, "commentThread", video_id)
        reached = False
        for thread in filter(None, map(thread_of, items)):
            key = thread.published
            if mark is not None and key < mark:
                reached = True
                break
            if key == mark and thread.thread_id in mark_ids:
                continue
            if newest is None or key > newest:
                newest, newest_ids = key, {thread.thread_id}
            elif key == newest:
                newest_ids.add(thread.thread_id)
            replies: list[Mapping[str, Any]] | None = thread.replies
            if thread.replies_missing:
                replies = _replies(api, thread, video_id)
            read.posts.extend(p for p in [make_post(thread.top, thread.total_replies)] if p)
            read.posts.extend(p for p in (make_post(r, None) for r in replies or ()) if p)
            if replies is None:  # the budget ran out among this page's replies
                return unfinished(token)
        if reached or not next_token or not items:
            break
        token = next_token
    if newest is None or (mark is not None and newest < mark):
        read.state = {"mark": mark, "mark_ids": sorted(mark_ids)}
    elif newest == mark:
        read.state = {"mark": mark, "mark_ids": sorted(mark_ids | newest_ids)}
    else:
        read.state = {"mark": newest, "mark_ids": sorted(newest_ids)}
    return read
