"""Lemmy listener on the real recorded responses (0.18 and 0.19), served by the local server."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.http import HttpPolicy
from earshot.listeners.lemmy.normalize import post_from_post_view, view_time
from earshot.listeners.text import markdown_to_text
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request
from tests.listeners.recorded import JSON, recorded_json

POSTS_018 = "spud_post-list-all-hot_2023-08-08.json"
COMMENTS_018 = "spud_comment-list-1549703-Hot_anonymized.json"
POSTS_019 = "lemmykit_getPostsResponse_v0.19.json"


def _reply(document: Any) -> Reply:
    return Reply(json.dumps(document).encode(), content_type=JSON)


def _newest_first(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(views, key=view_time, reverse=True)  # the server honours sort=New


def _spec(server: FeedServer, **options: str) -> SourceSpec:
    return SourceSpec(
        "lem", "lemmy", server.url("/c/x"), options={"instance": server.base_url, **options}
    )


def test_community_posts_and_comments_of_lemmy_018(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    posts = recorded_json("lemmy", POSTS_018)["posts"]
    comments = _newest_first(recorded_json("lemmy", COMMENTS_018)["comments"])
    feed_server.handle("/api/v3/post/list", lambda r: _reply({"posts": posts}))
    feed_server.handle("/api/v3/comment/list", lambda r: _reply({"comments": comments}))
    spec = _spec(feed_server, community="!fuckcars@lemmy.world")
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK, first.error
    assert len(first.posts) == 2 + 198
    post = first.posts[0]
    assert (
        post.title == "Fuck SUVs in particular." and post.url == "https://lemmy.world/post/2808539"
    )
    assert post.author_handle == "STRIKINGdebate2@lemmy.world" and post.author == "Striker"
    assert (post.likes, post.score, post.replies) == (1321, 1276, 120)
    assert post.published_at is not None and post.published_at.tzinfo is not None  # naive = UTC
    assert post.published_at.isoformat() == "2023-08-07T13:35:18.433381+00:00"
    comment = next(p for p in first.posts if p.external_id == "https://lemmy.world/comment/2177921")
    assert comment.text == "Nunc sagittis nulla tempor, luctus lectus a, molestie nisl"
    assert (comment.likes, comment.score, comment.replies) == (167, 165, 15)
    assert all(p.text.strip() and p.author_handle and p.url for p in first.posts)
    queries = [r.query for r in feed_server.api_requests]
    assert queries[0]["community_name"] == "fuckcars@lemmy.world" and queries[0]["sort"] == "New"
    again = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    assert again.status is FetchStatus.NOT_MODIFIED


class CursorPosts:
    """/api/v3/post/list as Lemmy 0.19 pages it: `next_page` cursors, `page_cursor` to follow."""

    def __init__(self, views: list[dict[str, Any]], size: int = 2) -> None:
        self.views, self.size = views, size

    def __call__(self, request: Request) -> Reply:
        ordered = _newest_first(self.views)
        start = int(request.query.get("page_cursor", "P0")[1:])
        page = ordered[start : start + self.size]
        more = start + self.size < len(ordered)
        return _reply({"posts": page, "next_page": f"P{start + self.size}" if more else None})


def test_lemmy_019_pages_by_cursor_and_is_incremental(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    recorded = recorded_json("lemmy", POSTS_019)
    assert recorded["next_page"] == "Pc6"  # the 0.19 shape: a cursor, not a page number
    listing = CursorPosts(recorded["posts"], size=3)
    feed_server.handle("/api/v3/post/list", listing)
    feed_server.handle("/api/v3/comment/list", lambda r: _reply({"comments": []}))
    spec = _spec(feed_server, community="music")
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    # The third is federated from test2: its identity is its `ap_id` there (post 102).
    assert [p.external_id.rsplit("/", 1)[1] for p in first.posts] == ["180", "179", "102"]
    assert first.posts[1].text == "Lo-fi meets jazz."
    assert first.posts[1].title == "Album on repeat this week (thread 7)"
    assert first.posts[0].text == "https://example.com/live"  # a link post without a body
    assert first.posts[0].shared_url == "https://example.com/live"
    # Three newer posts, two pages of two: the walk follows the cursor to the mark.
    for n in range(3):
        new = copy.deepcopy(recorded["posts"][0])
        new["post"]["id"] = 300 + n
        new["post"]["ap_id"] = f"https://test1.lemmy.ddenis.info/post/{300 + n}"
        new["post"]["published"] = f"2026-06-13T0{n}:00:00.000000Z"
        listing.views.append(new)
    listing.size = 2
    before = len(feed_server.api_requests)
    second = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    assert sorted(p.external_id.rsplit("/", 1)[1] for p in second.posts) == ["300", "301", "302"]
    cursors = [
        r.query.get("page_cursor")
        for r in feed_server.api_requests[before:]
        if r.path == "/api/v3/post/list"
    ]
    # Page 2 ends on the saved newest post (same time: the walk looks one page further).
    assert cursors == [None, "P2", "P4"]


def test_search_posts_and_comments(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    posts = recorded_json("lemmy", POSTS_018)["posts"]
    comments = _newest_first(recorded_json("lemmy", COMMENTS_018)["comments"])[:10]

    def search(request: Request) -> Reply:
        if request.query["type_"] == "Posts":
            return _reply({"type_": "Posts", "posts": posts, "comments": [], "communities": []})
        return _reply({"type_": "Comments", "posts": [], "comments": comments})

    feed_server.handle("/api/v3/search", search)
    result = fetch_source(client, _spec(feed_server, query="suv"), {}, policy=policy, now=NOW)
    assert result.status is FetchStatus.OK and len(result.posts) == 12
    assert {r.query["q"] for r in feed_server.api_requests} == {"suv"}


def test_post_detail_view_and_markdown() -> None:
    detail = recorded_json("lemmy", "spud_post-detail-1549703_anonymized.json")
    post = post_from_post_view(detail["post_view"], source_id="s", fetched_at=NOW, lang_hint=None)
    assert post is not None and post.title and post.text and post.published_at
    text = markdown_to_text(
        "## Rules\n::: spoiler 1. Be **civil**\n[the wiki](https://w.example/x)\n:::"
    )
    assert text == "Rules\n1. Be civil\nthe wiki"


def test_a_body_that_is_not_lemmy_fails_the_source(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    feed_server.route(
        "/api/v3/post/list", Reply(b'{"error": "couldnt_find_community"}', content_type=JSON)
    )
    result = fetch_source(
        client,
        _spec(feed_server, community="nope"),
        {"posts": {"mark": "x"}},
        policy=policy,
        now=NOW,
    )
    assert result.status is FetchStatus.FAILED and result.state == {"posts": {"mark": "x"}}
    assert result.error is not None and result.error.endswith("not a Lemmy answer (no `posts`)")
    assert result.error.startswith(feed_server.url("/api/v3/post/list?"))
