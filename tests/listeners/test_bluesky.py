"""Bluesky listener against a local server that answers like the AppView and a PDS."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from earshot.listeners import FetchStatus, SourceSpec, fetch_source, fetch_sources
from earshot.listeners.bluesky import client as bluesky_client
from earshot.listeners.http import HttpPolicy
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request

JSON = "application/json; charset=utf-8"
DID = "did:plc:wpe35pganb6d4pg4ekmfy6u5"


def view(n: int, text: str | None = None) -> dict[str, Any]:
    when = f"2025-05-{1 + n // 24:02d}T{n % 24:02d}:30:17.912Z"
    return {
        "uri": f"at://{DID}/app.bsky.feed.post/3lof{n:04d}",
        "cid": f"bafy{n}",
        "author": {"did": DID, "handle": "chris.bsky.social", "displayName": "Chris"},
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": when,
            "langs": ["en"],
            "text": text if text is not None else f"Post {n} about #rstats, see example.com/a...",
            "facets": [
                {"features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "rstats"}]},
                {
                    "features": [
                        {
                            "$type": "app.bsky.richtext.facet#link",
                            "uri": "https://example.com/a/long/path",
                        }
                    ]
                },
            ],
        },
        "replyCount": 1,
        "repostCount": 2,
        "likeCount": n,
        "quoteCount": 4,
        "indexedAt": when,
    }


class AuthorFeed:
    """getAuthorFeed: newest first, `cursor` = the indexedAt of the last item served."""

    def __init__(self, items: list[dict[str, Any]], page_size: int = 3) -> None:
        self.items, self.page_size = items, page_size

    def __call__(self, request: Request) -> Reply:
        ordered = sorted(self.items, key=lambda i: _when(i), reverse=True)
        cursor = request.query.get("cursor")
        if cursor:
            ordered = [i for i in ordered if _when(i) < cursor]
        page = ordered[: self.page_size]
        body: dict[str, Any] = {"feed": page}
        if len(ordered) > self.page_size:
            body["cursor"] = _when(page[-1])
        return Reply(json.dumps(body).encode(), content_type=JSON)


def _when(item: dict[str, Any]) -> str:
    return str((item.get("reason") or item["post"])["indexedAt"])


def author_spec(server: FeedServer) -> SourceSpec:
    return SourceSpec(
        "sky",
        "bluesky",
        "https://bsky.app/profile/chris.bsky.social",
        options={"actor": "chris.bsky.social", "appview": server.base_url},
    )


def test_author_feed_cursor_pages_and_resumes(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    feed = AuthorFeed([{"post": view(n)} for n in range(1, 5)])
    feed_server.handle("/xrpc/app.bsky.feed.getAuthorFeed", feed)
    first = fetch_source(client, author_spec(feed_server), {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK
    assert len(first.posts) == 3  # the first run takes the latest page only
    post = first.posts[0]
    assert post.url == "https://bsky.app/profile/chris.bsky.social/post/3lof0004"
    assert (post.likes, post.reposts, post.replies, post.lang_hint) == (4, 2, 1, "en")
    assert post.raw["earshot"] == {
        "hashtags": ["rstats"],
        "links": ["https://example.com/a/long/path"],
        "quotes": 4,
    }
    assert post.published_at is not None and post.published_at.tzinfo is not None

    # Seven new posts and a repost of an old one: three pages until the saved mark.
    repost = {
        "post": view(1),
        "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "indexedAt": "2025-05-09T00:00:00Z"},
    }
    feed.items += [{"post": view(n)} for n in range(5, 12)] + [repost]
    second = fetch_source(client, author_spec(feed_server), first.state, policy=policy, now=NOW)
    got = sorted(p.external_id.rsplit("/", 1)[1] for p in second.posts)
    assert got == sorted([f"3lof{n:04d}" for n in range(5, 12)] + ["3lof0001"])
    third = fetch_source(client, author_spec(feed_server), second.state, policy=policy, now=NOW)
    assert third.status is FetchStatus.NOT_MODIFIED


def test_a_burst_beyond_the_page_budget_is_finished_next_run(
    feed_server: FeedServer,
    client: httpx.Client,
    policy: HttpPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed = AuthorFeed([{"post": view(1)}], page_size=2)
    feed_server.handle("/xrpc/app.bsky.feed.getAuthorFeed", feed)
    state = fetch_source(client, author_spec(feed_server), {}, policy=policy, now=NOW).state
    feed.items += [{"post": view(n)} for n in range(2, 9)]  # 7 new: 4 pages of 2
    monkeypatch.setattr(bluesky_client, "MAX_PAGES", 2)
    seen: list[str] = []
    for _ in range(4):
        result = fetch_source(client, author_spec(feed_server), state, policy=policy, now=NOW)
        seen += [p.external_id for p in result.posts]
        state = result.state
    assert sorted(set(seen)) == sorted(view(n)["uri"] for n in range(2, 9))
    assert "resume" not in state["walk"]


def test_search_logs_in_and_refreshes_an_expired_session(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    tokens = {"valid": "access-1"}

    def login(request: Request) -> Reply:
        assert json.loads(request.body) == {"identifier": "me.bsky.social", "password": "app-pw"}
        return Reply(
            json.dumps({"accessJwt": "access-1", "refreshJwt": "refresh-1"}).encode(),
            content_type=JSON,
        )

    def refresh(request: Request) -> Reply:
        assert request.headers["authorization"] == "Bearer refresh-1"
        tokens["valid"] = "access-2"
        return Reply(
            json.dumps({"accessJwt": "access-2", "refreshJwt": "refresh-2"}).encode(),
            content_type=JSON,
        )

    def search(request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {tokens['valid']}":
            error = {"error": "ExpiredToken", "message": "Token has expired"}
            return Reply(json.dumps(error).encode(), content_type=JSON, status=400)
        return Reply(json.dumps({"posts": [view(3)], "cursor": None}).encode(), content_type=JSON)

    feed_server.handle("/xrpc/com.atproto.server.createSession", login)
    feed_server.handle("/xrpc/com.atproto.server.refreshSession", refresh)
    feed_server.handle("/xrpc/app.bsky.feed.searchPosts", search)
    spec = SourceSpec(
        "sky-search",
        "bluesky",
        "https://bsky.app/search?q=rstats",
        options={
            "query": "rstats",
            "service": feed_server.base_url,
            "handle_env": "BSKY_HANDLE",
            "app_password_env": "BSKY_APP_PASSWORD",
        },
        secrets={"handle": "me.bsky.social", "app_password": "app-pw"},
    )
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK and len(first.posts) == 1
    tokens["valid"] = "expired-now"  # the server forgets access-1
    bluesky_client._SESSIONS[(feed_server.base_url, "me.bsky.social")]["access"] = "access-1"
    second = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert second.status is FetchStatus.OK
    paths = [r.path.rsplit(".", 1)[1] for r in feed_server.api_requests]
    assert paths == ["createSession", "searchPosts", "searchPosts", "refreshSession", "searchPosts"]
    assert feed_server.api_requests[2].query["sort"] == "latest"


def test_search_without_credentials_fails_clearly(client: httpx.Client, policy: HttpPolicy) -> None:
    spec = SourceSpec("s", "bluesky", "https://bsky.app/search?q=x", options={"query": "x"})
    result = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None and "handle_env" in result.error


def test_one_session_per_account_is_shared_by_sources_fetched_concurrently(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    """Five search sources on one account: one createSession, and after the access token
    expires one refreshSession (refresh tokens are single-use, as on Bluesky)."""
    issued = {"access": "access-1", "refresh": "refresh-1", "n": 1}

    def login(request: Request) -> Reply:
        return Reply(
            json.dumps({"accessJwt": issued["access"], "refreshJwt": issued["refresh"]}).encode(),
            content_type=JSON,
        )

    def refresh(request: Request) -> Reply:
        if request.headers["authorization"] != f"Bearer {issued['refresh']}":
            error = {"error": "ExpiredToken", "message": "Token has been revoked"}
            return Reply(json.dumps(error).encode(), content_type=JSON, status=400)
        n = int(issued["n"]) + 1
        issued.update(access=f"access-{n}", refresh=f"refresh-{n}", n=n)
        return login(request)

    def search(request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {issued['access']}":
            error = {"error": "ExpiredToken", "message": "Token has expired"}
            return Reply(json.dumps(error).encode(), content_type=JSON, status=400)
        return Reply(json.dumps({"posts": [view(3)], "cursor": None}).encode(), content_type=JSON)

    feed_server.handle("/xrpc/com.atproto.server.createSession", login)
    feed_server.handle("/xrpc/com.atproto.server.refreshSession", refresh)
    feed_server.handle("/xrpc/app.bsky.feed.searchPosts", search)
    specs = [
        SourceSpec(
            f"sky-{n}",
            "bluesky",
            f"https://bsky.app/search?q=topic{n}",
            options={
                "query": f"topic{n}",
                "service": feed_server.base_url,
                "handle_env": "BSKY_HANDLE",
                "app_password_env": "BSKY_APP_PASSWORD",
            },
            secrets={"handle": "shared.bsky.social", "app_password": "app-pw"},
        )
        for n in range(5)
    ]

    def calls(name: str) -> int:
        return sum(r.path.endswith(name) for r in feed_server.api_requests)

    first = list(fetch_sources(client, [(s, {}) for s in specs], policy=policy, workers=5))
    assert [r.status for r in first] == [FetchStatus.OK] * 5
    assert calls("createSession") == 1
    issued.update(access="revoked-by-server")  # every source now meets an expired token
    second = list(fetch_sources(client, [(s, {}) for s in specs], policy=policy, workers=5))
    assert [r.status for r in second] == [FetchStatus.OK] * 5
    assert calls("createSession") == 1 and calls("refreshSession") == 1
