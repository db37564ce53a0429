"""The history walkers of `earshot backfill`, each against the local server paging like its
platform: a walk yields exactly the window's posts, stops at the first page reaching before
the window (not at the listing's end), and a walk handed the progress saved after any page
yields exactly what the uninterrupted walk yielded after it (what a killed backfill relies
on). Items are the platforms' recorded (Lemmy) or documented shapes, retimed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from earshot.listeners.backfill import cannot_go_back, walk
from earshot.listeners.bluesky.normalize import post_from_view
from earshot.listeners.http import HttpPolicy
from earshot.listeners.lemmy.normalize import post_from_comment_view, post_from_post_view
from earshot.listeners.mastodon.normalize import post_from_status
from earshot.listeners.news.normalize import post_from_article
from earshot.listeners.records import Post, SourceSpec
from earshot.listeners.reddit.normalize import post_from_thing
from earshot.listeners.social.backfill import BackfillPage, Window
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request
from tests.listeners.recorded import JSON, recorded_json
from tests.listeners.test_bluesky import AuthorFeed, view
from tests.listeners.test_mastodon import status
from tests.listeners.test_news import Gdelt, article
from tests.listeners.test_reddit_hn_youtube import Listing, thing
from tests.listeners.test_stackexchange import answer, question, wrap

TOP = NOW - timedelta(days=1)
WINDOW = Window(TOP - timedelta(days=20), TOP - timedelta(days=5))
STEP = timedelta(hours=12)  # item k is TOP - k * STEP: 30 days hold 60 items


def _at(k: int) -> datetime:
    return TOP - k * STEP


def _reply(document: Any) -> Reply:
    return Reply(json.dumps(document).encode(), content_type=JSON)


def _pages(
    client: httpx.Client, spec: SourceSpec, policy: HttpPolicy, progress: Any
) -> list[BackfillPage]:
    return list(walk(client, spec, progress, policy=policy, window=WINDOW, now=NOW))


def _walk_and_resume(
    client: httpx.Client, spec: SourceSpec, policy: HttpPolicy
) -> tuple[set[str], int]:
    """The external ids the walk stored and its page count; every resumed walk checked."""
    pages = _pages(client, spec, policy, {})
    assert pages[-1].done and all(not p.done for p in pages[:-1])
    for n, page in enumerate(pages[:-1]):
        rest = _pages(client, spec, policy, page.progress)
        assert [[x.post_id for x in p.posts] for p in rest] == [
            [x.post_id for x in p.posts] for p in pages[n + 1 :]
        ]
    assert _pages(client, spec, policy, pages[-1].progress) == []
    posts = [p for page in pages for p in page.posts]
    assert all(WINDOW.holds(p.published_at) for p in posts)
    return {p.external_id for p in posts}, len(pages)


def _in_window(items: Iterable[Any], to_post: Callable[..., Post | None]) -> set[str]:
    """The external ids of the items the platform's normaliser dates inside the window."""
    posts = (to_post(i, source_id="s", fetched_at=NOW, lang_hint=None) for i in items)
    return {p.external_id for p in posts if p is not None and WINDOW.holds(p.published_at)}


