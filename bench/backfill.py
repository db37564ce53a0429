"""Benchmark: what resumability costs a backfill, against storing the same pages once.

    python bench/backfill.py [--pages 50] [--per-page 100]

A Hacker News backfill (Algolia `search_by_date` served from a local server: `--pages` pages
of `--per-page` hits, recorded shape) in one process, three ways, each on a fresh warehouse:
  1. baseline: the product's walker (`listeners.hackernews.backfill`) pages through the
     window and every post is stored at the end in ONE transaction (`insert_posts`): not
     resumable, a kill loses everything fetched
  2. earshot:  `earshot backfill`'s job (`pipelines.backfill.run_backfill`): each page's posts
     and progress in one short write (writer lock, connection, transaction), a load of its
     own, facts refreshed and the analytics copy published at the end
  3. again:    the same range once more after it finished (a new backfill: every page is
     fetched and deduplicated, nothing added)
Prints posts/s, milliseconds per page and the ratios. On the real platform the host
interval (1 request/s by default, 5 s for GDELT) dominates: the per-page write is far below.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from earshot.listeners.hackernews.backfill import backfill as hn_backfill
from earshot.listeners.social.backfill import Window
from earshot.pipelines import http_setup, jobs
from earshot.pipelines.backfill import plan, run_backfill
from earshot.pipelines.config import load_config
from earshot.warehouse.sources import insert_posts
from tests.listeners.feedserver import FeedServer, Reply, Request

TOP = datetime(2026, 11, 25, tzinfo=UTC)
WORDS = ["newsletter", "pause", "customer", "service", "launch", "pricing", "support", "outage"]


def make_hits(count: int) -> list[dict[str, Any]]:
    """Stories and comments of Algolia's shape, one every 10 minutes back from TOP."""
    hits = []
    for i in range(count):
        when = TOP - timedelta(minutes=10 * i)
        text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(12))
        hit: dict[str, Any] = {
            "objectID": str(40_000_000 + i), "author": f"user{i % 97}",
            "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "created_at_i": int(when.timestamp()), "points": i % 50,
            "_tags": ["comment" if i % 3 else "story"],
        }  # fmt: skip
        if i % 3:
            hit.update(comment_text=f"<p>{text}</p>", story_title="Ask HN: newsletters?")
        else:
            hit.update(title=f"Show HN: {text[:40]}", url=f"https://example.com/{i}",
                       num_comments=i % 20)  # fmt: skip
        hits.append(hit)
    return hits


def serve(server: FeedServer, hits: list[dict[str, Any]], per_page: int) -> None:
    import json

    def answer(request: Request) -> Reply:
        bounds = re.findall(r"created_at_i(>=|<)(\d+)", request.query.get("numericFilters", ""))
        low = max((int(v) for op, v in bounds if op == ">="), default=0)
        high = min((int(v) for op, v in bounds if op == "<"), default=2**40)
        chosen = [h for h in hits if low <= h["created_at_i"] < high]
        page = int(request.query.get("page", 0))
        body = {"hits": chosen[page * per_page : (page + 1) * per_page], "page": page,
                "nbPages": math.ceil(len(chosen) / per_page), "hitsPerPage": per_page}  # fmt: skip
        return Reply(json.dumps(body).encode(), content_type="application/json")

    server.handle("/hn/search_by_date", answer)


def write_config(folder: Path, base: str) -> Path:
    path = folder / "listening.yaml"
    path.write_text(yaml.safe_dump({
        "organisation": "Bench", "timezone": "UTC",
        "http": {"min_host_interval_seconds": 0, "retries": 0},
        "sources": [{"id": "hn", "kind": "hackernews", "query": "newsletter",
                     "api_url": f"{base}/hn"}],
    }), encoding="utf-8")  # fmt: skip
    return path


def baseline(config: Path, since: datetime, until: datetime) -> tuple[float, int, int]:
    """The walker's pages, all stored at the end in one transaction."""
    loaded = load_config(config)
    spec = plan(loaded, "hn", f"{since:%Y-%m-%d}", None).spec
    policy = http_setup.http_policy(loaded)
    started = time.perf_counter()
    with jobs.warehouse(loaded):
        pass
    with http_setup.http_client(policy) as client:
        pages = list(hn_backfill(client, spec, {}, policy=policy, window=Window(since, until),
                                 now=datetime.now(UTC)))  # fmt: skip
    with jobs.write_session(loaded) as con:
        con.execute("BEGIN TRANSACTION")
        added = insert_posts(con, (p for page in pages for p in page.posts), "bench-baseline")
        con.execute("COMMIT")
        jobs.refresh_digest_facts(con)
    return time.perf_counter() - started, len(pages), added


def job(config: Path, since: datetime, until: datetime) -> tuple[float, int, int]:
    loaded = load_config(config)
    request = plan(loaded, "hn", f"{since:%Y-%m-%d}", f"{until - timedelta(days=1):%Y-%m-%d}")
    started = time.perf_counter()
    summary = run_backfill(loaded, request.spec, request.since, request.until)
    assert summary.done, summary.error
    return time.perf_counter() - started, summary.pages, summary.posts_added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--per-page", type=int, default=100)
    args = parser.parse_args()
    hits = make_hits(args.pages * args.per_page)
    oldest = TOP - timedelta(minutes=10 * len(hits))
    since = (oldest + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    until = TOP.replace(hour=0) + timedelta(days=1)
    print(f"backfill: {len(hits)} hits, {args.per_page} a page, {since:%Y-%m-%d}..{until:%Y-%m-%d}")
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        serve(server, hits, args.per_page)
        rows = []
        for name, run in (("baseline", baseline), ("earshot", job), ("again", job)):
            folder = Path(tmp) / ("base" if name == "baseline" else "job")
            folder.mkdir(exist_ok=True)
            seconds, pages, added = run(write_config(folder, server.base_url), since, until)
            rows.append((name, seconds, pages, added))
    base = rows[0][1]
    for name, seconds, pages, added in rows:
        per_page = 1000 * seconds / max(pages, 1)
        print(f"  {name:9s} {pages:4d} pages  {added:6d} posts added  {seconds:6.2f} s  "
              f"{per_page:6.1f} ms/page  {seconds / base:4.2f}x baseline")  # fmt: skip
    assert rows[1][3] == rows[0][3] and rows[2][3] == 0, (
        "the job stored other posts than the baseline"
    )


if __name__ == "__main__":
    main()
