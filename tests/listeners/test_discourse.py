"""Discourse listener on the real recorded responses, served by the local server."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.discourse.normalize import post_from_discourse, topic_posts_of
from earshot.listeners.http import HttpPolicy
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request
from tests.listeners.recorded import JSON, recorded_json

SC = "sourcecred-test.discourse.group"


def _reply(document: Any) -> Reply:
    return Reply(json.dumps(document).encode(), content_type=JSON)


def test_forum_latest_posts_from_a_real_forum(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    recorded = recorded_json("discourse", "discuss.criticalfallibilism.com/posts.json")
    newest = recorded["latest_posts"]

    def posts(request: Request) -> Reply:
        before = int(request.query.get("before", 10**9))
        return _reply({"latest_posts": [p for p in newest if p["id"] < before]})

    feed_server.handle("/posts.json", posts)
    spec = SourceSpec("forum", "discourse", feed_server.base_url + "/")
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK, first.error
    assert len(first.posts) == 50  # the first run takes the newest page only
    top = first.posts[0]
    assert top.external_id == f"{feed_server.base_url}/p/20218"
    assert top.url == f"{feed_server.base_url}/t/people-being-bad-at-logic/2148/1"
    assert top.title == "People Being Bad at Logic" and top.author_handle == "Elliot"
    assert top.published_at is not None and top.published_at.tzinfo is not None
    assert top.replies == 0 and top.likes == 0 and top.score == 1
    for post in first.posts:
        assert post.text.strip() and "<p>" not in post.text and post.author_handle
    # A rerun asks for the newest page only and adds nothing.
    again = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    assert again.status is FetchStatus.NOT_MODIFIED
    # Two new posts: only they come, the walk stops at the saved id.
    extra = [copy.deepcopy(newest[0]) for _ in range(2)]
    for n, post in enumerate(extra):
        post["id"], post["post_number"] = 20220 + n, 2 + n
    newest[:0] = reversed(extra)
    third = fetch_source(client, spec, again.state, policy=policy, now=NOW)
    assert sorted(p.external_id.rsplit("/", 1)[1] for p in third.posts) == ["20220", "20221"]


def _sourcecred_forum(server: FeedServer, path: str) -> dict[int, dict[str, Any]]:
    """The recorded topic list at `path` (cut to the recorded topics) and those topics."""
    lists = [
        recorded_json("discourse", f"{SC}/latest_order_activity_ascending_false_page_{n}.json")
        for n in (0, 1)
    ]
    topics = {
        11: recorded_json("discourse", f"{SC}/t_11.json"),
        21: recorded_json("discourse", f"{SC}/t_21.json"),
        26: recorded_json("discourse", f"{SC}/t_26.json"),
    }
    page_2 = recorded_json("discourse", f"{SC}/t_26_page_2.json")
    for listing in lists:
        listing["topic_list"]["topics"] = [
            t for t in listing["topic_list"]["topics"] if t["id"] in topics
        ]

    def topic_list(request: Request) -> Reply:
        return _reply(lists[int(request.query.get("page", 0))])

    def topic(number: int) -> Any:
        def answer(request: Request) -> Reply:
            if number == 26 and request.query.get("page") == "2":
                return _reply(page_2)
            return _reply(topics[number])

        return answer

    server.handle(path, topic_list)
    for number in topics:
        server.handle(f"/t/{number}.json", topic(number))
    return {0: lists[0], 1: lists[1], **topics}


def test_category_topics_and_their_later_posts_by_page(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    served = _sourcecred_forum(feed_server, "/c/community/l/latest.json")
    spec = SourceSpec("cat", "discourse", feed_server.base_url, options={"category": "community"})
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK, first.error
    by_topic: dict[int, list[int]] = {}
    for post in first.posts:
        by_topic.setdefault(post.raw["topic_id"], []).append(post.raw["post_number"])
    assert {k: sorted(v) for k, v in by_topic.items()} == {
        11: [1, 2, 3], 21: [1], 26: list(range(1, 22))
    }  # fmt: skip
    first_posts = {p.raw["topic_id"]: p for p in first.posts if p.raw["post_number"] == 1}
    assert first_posts[21].title == "A Post With References"
    assert all(p.title is None for p in first.posts if p.raw["post_number"] > 1)
    assert first_posts[11].likes == 1  # actions_summary id 2
    assert first.state["topics"] == {"11": 22, "21": 29, "26": 54}
    pages = [r.query.get("page") for r in feed_server.api_requests if r.path == "/t/26.json"]
    assert pages == [None, "2"]

    # Nothing new: the list is read, no topic is.
    before = len(feed_server.api_requests)
    again = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    assert again.status is FetchStatus.NOT_MODIFIED
    assert {r.path for r in feed_server.api_requests[before:]} == {"/c/community/l/latest.json"}

    # A reply in topic 26: only its last page is read, only the reply comes.
    topic = served[26]
    reply = copy.deepcopy(topic_posts_of(served[26])[0])
    reply.update(id=99, post_number=22, cooked="<p>A <b>new</b> reply</p>")
    topic["post_stream"]["stream"].append(99)
    page_2 = recorded_json("discourse", f"{SC}/t_26_page_2.json")
    page_2["post_stream"]["posts"].append(reply)
    feed_server.handle(
        "/t/26.json",
        lambda r: _reply(page_2 if r.query.get("page") == "2" else topic),
    )
    listed = next(t for t in served[1]["topic_list"]["topics"] if t["id"] == 26)
    listed["last_posted_at"] = "2021-02-01T10:00:00.000Z"
    before = len(feed_server.api_requests)
    third = fetch_source(client, spec, again.state, policy=policy, now=NOW)
    assert [p.text for p in third.posts] == ["A new reply"]
    assert [
        r.query.get("page") for r in feed_server.api_requests[before:] if r.path == "/t/26.json"
    ] == [None, "2"]
    assert third.state["topics"]["26"] == 99


def test_old_and_dev_forum_shapes_normalise() -> None:
    old = recorded_json("discourse", "discourse_api-gem/topic.json")
    posts = [
        post_from_discourse(
            p, forum="https://try.discourse.org", source_id="s", fetched_at=NOW, lang_hint=None
        )
        for p in topic_posts_of(old)
    ]
    # 84 is a moderator action ("This topic is now pinned"), 86 holds an image only.
    assert [p.raw["id"] for p in posts if p] == [83, 226]
    assert all(p.text and p.published_at and p.published_at.tzinfo for p in posts if p)
    latest = recorded_json("discourse", "discourse_api-gem/posts_latest.json")["latest_posts"]
    assert all(
        post_from_discourse(p, forum="http://localhost:3000", source_id="s", fetched_at=NOW,
                            lang_hint=None)
        for p in latest
    )  # fmt: skip


def test_a_body_that_is_not_a_forum_fails_the_source_clearly(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    feed_server.route("/posts.json", Reply(b'{"errors": ["not found"]}', content_type=JSON))
    feed_server.route(
        "/tag/help/l/latest.json", Reply(b"<html>Login</html>", content_type="text/html")
    )
    forum = SourceSpec("f", "discourse", feed_server.base_url)
    failed = fetch_source(client, forum, {"walk": {"mark": "1"}}, policy=policy, now=NOW)
    assert failed.status is FetchStatus.FAILED
    assert (
        failed.error
        == f"{feed_server.url('/posts.json')}: not a Discourse posts list (no `latest_posts`)"
    )
    assert failed.state == {"walk": {"mark": "1"}}
    tagged = SourceSpec("t", "discourse", feed_server.base_url, options={"tag": "help"})
    failed = fetch_source(client, tagged, {}, policy=policy, now=NOW)
    assert failed.status is FetchStatus.FAILED and "expected JSON, got text/html" in (
        failed.error or ""
    )


def test_api_key_needs_a_user(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    spec = SourceSpec(
        "k",
        "discourse",
        feed_server.base_url,
        options={"api_key_env": "K", "api_username_env": "U"},
        secrets={"api_key": "x", "api_username": None},
    )
    failed = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert failed.error and "environment variable U (api_username) is not set" in failed.error
    feed_server.handle(
        "/posts.json",
        lambda r: (
            _reply({"latest_posts": []})
            if r.headers.get("api-key") == "x" and r.headers.get("api-username") == "bot"
            else Reply(b"{}", status=403, content_type=JSON)
        ),
    )
    ok = dict(spec.secrets, api_username="bot")
    spec = SourceSpec("k", "discourse", feed_server.base_url, options=spec.options, secrets=ok)
    assert fetch_source(client, spec, {}, policy=policy, now=NOW).status is FetchStatus.NOT_MODIFIED
