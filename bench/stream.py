"""Benchmark: `earshot stream` keeping up with a Jetstream, on one core.

    python bench/stream.py --events 200000 --share 0.02

A local WebSocket server (its own process, on another core when there is one) replays
synthetic Jetstream post events (the shapes of the recorded ones in
../shared/eval/api-responses/bluesky-jetstream) as fast as it can; `share` of them name a
topic. The product's stream path consumes them on one core: `pipelines.stream.run_streams`,
i.e. the WebSocket listener, the normaliser, the topic filter and batches written through the
writer lock into a real DuckDB file. Printed: events/s (wall and per CPU second of the
consuming process) against a baseline in the same process (`json.loads` of the same events),
PASS/FAIL for >= 1,000 events/s (a missed speed target is printed, not an exit status: CI
machines are shared and noisy), and a check that exactly the matching posts were stored
(exit 1 when not).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from earshot.listeners.bluesky.stream import JetstreamListener
from earshot.pipelines.config import load_config
from earshot.pipelines.stream import run_streams
from earshot.warehouse.connection import writing
from tests.listeners.jetstream_server import JetstreamServer, synthetic_events

TARGET = 1000.0  # events per second, the figure
TOPIC_TEXT = "The customer service hotline kept me waiting"


def _events(n: int, share: float) -> list[str]:
    """`n` post events (what `wantedCollections=app.bsky.feed.post` delivers), about `share`
    of them naming the topic."""
    # synthetic_events makes about half posts; every 1/share-th event names the topic
    made = synthetic_events(2 * n + 100, share=share / 2, topic_text=TOPIC_TEXT, step_us=50)
    return [e for e in made if '"app.bsky.feed.post"' in e][:n]


def _serve(events: list[str], ready: multiprocessing.Queue, done: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    with JetstreamServer(events) as server:
        ready.put(server.url)
        done.wait()


def _config(folder: Path, url: str) -> Path:
    path = folder / "listening.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "organisation": "Bench",
                "warehouse": {"path": str(folder / "bench.duckdb")},
                "sources": [
                    {"id": "firehose", "kind": "bluesky", "stream": True, "stream_url": url}
                ],
                "topics": [
                    {
                        "id": "service",
                        "label": "Service",
                        "terms": {"en": ["customer service"], "de": ["Kundenservice"]},
                    },
                    {"id": "billing", "label": "Billing", "terms": {"en": ["invoice", "refund"]}},
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def baseline(events: list[str]) -> float:
    """events/s of `json.loads` alone: the least any consumer of the stream does."""
    start = time.perf_counter()
    for line in events:
        json.loads(line)
    return len(events) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--share", type=float, default=0.02, help="share naming a topic")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    events = _events(args.events, args.share)
    matching = sum(TOPIC_TEXT in e for e in events)
    print(f"== {len(events)} post events, {matching} ({matching / len(events):.1%}) name a topic")

    ctx = multiprocessing.get_context("fork")
    ready: multiprocessing.Queue[str] = ctx.Queue()
    done = ctx.Event()
    server = ctx.Process(target=_serve, args=(events, ready, done), daemon=True)
    server.start()
    os.sched_setaffinity(0, {cores[0]})  # the consumer: one core
    try:
        url = ready.get(timeout=60)
        json_rate = baseline(events)
        with tempfile.TemporaryDirectory(prefix="earshot-bench-stream-") as tmp:
            loaded = load_config(_config(Path(tmp), url))
            timing: dict[str, float] = {}

            def watch(listeners: list[JetstreamListener]) -> None:
                listener = listeners[0]
                while listener.stats.events == 0:
                    time.sleep(0.001)
                timing["wall"], timing["cpu"] = time.perf_counter(), time.process_time()
                first = listener.stats.events
                while listener.stats.events < len(events):
                    time.sleep(0.01)
                timing["wall"] = time.perf_counter() - timing["wall"]
                timing["cpu"] = time.process_time() - timing["cpu"]
                timing["counted"] = listener.stats.events - first
                listener.stop()

            outcome = run_streams(loaded, handle_signals=False, started=watch)[0]
            with writing(loaded.warehouse_path) as con:
                stored = con.execute(
                    "SELECT count(*), count(DISTINCT post_id) FROM _posts"
                ).fetchone()
    finally:
        done.set()
        server.join(timeout=10)
    assert stored is not None
    wall_rate = timing["counted"] / timing["wall"]
    cpu_rate = timing["counted"] / timing["cpu"] if timing["cpu"] else float("inf")
    stats = outcome.stats
    print(f"baseline json.loads        {json_rate:12,.0f} events/s")
    print(
        f"earshot stream (wall)      {wall_rate:12,.0f} events/s   "
        f"{wall_rate / json_rate:.2f}x json.loads"
    )
    print(
        f"earshot stream (CPU time)  {cpu_rate:12,.0f} events/s per CPU second   "
        f"{cpu_rate / json_rate:.2f}x json.loads"
    )
    print(
        f"   {stats.events} events, {stats.posts} posts, {stats.matched} kept, "
        f"{stats.malformed} malformed, {stats.batches} batch(es), on core {cores[0]}"
        f"{'' if len(cores) > 1 else ' (the server shares it: one core only)'}"
    )
    ok_rate = wall_rate >= TARGET
    print(
        f"{'PASS' if ok_rate else 'FAIL'} keeps up with >= {TARGET:,.0f} events/s on one core "
        f"({wall_rate:,.0f}, {wall_rate / TARGET:.1f}x the target)"
    )
    exact = stored[0] == stored[1] == matching
    print(
        f"{'PASS' if exact else 'FAIL'} stored posts: {stored[0]} ({stored[1]} distinct), "
        f"{matching} expected"
    )
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
