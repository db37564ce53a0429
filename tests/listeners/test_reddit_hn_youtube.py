"""Reddit, Hacker News (Algolia) and YouTube listeners against a local server."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.http import HttpPolicy
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request

JSON = "application/json; charset=UTF-8"


def thing(n: int, *, comment: bool = False) -> dict[str, Any]:
    if comment:
        return {
            "kind": "t1",
            "data": {
                "name": f"t1_c{n}",
                "id": f"c{n}",
                "author": "bob",
                "body": f"Reply {n} &amp; more",
                "score": 3,
                "created_utc": 1456821000.0 + n,
                "permalink": f"/r/marketing/comments/x/y/c{n}/",
            },
        }
    return {
        "kind": "t3",
        "data": {
            "name": f"t3_p{n}",
            "id": f"p{n}",
            "author": "RedHeadQc",
            "title": f"Question {n}?",
            "selftext": "" if n % 2 else f"Body of {n}",
            "is_self": not n % 2,
            "url": f"https://news.example/{n}",
            "score": 10 + n,
            "num_comments": n,
            "created_utc": 1456821000.0 + n,
            "permalink": f"/r/marketing/comments/p{n}/q/",
        },
    }


class Listing:
    """/r/<sub>/new.json: newest first, `after` = the name of the last thing served."""

    def __init__(self, things: list[dict[str, Any]], page_size: int = 2) -> None:
        self.things, self.page_size = things, page_size

    def __call__(self, request: Request) -> Reply:
        ordered = sorted(self.things, key=lambda t: t["data"]["created_utc"], reverse=True)
        after = request.query.get("after")
        if after:
            names = [t["data"]["name"] for t in ordered]
            ordered = ordered[names.index(after) + 1 :]
        page = ordered[: self.page_size]
        more = len(ordered) > self.page_size
        data = {"children": page, "after": page[-1]["data"]["name"] if more else None}
        return Reply(json.dumps({"kind": "Listing", "data": data}).encode(), content_type=JSON)


def test_subreddit_listing_pages_by_after_and_is_incremental(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    listing = Listing([thing(1), thing(2)])
    feed_server.handle("/r/marketing/new.json", listing)
    spec = SourceSpec(
        "rm",
        "reddit",
        "https://www.reddit.com/r/marketing/new",
        options={"subreddit": "marketing", "api_url": feed_server.base_url},
    )
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert [p.title for p in first.posts] == ["Question 2?", "Question 1?"]
    two, one = first.posts
    assert (two.text, two.score, two.replies, two.author_handle) == (
        "Body of 2",
        12,
        2,
        "u/RedHeadQc",
    )
    assert one.text == "https://news.example/1"  # a link post
    assert two.url == "https://www.reddit.com/r/marketing/comments/p2/q/"
    assert two.published_at is not None and two.published_at.tzinfo is not None
    request = feed_server.api_requests[0]
    assert request.headers["user-agent"] == "Earshot-test/1" and request.query["raw_json"] == "1"

    listing.things += [thing(n) for n in range(3, 8)] + [thing(8, comment=True)]
    second = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    assert sorted(p.external_id for p in second.posts) == sorted(
        [f"t3_p{n}" for n in range(3, 8)] + ["t1_c8"]
    )
    afters = [r.query.get("after") for r in feed_server.api_requests[1:]]
    assert afters == [None, "t3_p7", "t3_p5", "t3_p3"]  # stops at the page with the mark
    third = fetch_source(client, spec, second.state, policy=policy, now=NOW)
    assert third.status is FetchStatus.NOT_MODIFIED


def test_reddit_oauth_client_credentials(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    def token(request: Request) -> Reply:
        assert request.method == "POST" and request.body == b"grant_type=client_credentials"
        expected = base64.b64encode(b"app-id:app-secret").decode()
        assert request.headers["authorization"] == f"Basic {expected}"
        return Reply(
            json.dumps({"access_token": "tok", "expires_in": 3600}).encode(), content_type=JSON
        )

    def search(request: Request) -> Reply:
        if request.headers.get("authorization") != "Bearer tok":
            return Reply(b"{}", content_type=JSON, status=403)
        assert request.query["q"] == "newsletter" and request.query["sort"] == "new"
        return Listing([thing(1)])(request)

    feed_server.handle("/api/v1/access_token", token)
    feed_server.handle("/r/marketing/search", search)
    spec = SourceSpec(
        "rs",
        "reddit",
        "https://www.reddit.com/r/marketing/search?q=newsletter",
        options={
            "subreddit": "marketing",
            "query": "newsletter",
            "client_id_env": "RID",
            "client_secret_env": "RSECRET",
            "oauth_api_url": feed_server.base_url,
            "token_url": feed_server.url("/api/v1/access_token"),
        },
        secrets={"client_id": "app-id", "client_secret": "app-secret"},
    )
    result = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert result.status is FetchStatus.OK and len(result.posts) == 1
    again = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert again.status is FetchStatus.OK
    assert [r.path for r in feed_server.api_requests].count("/api/v1/access_token") == 1


def hit(n: int, *, comment: bool = False) -> dict[str, Any]:
    common = {
        "objectID": str(7919400 + n),
        "author": "pg",
        "created_at_i": 1403235000 + n,
        "created_at": "2014-06-20T03:35:46.000Z",
        "points": n,
        "num_comments": 2 * n,
    }
    if comment:
        return {
            **common,
            "title": None,
            "comment_text": "I&#x27;d <i>agree</i>",
            "_tags": ["comment"],
            "story_title": "Judge says",
            "num_comments": None,
        }
    return {
        **common,
        "title": f"Story {n}",
        "url": f"http://news.example/{n}",
        "story_text": "",
        "comment_text": None,
        "_tags": ["story", f"story_{n}"],
    }


def test_hackernews_search_is_incremental_on_created_at_i(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    hits = [hit(1), hit(2, comment=True)]

    def search(request: Request) -> Reply:
        since = int(request.query.get("numericFilters", "created_at_i>=0").split(">=")[1])
        ordered = sorted(
            (h for h in hits if h["created_at_i"] >= since),
            key=lambda h: h["created_at_i"],
            reverse=True,
        )
        page, size = int(request.query["page"]), 2
        body = {
            "hits": ordered[page * size : (page + 1) * size],
            "page": page,
            "nbPages": (len(ordered) + size - 1) // size,
            "hitsPerPage": size,
        }
        return Reply(json.dumps(body).encode(), content_type=JSON)

    feed_server.handle("/api/v1/search_by_date", search)
    spec = SourceSpec(
        "hn",
        "hackernews",
        "https://hn.algolia.com/?query=judge",
        options={"query": "judge", "api_url": feed_server.url("/api/v1")},
    )
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    comment, story = first.posts
    assert (comment.text, comment.title, comment.score) == ("I'd agree", None, 2)
    assert (story.title, story.text, story.score, story.replies) == (
        "Story 1",
        "http://news.example/1",
        1,
        2,
    )
    assert story.url == "https://news.ycombinator.com/item?id=7919401"
    assert feed_server.api_requests[0].query["tags"] == "(story,comment)"

    hits.extend(hit(n) for n in range(3, 8))
    second = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    assert sorted(p.title or "" for p in second.posts) == [f"Story {n}" for n in range(3, 8)]
    assert feed_server.api_requests[1].query["numericFilters"] == "created_at_i>=1403235002"
    assert (
        fetch_source(client, spec, second.state, policy=policy, now=NOW).status
        is FetchStatus.NOT_MODIFIED
    )


YOUTUBE = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/"
      xmlns="http://www.w3.org/2005/Atom">
 <title>Google</title>
 <entry>
  <id>yt:video:5shykyfmb28</id>
  <yt:videoId>5shykyfmb28</yt:videoId>
  <yt:channelId>UCK8sQmJBp8GCxrOtXWBpyEA</yt:channelId>
  <title>The Google app: Questions</title>
  <link rel="alternate" href="http://www.youtube.com/watch?v=5shykyfmb28"/>
  <author><name>Google</name></author>
  <published>2015-05-04T00:01:27+00:00</published>
  <media:group>
   <media:title>The Google app: Questions</media:title>
   <media:description>A question is the most powerful force in the world.</media:description>
   <media:community>
    <media:starRating count="3546" average="4.79" min="1" max="5"/>
    <media:statistics views="251497"/>
   </media:community>
  </media:group>
 </entry>
</feed>
"""


def test_youtube_channel_feed_gives_views_and_likes(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route(
        "/feeds/videos.xml", Reply(YOUTUBE, content_type="application/atom+xml")
    )
    spec = SourceSpec("yt", "youtube", url + "?channel_id=UCK8sQmJBp8GCxrOtXWBpyEA")
    result = fetch_source(client, spec, {}, policy=policy, now=NOW)
    (post,) = result.posts
    assert (post.platform, post.external_id) == ("youtube", "yt:video:5shykyfmb28")
    assert (post.score, post.likes) == (251497, 3546)
    assert post.text == "A question is the most powerful force in the world."
    assert post.title == "The Google app: Questions" and post.author == "Google"
