"""Benchmark: collecting 1,000 feeds of 50 items from a local server, against a naive loop.

    python bench/collect.py [--feeds 1000] [--items 50] [--workers 8]

In one run, each phase in its own process (so its peak memory is its own), against a small
asyncio HTTP server in another process (ETag / If-None-Match; keep-alive):
  1. naive:    sequential `httpx.get` + `feedparser.parse` (defaults) per feed
  2. earshot:  `listeners.fetch_sources` on the shared client, `--workers` threads
  3. earshot, second pass with the saved state: nothing changed; every feed is requested
     again (conditional GET, answered 304)
  4. the same two passes as Earshot's collect with its DuckDB writes (the `pipelines.jobs`
     functions the collect flow calls, on a real warehouse file)
  5. parse stage alone on the same bodies: `feedparser.parse` defaults vs Earshot's parse +
     normalise, interleaved feed by feed (both see the same machine load)
Prints items/s, peak RSS and the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing as mp
import random
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = [
    "marketing",
    "newsletter",
    "Kundenservice",
    "Vertrieb",
    "customer",
    "sales",
    "brand",
    "campaign",
    "launch",
    "Datenschutz",
    "social",
    "media",
    "audience",
    "engagement",
    "content",
    "strategy",
    "growth",
    "Zielgruppe",
]


def make_feed(n: int, items: int) -> bytes:
    """An RSS 2.0 feed like a real blog's: HTML descriptions, content:encoded, dc:creator."""
    rng = random.Random(n)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>Blog {n}</title><link>https://blog{n}.example/</link>"
        "<language>en-US</language>\n"
    ]
    for i in range(items):
        words = " ".join(rng.choice(WORDS) for _ in range(120))
        when = format_datetime(start + timedelta(minutes=37 * i + n))
        parts.append(
            f"<item><title>Post {i} of blog {n}: {' '.join(rng.sample(WORDS, 5))}</title>"
            f"<link>https://blog{n}.example/posts/{i}</link>"
            f'<guid isPermaLink="false">blog{n}-post{i}</guid>'
            f"<dc:creator>Author {i % 7}</dc:creator><pubDate>{when}</pubDate>"
            f"<description><![CDATA[<p>{words[:200]}&hellip;</p>]]></description>"
            f'<content:encoded><![CDATA[<p>{words}</p><p><a href="/x/{i}">more</a> '
            f'<img src="/img/{i}.png"/></p>]]></content:encoded></item>\n'
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts).encode()


class _FeedProtocol(asyncio.Protocol):
    """A minimal HTTP/1.1 keep-alive server for GET with ETag/If-None-Match: the bench
    measures the client, so the server must not be the bottleneck (http.server would be)."""

    def __init__(self, feeds: dict[str, tuple[bytes, bytes]]) -> None:
        self.feeds = feeds
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            path = lines[0].split(b" ")[1].decode()
            headers = dict(
                (k.strip().lower(), v.strip())
                for k, _, v in (line.partition(b":") for line in lines[1:])
            )
            assert self.transport is not None
            self.transport.write(self._answer(path, headers))

    def _answer(self, path: str, headers: dict[bytes, bytes]) -> bytes:
        found = self.feeds.get(path)
        if found is None:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        body, etag = found
        if headers.get(b"if-none-match") == etag:
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n\r\n"
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: " + etag
            + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )  # fmt: skip


def _serve(feeds: int, items: int, port_out: Any, stop: Any) -> None:
    catalogue = {f"/feed/{n}.xml": (make_feed(n, items), f'"v{n}"'.encode()) for n in range(feeds)}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _FeedProtocol(catalogue), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        port_out.put(f"http://127.0.0.1:{port}")
        await loop.run_in_executor(None, stop.wait)
        server.close()

    asyncio.run(main())


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _naive(urls: list[str], out: Any) -> None:
    import feedparser
    import httpx

    started = time.perf_counter()
    entries = 0
    for url in urls:
        response = httpx.get(url)
        entries += len(feedparser.parse(io.BytesIO(response.content)).entries)
    out.put({"seconds": time.perf_counter() - started, "items": entries, "peak_mb": _peak_mb()})


