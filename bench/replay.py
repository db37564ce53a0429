"""Evaluation: every recorded platform response through its normaliser, every captured feed
through the feed listener over a local HTTP server.

    python bench/replay.py --api ../shared/eval/api-responses --feeds ../shared/eval/feeds

Prints per file the posts recovered and any error. Exits non-zero when a normaliser or the
listener crashes, a post has neither text nor title, or a timestamp is not timezone-aware.
"""

from __future__ import annotations

import argparse
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
from earshot.listeners.bluesky.normalize import feed_items, post_from_view
from earshot.listeners.hackernews.normalize import hits_of, post_from_hit
from earshot.listeners.mastodon.normalize import post_from_status, statuses_of
from earshot.listeners.reddit.normalize import listing_things, post_from_thing
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


def _reddit(document: Any) -> list[Post | None]:
    things, _ = listing_things(document)
    return [post_from_thing(t, source_id="replay", fetched_at=NOW, lang_hint=None) for t in things]


def _hackernews(document: Any) -> list[Post | None]:
    hits, _, _ = hits_of(document)
    return [post_from_hit(h, source_id="replay", fetched_at=NOW, lang_hint=None) for h in hits]


NORMALISERS: dict[str, Normaliser] = {
    "mastodon": _mastodon,
    "bluesky": _bluesky,
    "reddit": _reddit,
    "hackernews": _hackernews,
}


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
    document = json.loads(path.read_text(encoding="utf-8"))
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
        normalise = NORMALISERS.get(platform_dir.name)
        if normalise is None:  # recordings of a platform Earshot has no listener for yet
            print(f"skip {platform_dir.name + '/':60} no listener for this platform")
            continue
        for path in sorted(p for p in platform_dir.iterdir() if p.is_file()):
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
                        continue  # not JSON (none are, today)
                    for post in normalise(document):
                        if post is None:
                            continue
                        posts += 1
                        issues += [f"{url}: {p}" for p in problems_of(post)]
            except Exception:
                issues.append("CRASH " + traceback.format_exc(limit=3))
            failures += bool(issues)
            state = "ok" if not issues else "FAIL"
            name = f"{platform_dir.name}/{path.name}"
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
