"""Mastodon listener against a local server that pages like a Mastodon instance."""

from __future__ import annotations

import json
from typing import Any

import httpx

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.http import HttpPolicy
from earshot.listeners.mastodon.normalize import post_from_status
from earshot.listeners.mastodon.urls import parse_link_header
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request

JSON = "application/json; charset=utf-8"
HASHTAG_LINK = (
    '<a href="https://social.example/tags/hoot" class="mention hashtag">#<span>hoot</span></a>'
)


def status(
    n: int, *, content: str | None = None, reblog: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "id": str(117020593741189700 + n),
        "created_at": f"2026-08-01T13:{n % 60:02d}:55.867Z",
        "uri": f"https://social.example/users/ana/statuses/{n}",
        "url": f"https://social.example/@ana/{n}",
        "language": "de",
        "spoiler_text": "",
        "content": content
        if content is not None
        else f"<p>Toot <b>{n}</b> &amp; more {HASHTAG_LINK}</p>",
        "replies_count": 1,
        "reblogs_count": 2,
        "favourites_count": n,
        "reblog": reblog,
        "account": {
            "id": "9",
            "username": "ana",
            "acct": "ana@social.example",
            "display_name": "Ana",
        },
    }


class Timeline:
    """A tag timeline: newest first, `min_id` paging forward, `Link` headers like Mastodon."""

    def __init__(self, server: FeedServer, path: str, statuses: list[dict[str, Any]]) -> None:
        self.server, self.path, self.statuses = server, path, statuses

    def __call__(self, request: Request) -> Reply:
        limit = int(request.query.get("limit", "40"))
        ordered = sorted(self.statuses, key=lambda s: int(s["id"]), reverse=True)
        min_id = request.query.get("min_id")
        if min_id:
            newer = [s for s in ordered if int(s["id"]) > int(min_id)]
            page = newer[-limit:]  # the oldest of the newer ones, still newest first
        else:
            page = ordered[:limit]
        headers = {}
        if page:
            base = self.server.url(self.path)
            headers["Link"] = (
                f'<{base}?max_id={page[-1]["id"]}>; rel="next", '
                f'<{base}?min_id={page[0]["id"]}>; rel="prev"'
            )
        return Reply(json.dumps(page).encode(), content_type=JSON, headers=headers)


def spec(server: FeedServer, **options: str) -> SourceSpec:
    return SourceSpec(
        "masto", "mastodon", server.base_url, options={"instance": server.base_url, **options}
    )


def test_link_header_is_parsed() -> None:
    header = (
        '<https://m.example/api/v1/timelines/tag/x?max_id=2>; rel="next", '
        '<https://m.example/api/v1/timelines/tag/x?min_id=9>; rel="prev"'
    )
    assert parse_link_header(header) == {
        "next": "https://m.example/api/v1/timelines/tag/x?max_id=2",
        "prev": "https://m.example/api/v1/timelines/tag/x?min_id=9",
    }


