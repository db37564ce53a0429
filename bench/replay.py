"""Evaluation: every recorded platform response through its normaliser, every captured feed
through the feed listener over a local HTTP server.

    python bench/replay.py --api ../shared/eval/api-responses --feeds ../shared/eval/feeds

Prints per file the posts recovered and any error. Exits non-zero when a normaliser or the
listener crashes, a post has neither text nor title, a timestamp is not timezone-aware, or an
App Store review has no rating of 1 to 5.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from earshot.listeners import FetchStatus, HttpPolicy, Post, SourceSpec, build_client, fetch_source
from earshot.listeners.appstore.normalize import feed_of, post_from_review, reviews_of
from earshot.listeners.bluesky.normalize import feed_items, post_from_event, post_from_view
from earshot.listeners.discourse.normalize import (
    latest_posts_of,
    post_from_discourse,
    topic_posts_of,
)
from earshot.listeners.hackernews.normalize import hits_of, post_from_hit
from earshot.listeners.lemmy.normalize import (
    post_from_comment_view,
    post_from_post_view,
    views_of,
)
from earshot.listeners.mastodon.normalize import post_from_status, statuses_of
from earshot.listeners.reddit.normalize import listing_things, post_from_thing
from earshot.listeners.stackexchange.normalize import post_from_item, wrapper_of
from earshot.listeners.youtube.normalize import (
    comment_page_of,
    comments_of,
    post_from_comment,
    thread_of,
)
from tests.listeners.feedserver import FeedServer, Reply

NOW = datetime.now(UTC)
Normaliser = Callable[[Any], list[Post | None]]


def _mastodon(document: Any) -> list[Post | None]:
    return [
        post_from_status(s, source_id="replay", fetched_at=NOW, lang_hint=None)
        for s in statuses_of(document)
    ]


def _bluesky(document: Any) -> list[Post | None]:
    return [
        post_from_view(i["post"], source_id="replay", fetched_at=NOW, lang_hint=None)
        for i in feed_items(document)
    ]


@functools.cache
def _stream_filter() -> Callable[[Post], bool]:
    """The stream's topic filter with the example config's topics (what `earshot stream` runs)."""
    from earshot.pipelines.config import load_config
    from earshot.pipelines.stream import topic_filter

    return topic_filter(
        load_config(Path(__file__).resolve().parent.parent / "examples/listening.yaml")
    )


def _jetstream(event: Any) -> list[Post | None]:
    """One Jetstream event (a line of a .jsonl recording): the post it creates, if any, also
    through the stream's topic filter."""
    post = post_from_event(event, source_id="replay", fetched_at=NOW)
    if post is not None:
        _stream_filter()(post)
    return [post]


def _reddit(document: Any) -> list[Post | None]:
    things, _ = listing_things(document)
    return [post_from_thing(t, source_id="replay", fetched_at=NOW, lang_hint=None) for t in things]


def _hackernews(document: Any) -> list[Post | None]:
    hits, _, _ = hits_of(document)
    return [post_from_hit(h, source_id="replay", fetched_at=NOW, lang_hint=None) for h in hits]


def _discourse(document: Any) -> list[Post | None]:
    raws = latest_posts_of(document) + topic_posts_of(document)
    return [
        post_from_discourse(
            p, forum="https://forum.example", source_id="replay", fetched_at=NOW, lang_hint=None
        )
        for p in raws
    ]


def _lemmy(document: Any) -> list[Post | None]:
    if isinstance(document, dict) and isinstance(document.get("post_view"), dict):
        document = {"posts": [document["post_view"]]}  # a post's detail page
    kw: dict[str, Any] = {"source_id": "replay", "fetched_at": NOW, "lang_hint": None}
    return [post_from_post_view(v, **kw) for v in views_of(document, "posts")] + [
        post_from_comment_view(v, **kw) for v in views_of(document, "comments")
    ]


def _stackexchange(document: Any) -> list[Post | None]:
    wrapper = wrapper_of(document)
    items = wrapper.items if wrapper else []
    return [
        post_from_item(i, site="replay", source_id="replay", fetched_at=NOW, lang_hint=None)
        for i in items
    ]


