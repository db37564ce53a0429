"""YouTube comments (Data API v3) against the local server, on the real recorded answers.

The recorded answers (../shared/eval/api-responses/youtube-comments, 2019 wire format) are
served as recorded, with one change said where it is made: the thread the recorded replies
answer was recorded before them (`totalReplyCount` 0), so its count is set to their 3.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from earshot.listeners import FetchStatus, SourceSpec, fetch_source, fetch_sources
from earshot.listeners.http import HttpPolicy
from earshot.pipelines.config import ConfigError, load_config
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request
from tests.listeners.recorded import JSON, recorded_bytes, recorded_json

PLATFORM = "youtube-comments"
CHANNEL = "UCK8sQmJBp8GCxrOtXWBpyEA"
PAGED = "F1UP7wRCPH8"  # its threads: a recorded page with a nextPageToken
REPLIED = "JE8xdDp5B8Q"  # its threads: the one the recorded replies answer
PARENT = "Ugw5zYU6n9pmIgAZWvN4AaABAg"
ONE_REPLY = "UgwSRpgkjCe6OHHe3IJ4AaABAg"  # a thread of REPLIED with 1 reply, not included
KEY = "test-key-123"
# The replies of the other threads were not recorded: they are served as none.
NO_REPLIES = b'{"kind": "youtube#commentListResponse", "items": []}'


def feed(*videos: str) -> bytes:
    entries = "".join(
        f"""<entry><id>yt:video:{v}</id><yt:videoId>{v}</yt:videoId>
  <yt:channelId>{CHANNEL}</yt:channelId><title>Video {v}</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v={v}"/>
  <author><name>Google</name></author><published>2019-11-01T00:00:00+00:00</published>
  <media:group><media:description>About {v}</media:description></media:group></entry>"""
        for v in videos
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015"
      xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <title>Google</title>{entries}</feed>""".encode()


def google_error(status: int, reason: str, message: str) -> Reply:
    error = {"code": status, "message": message, "errors": [{"reason": reason, "message": message}]}
    return Reply(json.dumps({"error": error}).encode(), content_type=JSON, status=status)


def replied_threads() -> bytes:
    document: dict[str, Any] = recorded_json(PLATFORM, "comment_threads_all_to_me.json")
    for item in document["items"]:
        if item["id"] == PARENT:
            item["snippet"]["totalReplyCount"] = 3  # the recorded replies came after
    return json.dumps(document).encode()


class Api:
    """/youtube/v3/commentThreads by (videoId, pageToken), /youtube/v3/comments by
    (parentId, pageToken); `errors` answer a video's threads with an error instead."""

    def __init__(self, server: FeedServer) -> None:
        first_token = recorded_json(PLATFORM, "comment_threads_by_video_paged_1.json")
        replies_token = recorded_json(PLATFORM, "comments_by_parent_paged_1.json")
        self.threads: dict[tuple[str, str | None], bytes] = {
            (PAGED, None): recorded_bytes(PLATFORM, "comment_threads_by_video_paged_1.json"),
            # an older page of threads, as recorded for another video
            (PAGED, first_token["nextPageToken"]): recorded_bytes(
                PLATFORM, "comment_threads_multi.json"
            ),
            (REPLIED, None): replied_threads(),
        }
        self.replies: dict[tuple[str, str | None], bytes] = {
            (PARENT, None): recorded_bytes(PLATFORM, "comments_by_parent_paged_1.json"),
            (PARENT, replies_token["nextPageToken"]): recorded_bytes(
                PLATFORM, "comments_by_parent_paged_2.json"
            ),
        }
        self.errors: dict[str, Reply] = {}
        server.handle("/youtube/v3/*", self)

    def __call__(self, request: Request) -> Reply:
        assert request.headers.get("x-goog-api-key") == KEY
        assert "key" not in request.query  # the key never shows in a URL
        token = request.query.get("pageToken")
        if request.path.endswith("/commentThreads"):
            assert request.query["part"] == "snippet,replies"
            assert (request.query["order"], request.query["maxResults"]) == ("time", "100")
            video = request.query["videoId"]
            if video in self.errors:
                return self.errors[video]
            return Reply(self.threads[(video, token)], content_type=JSON)
        assert request.path.endswith("/comments"), request.path
        key = (request.query["parentId"], token)
        return Reply(self.replies.get(key, NO_REPLIES), content_type=JSON)


