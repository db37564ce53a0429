"""Benchmark: bulk (Arrow) loading of posts against `executemany`, in the same process.

    python bench/load.py [--posts 200000] [--sample 20000]

Prints posts/s for both and the ratio; a second load of the same posts must add nothing.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from listeners.records import Post
from warehouse import open_warehouse
from warehouse.loads import start_load
from warehouse.sources import insert_posts

WORDS = [
    "Kundenservice",
    "Newsletter",
    "Vertrieb",
    "Datenschutz",
    "Marketing",
    "customer",
    "service",
    "sales",
    "privacy",
    "great",
    "terrible",
    "Frage",
    "question",
    "warum",
    "how",
    "KI",
    "AI",
    "content",
    "strategy",
    "LinkedIn",
]


def synthetic_posts(n: int, seed: int = 7) -> list[Post]:
    rng = random.Random(seed)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    return [
        Post(
            platform="feed",
            source_id=f"source-{i % 20}",
            external_id=f"item-{i}",
            url=f"https://example.org/{i}",
            author=f"author-{rng.randrange(5000)}",
            author_handle=None,
            title=" ".join(rng.choices(WORDS, k=6)),
            text=" ".join(rng.choices(WORDS, k=40)),
            lang_hint=rng.choice(("de", "en")),
            published_at=now - timedelta(minutes=rng.randrange(60 * 24 * 84)),
            fetched_at=now,
            likes=int(rng.paretovariate(1.2)),
            raw={"i": i},
        )
        for i in range(n)
    ]


def executemany_load(path: Path, posts: list[Post]) -> float:
    con = open_warehouse(path)
    load = start_load(con, "bench")
    rows = [
        (
            p.post_id,
            p.platform,
            p.source_id,
            p.external_id,
            p.url,
            p.author,
            p.author_handle,
            p.title,
            p.text,
            p.lang_hint,
            p.published_at,
            p.fetched_at,
            p.likes,
            p.reposts,
            p.replies,
            p.score,
            p.content_key,
            p.raw_json(),
            load,
        )
        for p in posts
    ]
    start = time.perf_counter()
    con.executemany(
        "INSERT INTO _posts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        rows,
    )
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def bulk_load(path: Path, posts: list[Post]) -> tuple[float, int, float, int]:
    con = open_warehouse(path)
    load = start_load(con, "bench")
    start = time.perf_counter()
    added = insert_posts(con, posts, load)
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = insert_posts(con, posts, load)
    second = time.perf_counter() - start
    con.close()
    return first, added, second, again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=20_000)
    args = parser.parse_args()
    posts = synthetic_posts(args.posts)
    with tempfile.TemporaryDirectory() as tmp:
        base = executemany_load(Path(tmp) / "many.duckdb", posts[: args.sample])
        first, added, second, again = bulk_load(Path(tmp) / "bulk.duckdb", posts)
    base_rate = args.sample / base
    bulk_rate = args.posts / first
    print(f"executemany : {args.sample:>9,} posts in {base:7.2f} s = {base_rate:>10,.0f} posts/s")
    print(f"bulk (Arrow): {args.posts:>9,} posts in {first:7.2f} s = {bulk_rate:>10,.0f} posts/s")
    print(f"second bulk load of the same posts: {again} added in {second:.2f} s")
    print(f"ratio bulk/executemany per post: {bulk_rate / base_rate:.1f}x")
    if added != args.posts or again != 0:
        raise SystemExit(f"idempotence broken: first load added {added}, second {again}")


if __name__ == "__main__":
    main()