def _appstore(document: Any, name: str) -> list[Post | None]:
    feed = feed_of(document)
    app_id, country = [*name.split("_"), "", ""][:2]
    return [
        post_from_review(
            e, app_id=app_id, country=country, source_id="replay", fetched_at=NOW, lang_hint=None
        )
        for e in (reviews_of(feed) if feed else [])
    ]


def _youtube_comments(document: Any) -> list[Post | None]:
    """A `commentThreads` list (top-level comments and included replies) or a `comments` list."""
    kw: dict[str, Any] = {"source_id": "replay", "fetched_at": NOW, "lang_hint": None}
    threads = comment_page_of(document, "commentThread")
    if threads is not None:
        posts: list[Post | None] = []
        for thread in filter(None, map(thread_of, threads[0])):
            video = thread.top.get("snippet", {}).get("videoId")
            posts.append(post_from_comment(thread.top, video_id=video,
                                           total_replies=thread.total_replies, **kw))  # fmt: skip
            posts += [post_from_comment(r, video_id=video, **kw) for r in thread.replies]
        return posts
    comments = comment_page_of(document, "comment")
    items = comments_of(comments[0]) if comments is not None else []
    return [post_from_comment(c, video_id=None, **kw) for c in items]


NORMALISERS: dict[str, Normaliser] = {
    "mastodon": _mastodon,
    "bluesky": _bluesky,
    "bluesky-jetstream": _jetstream,
    "reddit": _reddit,
    "hackernews": _hackernews,
    "discourse": _discourse,
    "lemmy": _lemmy,
    "stackexchange": _stackexchange,
    "youtube-comments": _youtube_comments,
}
# Normalisers that need the file's name (App Store files are named APPID_COUNTRY_PAGE).
NAMED_NORMALISERS: dict[str, Callable[[Any, str], list[Post | None]]] = {
    "appstore-reviews": _appstore,
}
# Recorded folders of source kinds not built yet: listed, not replayed.
NOT_YET = {}
RESPONSE_SUFFIXES = (".json", ".jsonl", ".yaml", ".yml")


def _normaliser(platform: str, path: Path) -> Normaliser:
    named = NAMED_NORMALISERS.get(platform)
    if named is not None:
        return functools.partial(named, name=path.stem)
    return NORMALISERS[platform]