def _earshot(urls: list[str], workers: int, out: Any) -> None:
    from earshot.listeners import HttpPolicy, SourceSpec, build_client, fetch_sources

    # All feeds sit on one local host here; in real use they are spread over many hosts.
    policy = HttpPolicy(user_agent="Earshot-bench/1", max_per_host=workers, retries=0)
    specs = [SourceSpec(f"f{i}", "feed", url) for i, url in enumerate(urls)]
    with build_client(policy) as client:

        def run(states: dict[str, dict[str, Any]]) -> tuple[float, int, dict[str, Any]]:
            # Like the collect flow, keep what the warehouse would store (the state), not
            # every post: the posts of a result are gone once it is stored.
            started = time.perf_counter()
            work = [(spec, states.get(spec.source_id, {})) for spec in specs]
            items, seen = 0, {}
            for r in fetch_sources(client, work, policy=policy, workers=workers):
                items += len(r.posts)
                seen[r.source_id] = (r.state, r.status.value, r.http_status, r.error)
            return time.perf_counter() - started, items, seen

        first_s, first_items, results = run({})
        failed = [error for _, _, _, error in results.values() if error]
        second_s, second_items, second = run({k: v[0] for k, v in results.items()})
        statuses = sorted({status for _, status, _, _ in second.values()})
        codes = sorted({code for _, _, code, _ in second.values() if code})
    out.put({
        "seconds": first_s, "items": first_items, "failed": failed[:3],
        "second_seconds": second_s, "second_items": second_items, "second_statuses": statuses,
        "second_codes": codes, "peak_mb": _peak_mb(),
    })  # fmt: skip


STORE_BATCH = 50  # results per warehouse write (the flow stores what arrived together)


def _collect_with_warehouse(urls: list[str], workers: int, out: Any) -> None:
    """Earshot's collect with its DuckDB writes: the `pipelines.jobs` functions the collect
    flow calls (sync sources, due sources, start_load, store_fetched per batch of results,
    finish_load) around `fetch_sources`, on a real warehouse file."""
    import dataclasses
    import tempfile
    from collections import Counter
    from urllib.parse import urlsplit

    from earshot.listeners import FetchResult, fetch_sources
    from earshot.pipelines import http_setup, jobs
    from earshot.pipelines.config import load_config
    from earshot.warehouse.loads import finish_load, start_load

    with tempfile.TemporaryDirectory(prefix="earshot-bench-") as tmp:
        config = Path(tmp) / "listening.yaml"
        host = urlsplit(urls[0]).hostname
        lines = [
            "organisation: Earshot bench",
            "warehouse: {path: bench.duckdb}",
            "http:",
            "  retries: 0",
            f'  host_intervals: {{"{host}": 0}}  # the 1,000 feeds share one local host here',
            "sources:",
            *(f"  - {{id: f{i}, kind: feed, url: '{url}'}}" for i, url in enumerate(urls)),
        ]
        config.write_text("\n".join(lines) + "\n")
        loaded = load_config(config)
        policy = dataclasses.replace(http_setup.http_policy(loaded), max_per_host=workers)

        def collect_once() -> dict[str, Any]:
            started = time.perf_counter()
            with jobs.warehouse(loaded) as con:
                due = jobs.due_sources(con, loaded, jobs.utcnow(), force=True)
                load_id = start_load(con, "collect")
            by_id = {d.spec.source_id: d for d in due}
            added, storing, statuses = 0, 0.0, Counter[str]()

            def store(batch: list[FetchResult]) -> int:
                nonlocal storing
                began = time.perf_counter()
                n = jobs.store_fetched(loaded, [(r, by_id[r.source_id]) for r in batch], load_id)
                storing += time.perf_counter() - began
                return n

            batch: list[FetchResult] = []
            with http_setup.http_client(policy) as client:
                work = [(d.spec, d.state) for d in due]
                for result in fetch_sources(client, work, policy=policy, workers=workers):
                    statuses[result.status.value] += 1
                    batch.append(result)
                    if len(batch) >= STORE_BATCH:
                        added, batch = added + store(batch), []
                if batch:
                    added += store(batch)
            with jobs.write_session(loaded) as con:
                finish_load(con, load_id, status="done", rows_added=added, details={})
            return {"seconds": time.perf_counter() - started, "stored_seconds": storing,
                    "added": added, "statuses": dict(statuses)}  # fmt: skip

        first = collect_once()
        second = collect_once()
    out.put({"first": first, "second": second, "peak_mb": _peak_mb()})