def test_hashtag_timeline_is_incremental_across_pages(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    timeline = Timeline(feed_server, "/api/v1/timelines/tag/hoot", [status(n) for n in range(1, 4)])
    feed_server.handle(timeline.path, timeline)
    first = fetch_source(client, spec(feed_server, hashtag="#hoot"), {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK
    assert first.posts[0].text == "Toot 3 & more #hoot"
    post = first.posts[0]
    assert (post.likes, post.reposts, post.replies, post.lang_hint) == (3, 2, 1, "de")
    assert post.author_handle == "ana@social.example" and post.published_at is not None
    assert post.published_at.tzinfo is not None
    assert first.state["since_id"] == status(3)["id"]

    # 45 new statuses arrive: more than one page of 40; all are collected, oldest page first.
    timeline.statuses += [status(n) for n in range(4, 49)]
    second = fetch_source(
        client, spec(feed_server, hashtag="hoot"), first.state, policy=policy, now=NOW
    )
    assert second.status is FetchStatus.OK
    assert sorted(int(p.external_id.rsplit("/", 1)[1]) for p in second.posts) == list(range(4, 49))
    assert second.state["since_id"] == status(48)["id"]
    min_ids = [r.query.get("min_id") for r in feed_server.api_requests[1:]]
    assert min_ids[0] == status(3)["id"] and len(min_ids) == 3  # two pages and an empty one

    third = fetch_source(
        client, spec(feed_server, hashtag="hoot"), second.state, policy=policy, now=NOW
    )
    assert third.status is FetchStatus.NOT_MODIFIED and third.state["quiet_runs"] == 1


def test_boosts_resolve_to_the_original_and_count_once(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    original = status(7, content="<p>Original words</p>")
    boost = {**status(8, content=""), "reblog": original}
    feed_server.handle(
        "/api/v1/accounts/lookup",
        lambda r: Reply(json.dumps({"id": "9"}).encode(), content_type=JSON),
    )
    timeline = Timeline(feed_server, "/api/v1/accounts/9/statuses", [original, boost])
    feed_server.handle(timeline.path, timeline)
    result = fetch_source(client, spec(feed_server, account="@ana"), {}, policy=policy, now=NOW)
    assert result.status is FetchStatus.OK
    assert [p.text for p in result.posts] == ["Original words"]
    assert result.state["account_id"] == "9"
    assert feed_server.api_requests[0].query == {"acct": "ana"}


def test_search_sends_the_token_and_needs_one(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    answer = {"accounts": [], "hashtags": [], "statuses": [status(1)]}
    feed_server.handle(
        "/api/v2/search", lambda r: Reply(json.dumps(answer).encode(), content_type=JSON)
    )
    with_token = SourceSpec(
        "s",
        "mastodon",
        feed_server.base_url,
        options={"instance": feed_server.base_url, "query": "hoot", "token_env": "MASTO_TOKEN"},
        secrets={"token": "sekrit"},
    )
    result = fetch_source(client, with_token, {}, policy=policy, now=NOW)
    assert result.status is FetchStatus.OK and len(result.posts) == 1
    assert feed_server.api_requests[0].headers["authorization"] == "Bearer sekrit"
    assert feed_server.api_requests[0].query["type"] == "statuses"
    missing = SourceSpec(
        "s",
        "mastodon",
        "https://m.example",
        options={"instance": feed_server.base_url, "query": "hoot", "token_env": "MASTO_TOKEN"},
    )
    failed = fetch_source(client, missing, {"since_id": "5"}, policy=policy, now=NOW)
    assert failed.status is FetchStatus.FAILED and failed.state == {"since_id": "5"}
    assert failed.error == "https://m.example: environment variable MASTO_TOKEN (token) is not set"


def test_rate_limit_keeps_state_and_reports_the_wait(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    feed_server.handle(
        "/api/v1/timelines/tag/hoot",
        lambda r: Reply(b"{}", content_type=JSON, status=429, retry_after="3600"),
    )
    result = fetch_source(
        client, spec(feed_server, hashtag="hoot"), {"since_id": "4"}, policy=policy
    )
    assert result.status is FetchStatus.FAILED and result.http_status == 429
    assert result.retry_after_seconds == 3600 and result.state == {"since_id": "4"}
    assert len(feed_server.api_requests) == 1  # an hour is beyond this run's patience


def test_html_only_media_status_and_missing_fields_normalise() -> None:
    bare = {"id": "1", "content": "", "card": {"title": "A linked article"}}
    post = post_from_status(bare, source_id="s", fetched_at=NOW, lang_hint="en")
    assert post is not None and post.text == "A linked article" and post.published_at is None
    assert post.lang_hint == "en" and post.likes is None
    assert post_from_status({"content": "x"}, source_id="s", fetched_at=NOW, lang_hint=None) is None