def recorded_bodies(path: Path) -> Iterator[tuple[str, int, str]]:
    """(request URL, status, body) of each recorded response: VCR YAML, Betamax JSON, or the
    Algolia fixture list."""
    if path.suffix in (".yaml", ".yml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for it in document.get("interactions") or document.get("http_interactions") or ():
            status = it["response"]["status"]
            code = status.get("code") if isinstance(status, dict) else status
            yield it["request"]["uri"], int(code), it["response"]["body"].get("string") or ""
        return
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":  # a recorded stream: one event a line
        for number, line in enumerate(text.splitlines(), start=1):
            yield f"{path.name}:{number}", 200, line
        return
    try:
        document = json.loads(text)
    except ValueError:
        yield path.name, 200, text  # a recorded body that is not JSON (App Store page 11)
        return
    if isinstance(document, dict) and "interactions" not in document:
        yield path.name, 200, text  # one recorded response body (Discourse, Lemmy, ...)
        return
    if isinstance(document, list):  # Algolia fixtures: [{url, reply}]
        for item in document:
            yield item["url"], 200, json.dumps(item["reply"])
        return
    for it in document.get("interactions") or ():
        response = it["response"]
        yield it["request"]["uri"], int(response["status"]["code"]), response["body"]["string"]


def problems_of(post: Post) -> list[str]:
    found = []
    if not post.text.strip() and not (post.title or "").strip():
        found.append(f"{post.external_id}: empty text and title")
    for name in ("published_at", "fetched_at"):
        value = getattr(post, name)
        if value is not None and value.tzinfo is None:
            found.append(f"{post.external_id}: {name} is naive")
    if post.platform == "appstore" and not 1 <= (post.rating or 0) <= 5:
        found.append(f"{post.external_id}: a review without a rating of 1 to 5")
    # The cross-posting key is computed for every real shape (a crash here is reported).
    post.content_key  # noqa: B018
    SHARED.append(post.story_url)
    return found


SHARED: list[str | None] = []  # every replayed post's story URL, for the summary


def replay_api(root: Path) -> tuple[int, int]:
    """Returns (files, failures)."""
    files = failures = 0
    print(f"== recorded API responses in {root}")
    for platform_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if platform_dir.name in NOT_YET:
            print(f"skip {platform_dir.name + '/':60} not a source kind yet: "
                  f"{NOT_YET[platform_dir.name]}")  # fmt: skip
            continue
        if platform_dir.name not in NORMALISERS | NAMED_NORMALISERS:
            # recordings of a platform Earshot has no listener for yet
            print(f"skip {platform_dir.name + '/':60} no listener for this platform")
            continue
        paths = [
            p for p in platform_dir.rglob("*") if p.is_file() and p.suffix in RESPONSE_SUFFIXES
        ]
        for path in sorted(paths):
            normalise = _normaliser(platform_dir.name, path)
            files += 1
            posts = responses = 0
            issues: list[str] = []
            try:
                for url, status, body in recorded_bodies(path):
                    if status != 200 or not body.strip():
                        continue
                    responses += 1
                    try:
                        document = json.loads(body)
                    except ValueError:
                        continue  # not JSON: App Store's "page depth is limited to 10"
                    for post in normalise(document):
                        if post is None:
                            continue
                        posts += 1
                        issues += [f"{url}: {p}" for p in problems_of(post)]
            except Exception:
                issues.append("CRASH " + traceback.format_exc(limit=3))
            failures += bool(issues)
            state = "ok" if not issues else "FAIL"
            name = f"{platform_dir.name}/{path.relative_to(platform_dir)}"
            print(f"{state:4} {name:60} {responses:3} responses {posts:4} posts")
            for issue in issues[:5]:
                print(f"       {issue}")
    return files, failures


def replay_feeds(root: Path) -> tuple[int, int]:
    files = failures = 0
    print(f"== captured feeds in {root} (through the feed listener and a local server)")
    policy = HttpPolicy(user_agent="Earshot-replay/1", timeout_seconds=10, retries=0)
    with FeedServer() as server, build_client(policy) as client:
        for path in sorted(p for p in root.iterdir() if p.is_file()):
            files += 1
            ctype = "application/feed+json" if path.suffix == ".json" else "application/xml"
            url = server.route(f"/{path.name}", Reply(path.read_bytes(), content_type=ctype))
            issues: list[str] = []
            try:
                result = fetch_source(
                    client, SourceSpec(path.stem, "feed", url), {}, policy=policy, now=NOW
                )
                for post in result.posts:
                    issues += problems_of(post)
                shown = f"{len(result.posts):4} posts"
                if result.status is FetchStatus.FAILED:
                    shown += f"  error: {result.error}"
            except Exception:
                issues.append("CRASH " + traceback.format_exc(limit=3))
                shown = ""
            failures += bool(issues)
            print(f"{'ok' if not issues else 'FAIL':4} {path.name:60} {shown}")
            for issue in issues[:5]:
                print(f"       {issue}")
    return files, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", type=Path, help="folder of recorded API responses")
    parser.add_argument("--feeds", type=Path, help="folder of captured feeds")
    args = parser.parse_args()
    files = failures = 0
    for root, replay in ((args.api, replay_api), (args.feeds, replay_feeds)):
        if root is not None:
            n, bad = replay(root)
            files, failures = files + n, failures + bad
    print(f"== {files} files, {failures} with a crash or a bad post")
    linked = [u for u in SHARED if u]
    print(
        f"== {len(SHARED)} posts, {len(linked)} about a web page "
        f"({len(set(linked))} distinct canonical URLs)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
