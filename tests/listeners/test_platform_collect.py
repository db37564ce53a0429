"""The new kinds end to end: the collect flow fetches the recorded Discourse, Lemmy and App
Store answers (and Stack Exchange and GDELT answers in their documented shape) from a local
server into a real DuckDB file; the analysts' `posts` view has them with text, author, URL,
tz-aware time and the platform's engagement, and a second collect adds nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from tests.listeners.feedserver import FeedServer, Reply, Request
from tests.listeners.recorded import JSON, recorded_bytes, recorded_json


def _reply(document: Any) -> Reply:
    return Reply(json.dumps(document).encode(), content_type=JSON)


def _serve(server: FeedServer) -> None:
    forum = recorded_json("discourse", "discuss.criticalfallibilism.com/posts.json")
    server.handle(
        "/forum/posts.json",
        lambda r: _reply(forum if "before" not in r.query else {"latest_posts": []}),
    )
    posts = recorded_json("lemmy", "spud_post-list-all-hot_2023-08-08.json")
    comments = recorded_json("lemmy", "spud_comment-list-1549703-Hot_anonymized.json")
    comments["comments"].sort(key=lambda c: c["comment"]["published"], reverse=True)
    server.handle("/lemmy/api/v3/post/list", lambda r: _reply(posts))
    server.handle("/lemmy/api/v3/comment/list", lambda r: _reply(comments))
    reviews = recorded_bytes("appstore-reviews", "497799835_fr_1.json")
    server.handle("/apple/*", lambda r: Reply(reviews, content_type=JSON))
    question = {
        "question_id": 7, "title": "How do I pause a newsletter?", "creation_date": 1763366400,
        "last_activity_date": 1763366500, "score": 3, "answer_count": 1,
        "link": "https://webapps.stackexchange.com/questions/7", "body": "<p>Where?</p>",
        "owner": {"user_id": 1, "display_name": "ana"},
    }  # fmt: skip
    answer = {"answer_id": 8, "question_id": 7, "creation_date": 1763366500, "score": 1,
              "body": "<p>In the settings.</p>",
              "owner": {"user_id": 2, "display_name": "bo"}}  # fmt: skip

    def stackexchange(request: Request) -> Reply:
        items = [answer] if request.path.endswith("/answers") else [question]
        return _reply({"items": items, "has_more": False, "quota_remaining": 297})

    server.handle("/se/*", stackexchange)
    article = {"url": "https://news.example/a", "title": "Newsletter pause explained",
               "seendate": "20261117T090000Z", "domain": "news.example",
               "language": "English"}  # fmt: skip
    server.handle("/gdelt", lambda r: _reply({"articles": [article]}))


@pytest.mark.usefixtures("prefect_harness")
def test_collect_stores_every_new_kind(tmp_path: Path, feed_server: FeedServer) -> None:
    from earshot.pipelines import flows

    _serve(feed_server)
    base = feed_server.base_url
    config = tmp_path / "listening.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "organisation": "Test",
                "http": {"retries": 0, "min_host_interval_seconds": 0},
                "sources": [
                    {"id": "forum", "kind": "discourse", "url": f"{base}/forum"},
                    {
                        "id": "lemmy",
                        "kind": "lemmy",
                        "instance": f"{base}/lemmy",
                        "community": "cars",
                    },
                    {
                        "id": "app",
                        "kind": "appstore",
                        "app_id": "497799835",
                        "countries": ["fr"],
                        "api_url": f"{base}/apple",
                    },
                    {
                        "id": "se",
                        "kind": "stackexchange",
                        "site": "webapps",
                        "tagged": "newsletter",
                        "api_url": f"{base}/se",
                    },
                    {
                        "id": "news",
                        "kind": "news",
                        "query": "newsletter",
                        "api_url": f"{base}/gdelt",
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    first = flows.collect(str(config), force=True, publish_copy=False)
    assert first.failed == 0, first.errors
    assert first.posts_added == 50 + (2 + 198) + 50 + 2 + 1
    con = duckdb.connect(str(tmp_path / "data" / "earshot.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT platform, count(*), count(url), count(author), count(published_at),"
            " count(*) FILTER (WHERE text = '' AND coalesce(title, '') = ''),"
            " sum(likes), sum(replies) FROM posts GROUP BY platform ORDER BY platform"
        ).fetchall()
        zones = con.execute(
            "SELECT DISTINCT typeof(published_at) FROM posts WHERE published_at IS NOT NULL"
        ).fetchall()
        quota = con.execute("SELECT quota_remaining FROM source_health WHERE source_id = 'se'")
        assert quota.fetchone() == (297,)
    finally:
        con.close()
    # The engagement sums, counted here from the recorded JSON itself.
    reviews = recorded_json("appstore-reviews", "497799835_fr_1.json")["feed"]["entry"]
    forum = recorded_json("discourse", "discuss.criticalfallibilism.com/posts.json")["latest_posts"]
    lemmy_posts = recorded_json("lemmy", "spud_post-list-all-hot_2023-08-08.json")["posts"]
    comments = recorded_json("lemmy", "spud_comment-list-1549703-Hot_anonymized.json")["comments"]
    forum_likes = sum(a["count"] for p in forum for a in p["actions_summary"] if a["id"] == 2)
    lemmy_likes = sum(v["counts"]["upvotes"] for v in lemmy_posts + comments)
    lemmy_replies = sum(v["counts"]["comments"] for v in lemmy_posts) + sum(
        v["counts"]["child_count"] for v in comments
    )
    # platform, posts, with URL, with author, with time, empty, likes, replies
    assert rows == [
        # the 2021 feed gives no date per review: stored with its fetch time
        ("appstore", 50, 50, 50, 0, 0, sum(int(r["im:voteSum"]["label"]) for r in reviews), None),
        ("discourse", 50, 50, 50, 50, 0, forum_likes, sum(p["reply_count"] for p in forum)),
        ("lemmy", 200, 200, 200, 200, 0, lemmy_likes, lemmy_replies),
        ("news", 1, 1, 1, 1, 0, None, None),
        ("stackexchange", 2, 2, 2, 2, 0, None, 1),
    ]
    assert zones == [("TIMESTAMP WITH TIME ZONE",)]
    again = flows.collect(str(config), force=True, publish_copy=False)
    assert again.failed == 0 and again.posts_added == 0, again.errors