def spec(server: FeedServer, **options: Any) -> SourceSpec:
    return SourceSpec(
        "yt",
        "youtube",
        server.url(f"/feeds/videos.xml?channel_id={CHANNEL}"),
        options={"api_key_env": "YT_KEY", "api_url": server.url("/youtube/v3"), **options},
        secrets={"api_key": KEY},
    )


def calls(server: FeedServer) -> list[str]:
    return [
        f"{r.path.rsplit('/', 1)[1]}:{r.query.get('videoId') or r.query.get('parentId')}"
        for r in server.api_requests
    ]


def test_comments_and_replies_of_a_channels_recent_videos(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    Api(feed_server)
    feed_server.route(
        "/feeds/videos.xml", Reply(feed(PAGED, REPLIED), content_type="application/atom+xml")
    )
    first = fetch_source(client, spec(feed_server), {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK, first.error
    comments = [p for p in first.posts if p.external_id.startswith("yt:comment:")]
    videos = [p for p in first.posts if p.external_id.startswith("yt:video:")]
    assert len(videos) == 2 and len(comments) == 5 + 2 + 4 + 3
    assert calls(feed_server) == [
        f"commentThreads:{PAGED}",
        "comments:UgwI_ylXVnzPS8Q-oAV4AaABAg",  # totalReplyCount 2, none included
        f"commentThreads:{PAGED}",
        f"commentThreads:{REPLIED}",
        f"comments:{PARENT}",
        f"comments:{PARENT}",
        f"comments:{ONE_REPLY}",
    ]
    (link,) = [p for p in comments if p.external_id == "yt:comment:UgyZ1jqkHKYvi1-ruOZ4AaABAg"]
    assert link.text == "Google.com"  # textOriginal, not the <a> of textDisplay
    assert (link.author, link.author_handle) == ("himani agarwal", "UCzj-CjKYmGlZ7vTL-vOe57A")
    assert link.url == f"https://www.youtube.com/watch?v={PAGED}&lc=UgyZ1jqkHKYvi1-ruOZ4AaABAg"
    assert link.published_at == datetime(2019, 11, 26, 15, 51, 44, tzinfo=UTC)
    assert (link.platform, link.likes, link.replies) == ("youtube", 0, 0)
    assert link.raw["video_id"] == PAGED and link.raw["parent_id"] is None
    (reply,) = [p for p in comments if p.text == "this is the third reply!"]
    assert reply.raw["parent_id"] == PARENT and reply.replies is None
    assert reply.url == f"https://www.youtube.com/watch?v={REPLIED}&lc={reply.raw['id']}"
    (thread,) = [p for p in comments if p.external_id == f"yt:comment:{PARENT}"]
    assert thread.replies == 3
    assert all(p.text.strip() and p.published_at and p.published_at.tzinfo for p in comments)
    assert (first.state["quota_used"], first.state["quota_remaining"]) == (7, 993)

    # Next run: the feed answers 304 and is still read past; each video's newest page only.
    feed_server.route(
        "/feeds/videos.xml",
        Reply(feed(PAGED, REPLIED), content_type="application/atom+xml", etag='"v1"'),
    )
    state = {**first.state, "etag": '"v1"'}
    feed_server.api_requests.clear()
    (again,) = fetch_sources(client, [(spec(feed_server), state)], policy=policy, now=NOW)
    assert again.status is FetchStatus.NOT_MODIFIED and again.error is None
    assert calls(feed_server) == [f"commentThreads:{PAGED}", f"commentThreads:{REPLIED}"]
    assert again.state["quota_used"] == 2 and again.state["etag"] == '"v1"'


def test_a_spent_budget_stops_the_run_and_the_next_goes_on(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    Api(feed_server)
    source = spec(feed_server, video_id=REPLIED, quota_units="1")
    state: dict[str, Any] = {}
    got: list[int] = []
    seen: set[str] = set()
    for _ in range(5):
        result = fetch_source(client, source, state, policy=policy, now=NOW)
        assert result.status in (FetchStatus.OK, FetchStatus.NOT_MODIFIED), result.error
        assert (result.state["quota_used"], result.state["quota_remaining"]) == (1, 0)
        got.append(len(result.posts))
        seen |= {p.post_id for p in result.posts}
        state = result.state
    # threads; replies page 1, page 2; the other thread's replies; the newest page: nothing new
    assert got == [4, 2, 1, 0, 0] and len(seen) == 7
    assert calls(feed_server) == [
        f"commentThreads:{REPLIED}",
        f"comments:{PARENT}",
        f"comments:{PARENT}",
        f"comments:{ONE_REPLY}",
        f"commentThreads:{REPLIED}",
    ]


def test_comments_turned_off_skip_the_video_and_refusals_are_clear(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    api = Api(feed_server)
    feed_server.route(
        "/feeds/videos.xml", Reply(feed(PAGED, REPLIED), content_type="application/atom+xml")
    )
    api.errors[PAGED] = google_error(
        403,
        "commentsDisabled",
        'The video identified by the <code><a href="#videoId">videoId</a></code> parameter '
        "has disabled comments.",
    )
    result = fetch_source(client, spec(feed_server), {}, policy=policy, now=NOW)
    assert result.status is FetchStatus.OK, result.error
    assert sum(p.external_id.startswith("yt:comment:") for p in result.posts) == 7
    assert result.state["comments"]["videos"][PAGED]["disabled_on"] == NOW.date().isoformat()
    feed_server.api_requests.clear()
    later = fetch_source(client, spec(feed_server), result.state, policy=policy, now=NOW)
    assert f"commentThreads:{PAGED}" not in calls(feed_server) and later.error is None
    week_later = NOW + timedelta(days=8)
    fetch_source(client, spec(feed_server), result.state, policy=policy, now=week_later)
    assert f"commentThreads:{PAGED}" in calls(feed_server)  # asked again after a week

    api.errors[PAGED] = google_error(403, "quotaExceeded", "The request cannot be completed.")
    spent = fetch_source(client, spec(feed_server), {}, policy=policy, now=NOW)
    assert spent.status is FetchStatus.FAILED and spent.http_status == 403
    assert "daily quota is used up (quotaExceeded); it resets at 2024-05-07 00:00 PDT" in (
        spent.error or ""
    )
    assert spent.retry_after_seconds == 19 * 3600  # 12:00 UTC is 05:00 in Los Angeles
    assert KEY not in (spent.error or "")
    api.errors[PAGED] = google_error(400, "badRequest", "The request is bad.")
    bad = fetch_source(client, spec(feed_server), {}, policy=policy, now=NOW)
    assert bad.status is FetchStatus.FAILED
    assert f"video {PAGED}: the API refused the request (HTTP 400 Bad Request: " in (
        bad.error or ""
    )
    assert "The request is bad. (badRequest)" in (bad.error or "")
    api.errors[PAGED] = google_error(
        403, "forbidden", 'The <code><a href="#videoId">videoId</a></code> is private.'
    )
    forbidden = fetch_source(client, spec(feed_server), {}, policy=policy, now=NOW)
    assert f"video {PAGED}: the API key may not read it (HTTP 403 Forbidden: The videoId " in (
        forbidden.error or ""
    )
    assert "is private. (forbidden)" in (forbidden.error or "")
    api.errors[PAGED] = google_error(404, "videoNotFound", "The video could not be found.")
    gone = fetch_source(client, spec(feed_server), {}, policy=policy, now=NOW)
    assert f"video {PAGED}: not found" in (gone.error or "") and gone.http_status == 404


def test_a_missing_key_variable_fails_the_source_before_any_request(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    Api(feed_server)
    source = SourceSpec(
        "yt",
        "youtube",
        "https://www.youtube.com/watch?v=JE8xdDp5B8Q",
        options={"video_id": REPLIED, "api_key_env": "YT_KEY", "api_url": feed_server.base_url},
        secrets={"api_key": None},
    )
    result = fetch_source(client, source, {"kept": 1}, policy=policy, now=NOW)
    assert result.status is FetchStatus.FAILED
    assert result.error == (
        "https://www.youtube.com/watch?v=JE8xdDp5B8Q: "
        "environment variable YT_KEY (api_key) is not set"
    )
    assert result.state == {"kept": 1} and feed_server.api_requests == []


def test_the_config_of_comments(tmp_path: Path) -> None:
    def load(source: dict[str, Any]) -> Any:
        path = tmp_path / "earshot.yaml"
        config = {"organisation": "Acme", "sources": [{"id": "yt", "kind": "youtube", **source}]}
        path.write_text(json.dumps(config), encoding="utf-8")
        return load_config(path).config.sources[0]

    video = load({"video_id": REPLIED, "api_key_env": "YT_KEY", "quota_units": 50})
    assert video.url == f"https://www.youtube.com/watch?v={REPLIED}"
    assert video.options()["quota_units"] == "50" and video.secret_envs() == {"api_key": "YT_KEY"}
    assert "quota_units" not in load({"channel_id": CHANNEL}).options()
    with pytest.raises(ConfigError, match=r"sources\[0\]: a `video_id` source reads its comments"):
        load({"video_id": REPLIED})
    with pytest.raises(ConfigError, match=r"sources\[0\]\.quota_units"):
        load({"channel_id": CHANNEL, "api_key_env": "YT_KEY", "quota_units": 0})


@pytest.mark.usefixtures("prefect_harness")
def test_collect_stores_comments_and_sources_shows_the_quota(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from earshot.pipelines import flows
    from earshot.pipelines.cli import app

    Api(feed_server)
    monkeypatch.setenv("EARSHOT_TEST_YT_KEY", KEY)
    config = tmp_path / "listening.yaml"
    api_url = feed_server.url("/youtube/v3")
    source = {"id": "yt", "kind": "youtube", "video_id": REPLIED, "quota_units": 10,
              "api_key_env": "EARSHOT_TEST_YT_KEY", "api_url": api_url}  # fmt: skip
    config.write_text(
        json.dumps({"organisation": "Test", "http": {"retries": 0}, "sources": [source]}),
        encoding="utf-8",
    )
    first = flows.collect(str(config), force=True, publish_copy=False)
    assert (first.failed, first.posts_added) == (0, 7), first.errors
    again = flows.collect(str(config), force=True, publish_copy=False)
    assert (again.failed, again.posts_added) == (0, 0), again.errors
    con = duckdb.connect(str(tmp_path / "data" / "earshot.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT count(*), count(url), count(author), count(published_at), sum(replies)"
            " FROM posts WHERE platform = 'youtube'"
        ).fetchone()
        quota = con.execute(
            "SELECT quota_used, quota_remaining FROM source_health WHERE source_id = 'yt'"
        ).fetchone()
    finally:
        con.close()
    assert rows == (7, 7, 7, 7, 3 + 1)  # the two threads' reply counts
    assert quota == (1, 9)  # the second run read the newest page only
    shown = CliRunner(env={"COLUMNS": "220"}).invoke(app, ["sources", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    assert "(quota used 1, left 9)" in shown.output
