"""Read the comments of YouTube videos with the Data API v3 within a per-run quota budget.

Each list call (`commentThreads`, `comments`) costs one unit of the budget. Per video the
state keeps `mark`, the newest top-level comment time of a completed walk (and `mark_ids`,
the threads at that time); a walk reads the threads newest first (`order=time`) and stops at
the first one older than the mark. A thread with more replies than its page includes has them
read with `comments?parentId=`. When the budget runs out mid-walk, `resume` keeps the next
page, the threads whose replies are still to read (with their next page), and the newest
comment seen; the source's queue of videos keeps the ones not read yet. So every call makes
progress, whatever the budget: the next run goes on where this one stopped.
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
from earshot.listeners.youtube.normalize import comment_page_of, comments_of, thread_of

# The API key's daily quota is reset at midnight Pacific time.
_QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
# A video whose comments are turned off is asked again after this long.
DISABLED_RECHECK = timedelta(days=7)


def as_dict(value: Any) -> dict[str, Any]:
    """A saved state's part that should be an object (anything else reads as empty)."""
    return value if isinstance(value, dict) else {}


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


def _read_replies(
    api: Api, pending: dict[str, Any], video_id: str, make_post: MakePost, posts: list[Post]
) -> bool:
    """Read the replies of the pending thread `{"thread", "page_token"}` into `posts`, page by
    page (the token moves on with each); False when the budget ran out first."""
    while True:
        if not api.quota.left:
            return False
        url = urls.replies(api.base, pending["thread"], pending.get("page_token"))
        items, token = api.page(url, "comment", video_id)
        posts.extend(p for p in (make_post(c, None) for c in comments_of(items)) if p)
        pending["page_token"] = token
        if not token or not items:
            return True


def read_video(api: Api, video_id: str, saved: Mapping[str, Any], make_post: MakePost) -> VideoRead:
    """The comments of `video_id` newer than its saved mark, as far as the budget goes."""
    mark = saved.get("mark") if isinstance(saved.get("mark"), str) else None
    mark_ids = set(saved.get("mark_ids") or ())
    resume = as_dict(saved.get("resume"))
    token: str | None = resume.get("page_token")
    paged = bool(resume.get("paged"))  # the walk reached the mark or the last page
    newest: str | None = resume.get("newest")
    newest_ids = set(resume.get("newest_ids") or ())
    # threads with more replies than their page included, and the replies page to read next
    pending: list[dict[str, Any]] = [dict(t) for t in resume.get("threads") or ()]
    read = VideoRead()

    def unfinished() -> VideoRead:
        read.state = {
            "mark": mark,
            "mark_ids": sorted(mark_ids),
            "resume": {
                "page_token": token,
                "paged": paged,
                "newest": newest,
                "newest_ids": sorted(newest_ids),
                "threads": pending,
            },
        }
        read.done = False
        return read

    while True:
        while pending:
            if not _read_replies(api, pending[0], video_id, make_post, read.posts):
                return unfinished()
            pending.pop(0)
        if paged:
            break
        if not api.quota.left:
            return unfinished()
        items, next_token = api.page(
            urls.comment_threads(api.base, video_id, token), "commentThread", video_id
        )
        for thread in filter(None, map(thread_of, items)):
            key = thread.published
            if mark is not None and key < mark:
                paged = True
                break
            if key == mark and thread.thread_id in mark_ids:
                continue
            if newest is None or key > newest:
                newest, newest_ids = key, {thread.thread_id}
            elif key == newest:
                newest_ids.add(thread.thread_id)
            comments = [(thread.top, thread.total_replies)] + [(r, None) for r in thread.replies]
            read.posts.extend(p for p in (make_post(c, n) for c, n in comments) if p)
            if thread.replies_missing:
                pending.append({"thread": thread.thread_id, "page_token": None})
        paged = paged or not next_token or not items
        token = next_token
    if newest is None or (mark is not None and newest < mark):
        read.state = {"mark": mark, "mark_ids": sorted(mark_ids)}
    elif newest == mark:
        read.state = {"mark": mark, "mark_ids": sorted(mark_ids | newest_ids)}
    else:
        read.state = {"mark": newest, "mark_ids": sorted(newest_ids)}
    return read