def _parse_stage(feeds: int, items: int, out: Any) -> None:
    """feedparser (defaults) and Earshot's parse + normalise on the same bodies, interleaved
    feed by feed, so that both see the same machine load (other processes come and go)."""
    import feedparser

    from earshot.listeners.feeds.normalize import posts_from_feed
    from earshot.listeners.feeds.parse import parse_feed

    bodies = [make_feed(n, items) for n in range(feeds)]
    size = sum(map(len, bodies))
    now = datetime.now(UTC)
    seconds = {"feedparser": 0.0, "earshot": 0.0}
    entries = {"feedparser": 0, "earshot": 0}
    for n, body in enumerate(bodies):
        started = time.perf_counter()
        entries["feedparser"] += len(feedparser.parse(io.BytesIO(body)).entries)
        seconds["feedparser"] += time.perf_counter() - started
        started = time.perf_counter()
        url = f"http://127.0.0.1/feed/{n}.xml"
        parsed = parse_feed(body, url=url, content_type="application/rss+xml")
        posts = posts_from_feed(parsed, source_id="b", base_url=url, lang_hint=None,
                                fetched_at=now)  # fmt: skip
        entries["earshot"] += len(posts)
        seconds["earshot"] += time.perf_counter() - started
    out.put({"seconds": seconds, "items": entries, "mb": size / 1e6})


def _in_process(target: Callable[..., None], *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    process = ctx.Process(target=target, args=(*args, out), daemon=True)
    process.start()
    figures: dict[str, Any] = out.get()
    process.join()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--parse-feeds", type=int, default=200, help="feeds in the parse stage")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    port_out, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(args.feeds, args.items, port_out, stop), daemon=True)
    server.start()
    base = port_out.get(timeout=300)
    urls = [f"{base}/feed/{n}.xml" for n in range(args.feeds)]
    try:
        size_mb = len(make_feed(0, args.items)) * args.feeds / 1e6
        print(f"{args.feeds} feeds x {args.items} items (~{size_mb:.0f} MB) from {base}")
        naive = _in_process(_naive, urls)
        ours = _in_process(_earshot, urls, args.workers)
        stored = _in_process(_collect_with_warehouse, urls, args.workers)
    finally:
        stop.set()
        server.join()
    naive_rate = naive["items"] / naive["seconds"]
    our_rate = ours["items"] / ours["seconds"]
    print(
        f"naive  (httpx.get + feedparser.parse, sequential): {naive['items']} items in "
        f"{naive['seconds']:.2f} s = {naive_rate:,.0f} items/s, peak {naive['peak_mb']:.0f} MB"
    )
    print(
        f"earshot collect, first pass ({args.workers} threads): {ours['items']} items in "
        f"{ours['seconds']:.2f} s = {our_rate:,.0f} items/s, peak {ours['peak_mb']:.0f} MB"
        + (f", failures e.g. {ours['failed']}" if ours["failed"] else "")
    )
    print(
        f"earshot collect, second pass (nothing changed): {ours['second_items']} new items in "
        f"{ours['second_seconds']:.2f} s ({', '.join(ours['second_statuses'])}; every feed "
        f"requested, HTTP {', '.join(map(str, ours['second_codes']))})"
    )
    print(f"ratio first pass vs naive: {our_rate / naive_rate:.1f}x (target >= 3x)")
    print(
        f"ratio first vs second pass: {ours['seconds'] / ours['second_seconds']:.1f}x "
        "(target >= 20x)"
    )
    one, two = stored["first"], stored["second"]
    for name, run in (("first pass", one), ("second pass (nothing changed)", two)):
        print(
            f"earshot collect + DuckDB writes, {name}: {run['added']} posts stored in "
            f"{run['seconds']:.2f} s = {run['added'] / run['seconds']:,.0f} items/s "
            f"(of which warehouse writes {run['stored_seconds']:.2f} s; {run['statuses']})"
        )
    print(
        f"with DuckDB: ratio first pass vs naive "
        f"{one['added'] / one['seconds'] / naive_rate:.1f}x, "
        f"first vs second pass {one['seconds'] / two['seconds']:.1f}x, "
        f"peak {stored['peak_mb']:.0f} MB"
    )
    parse = _in_process(_parse_stage, args.parse_feeds, args.items)
    fp_s, es_s = parse["seconds"]["feedparser"], parse["seconds"]["earshot"]
    print(
        f"parse stage, {args.parse_feeds} feeds ({parse['mb']:.1f} MB, interleaved): feedparser "
        f"defaults {parse['mb'] / fp_s:.1f} MB/s ({parse['items']['feedparser']} entries); "
        f"earshot parse+normalise {parse['mb'] / es_s:.1f} MB/s "
        f"({parse['items']['earshot']} posts); ratio {fp_s / es_s:.1f}x (target >= 5x)"
    )
    print(f"peak memory: earshot {ours['peak_mb']:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