def test_mastodon_hashtag_pages_back_by_max_id(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    statuses = []
    for k in range(60):
        s = status(k)
        s.update(id=str(10_000 - k), created_at=_at(k).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        statuses.append(s)

    def timeline(request: Request) -> Reply:
        below = int(request.query.get("max_id", 10**9))
        return _reply([s for s in statuses if int(s["id"]) < below][:8])

    feed_server.handle("/api/v1/timelines/tag/kundenservice", timeline)
    spec = SourceSpec(
        "m",
        "mastodon",
        feed_server.base_url,
        options={"instance": feed_server.base_url, "hashtag": "kundenservice"},
    )
    ids, pages = _walk_and_resume(client, spec, policy)
    assert ids == _in_window(statuses, post_from_status) and len(ids) == 30
    assert pages == 6  # 8 a page: the sixth reaches before the window; items 48..59 unasked


def test_reddit_pages_back_by_after(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    things = []
    for k in range(60):
        t = thing(k)
        t["data"]["created_utc"] = _at(k).timestamp()
        things.append(t)
    feed_server.handle("/r/marketing/new.json", Listing(things, page_size=7))
    spec = SourceSpec(
        "r",
        "reddit",
        feed_server.base_url,
        options={"subreddit": "marketing", "api_url": feed_server.base_url},
    )
    ids, _ = _walk_and_resume(client, spec, policy)
    assert ids == _in_window([t["data"] for t in things], post_from_thing) and len(ids) == 30


def test_bluesky_author_feed_pages_back_by_cursor(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    items = []
    for k in range(60):
        v = view(k)
        when = _at(k).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        v["indexedAt"] = v["record"]["createdAt"] = when
        items.append({"post": v})
    feed_server.handle("/xrpc/app.bsky.feed.getAuthorFeed", AuthorFeed(items, page_size=9))
    spec = SourceSpec(
        "b",
        "bluesky",
        "https://bsky.app/profile/chris.bsky.social",
        options={"actor": "chris.bsky.social", "appview": feed_server.base_url},
    )
    ids, _ = _walk_and_resume(client, spec, policy)
    assert ids == _in_window([i["post"] for i in items], post_from_view) and len(ids) == 30


def test_lemmy_posts_by_cursor_and_comments_by_page(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    template = recorded_json("lemmy", "spud_post-list-all-hot_2023-08-08.json")["posts"][0]
    comments = recorded_json("lemmy", "spud_comment-list-1549703-Hot_anonymized.json")["comments"]
    posts = []
    for k in range(60):
        p = copy.deepcopy(template)
        p["post"].update(
            id=5000 + k,
            ap_id=f"https://spud.example/post/{5000 + k}",
            published=_at(k).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        )
        posts.append(p)
    for k, c in enumerate(comments):  # 198 comments, 6 hours apart, 50 a page
        c["comment"]["published"] = (TOP - k * STEP / 2).strftime("%Y-%m-%dT%H:%M:%S.%f")

    def post_list(request: Request) -> Reply:
        start = int(request.query.get("page_cursor", "P0")[1:])
        more = start + 6 < len(posts)
        return _reply(
            {"posts": posts[start : start + 6], "next_page": f"P{start + 6}" if more else None}
        )

    def comment_list(request: Request) -> Reply:
        page = int(request.query.get("page", 1))
        return _reply({"comments": comments[(page - 1) * 50 : page * 50]})

    feed_server.handle("/api/v3/post/list", post_list)
    feed_server.handle("/api/v3/comment/list", comment_list)
    spec = SourceSpec(
        "l",
        "lemmy",
        feed_server.url("/c/x"),
        options={"instance": feed_server.base_url, "community": "cars"},
    )
    ids, _ = _walk_and_resume(client, spec, policy)
    want = _in_window(posts, post_from_post_view) | _in_window(comments, post_from_comment_view)
    assert ids == want and len(_in_window(posts, post_from_post_view)) == 30
    pages = [int(r.query.get("page", 1)) for r in feed_server.api_requests if "comment" in r.path]
    assert max(pages) == 2  # comments 0..99 cover back to 24.75 days; page 3 is never asked


def test_stackexchange_questions_created_in_the_window_with_their_answers(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    questions = [question(k + 1, created=int(_at(k).timestamp())) for k in range(60)]
    answers = [
        answer(500 + k, k + 1, created=int((_at(k) + STEP / 4).timestamp())) for k in range(60)
    ]

    def created_in(items: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
        low, high = int(request.query["fromdate"]), int(request.query["todate"])
        return [i for i in items if low <= i["creation_date"] <= high]

    def api(request: Request) -> Reply:
        page = int(request.query["page"])
        if request.path.endswith("/answers"):
            asked = {int(i) for i in request.path.split("/")[-2].split(";")}
            chosen = [a for a in created_in(answers, request) if a["question_id"] in asked]
        else:
            assert request.query["sort"] == "creation"
            chosen = created_in(questions, request)
        return wrap(chosen[(page - 1) * 4 : page * 4], has_more=len(chosen) > page * 4)

    feed_server.handle("/se/*", api)
    spec = SourceSpec(
        "se",
        "stackexchange",
        "https://stackoverflow.com",
        options={
            "site": "stackoverflow",
            "tagged": "newsletter",
            "api_url": feed_server.url("/se"),
        },
    )
    ids, pages = _walk_and_resume(client, spec, policy)
    assert pages == 8  # 30 questions, 4 a page
    assert len(ids) == 30 + 30  # the window's questions, and their answers (3 hours later)


def test_gdelt_moves_the_end_of_its_window_down(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    minutes = int((NOW - TOP).total_seconds() // 60)
    articles = [article(k, minutes_ago=minutes + 60 * k) for k in range(24 * 30)]
    feed_server.handle("/api/v2/doc/doc", Gdelt(articles))
    api = feed_server.url("/api/v2/doc/doc")
    spec = SourceSpec("n", "news", api, options={"query": "Kundenservice", "api_url": api})
    ids, pages = _walk_and_resume(client, spec, policy)
    assert ids == _in_window(articles, post_from_article) and len(ids) == 15 * 24
    assert pages == 2  # 250 a request: the second window ends at the first one's oldest


@pytest.mark.parametrize(
    ("kind", "options", "said"),
    [
        ("feed", {}, "a feed lists only its newest items"),
        ("youtube", {}, "only its 15 newest videos"),
        ("appstore", {"app_id": "1"}, "newest reviews"),
        ("bluesky", {"query": "x"}, "only an author feed"),
    ],
)
def test_kinds_that_cannot_go_back(kind: str, options: dict[str, str], said: str) -> None:
    reason = cannot_go_back(SourceSpec("s", kind, "https://example.org", options=options))
    assert reason is not None and said in reason


def test_every_other_kind_has_a_walker() -> None:
    for kind in ("hackernews", "discourse", "mastodon", "lemmy", "reddit", "stackexchange", "news"):
        assert cannot_go_back(SourceSpec("s", kind, "https://example.org")) is None, kind


def test_discourse_category_topics_page_by_page_with_all_their_posts(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    """16 topics, 4 a list page, 25 posts each (two topic pages of 20); a pinned old topic
    heads the first page. The list is read until a page ends before the window."""
    template = recorded_json("discourse", "discuss.criticalfallibilism.com/t_2144_posts.json")[
        "post_stream"
    ]["posts"][0]

    def stamp(when: datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    topics: dict[int, dict[str, Any]] = {}
    posts: dict[int, list[dict[str, Any]]] = {}
    for k in range(-1, 16):  # -1: the pinned topic, from long ago
        tid = 100 + k
        created = TOP - timedelta(days=2.5 * k) if k >= 0 else TOP - timedelta(days=400)
        posts[tid] = []
        for j in range(25):
            post = dict(template)
            post.update(id=tid * 1000 + j, topic_id=tid, post_number=j + 1, post_type=1,
                        created_at=stamp(created + timedelta(hours=j)),
                        cooked=f"<p>Topic {tid} post {j}</p>")  # fmt: skip
            posts[tid].append(post)
        topics[tid] = {"id": tid, "title": f"Topic {tid}", "pinned": k < 0,
                       "created_at": stamp(created),
                       "last_posted_at": stamp(created + timedelta(hours=24))}  # fmt: skip
    listed = [topics[99]] + [topics[100 + k] for k in range(16)]

    def topic_list(request: Request) -> Reply:
        page = int(request.query.get("page", 0))
        chunk = listed[page * 4 + (page > 0) : (page + 1) * 4 + 1]
        more = (page + 1) * 4 + 1 < len(listed)
        return _reply({"topic_list": {"topics": chunk, "more_topics_url": "/x" if more else None}})

    def topic(request: Request) -> Reply:
        tid = int(request.path.rsplit("/", 1)[1].removesuffix(".json"))
        page = int(request.query.get("page", 1))
        stream = [p["id"] for p in posts[tid]]
        chunk = posts[tid][(page - 1) * 20 : page * 20]
        return _reply({"post_stream": {"posts": chunk, "stream": stream}, "chunk_size": 20})

    feed_server.handle("/forum/c/support/l/latest.json", topic_list)
    feed_server.handle("/forum/t/*", topic)
    spec = SourceSpec("d", "discourse", feed_server.url("/forum"), options={"category": "support"})
    ids, _ = _walk_and_resume(client, spec, policy)
    expected = set()
    for topic_posts in posts.values():
        for p in topic_posts:
            if WINDOW.holds(datetime.fromisoformat(p["created_at"])):
                expected.add(f"{feed_server.url('/forum')}/p/{p['id']}")
    assert ids == expected and len(ids) > 100
    asked = {r.query.get("page", "0") for r in feed_server.api_requests if "latest" in r.path}
    assert asked == {"0", "1", "2"}  # page 2 ends before the window: page 3 is never asked
    assert not any(r.path == "/forum/t/99.json" for r in feed_server.api_requests)


def test_a_listing_that_ends_before_the_window_says_the_history_is_exhausted(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    """Reddit's listing goes back about 1,000 items: here it ends 14.5 days back."""
    things = []
    for k in range(30):
        t = thing(k)
        t["data"]["created_utc"] = _at(k).timestamp()
        things.append(t)
    feed_server.handle("/r/marketing/new.json", Listing(things, page_size=7))
    options = {"subreddit": "marketing", "api_url": feed_server.base_url}
    spec = SourceSpec("r", "reddit", feed_server.base_url, options=options)
    pages = _pages(client, spec, policy, {})
    assert pages[-1].done and pages[-1].exhausted and not any(p.exhausted for p in pages[:-1])
    assert pages[-1].reached == _at(29)
    posts = {p.external_id for page in pages for p in page.posts}
    assert posts == _in_window([t["data"] for t in things], post_from_thing) and len(posts) == 19
    full = [thing(k) for k in range(60)]
    for k, t in enumerate(full):
        t["data"]["created_utc"] = _at(k).timestamp()
    feed_server.handle("/r/marketing/new.json", Listing(full, page_size=7))
    assert not any(p.exhausted for p in _pages(client, spec, policy, {}))
