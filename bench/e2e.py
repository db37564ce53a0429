"""Benchmark: end to end, from feeds on a local server to a digest sent by e-mail.

    python bench/e2e.py [--feeds 2000] [--items 50] [--seed 7]

The real pipeline on a fresh warehouse in a temporary folder: a `listening.yaml` with the
example's topics and buckets and `--feeds` feed sources on a local HTTP server (another
process; `--items` German/English posts each, texts from `bench/synth.py`, published in the
last complete ISO week), SMTP on an aiosmtpd server on loopback, and a temporary Prefect
server (its own PREFECT_HOME). The flows `pipelines.flows.collect`, `enrich` and `digest`
run one after the other, each in its own process (so its peak memory is its own), and
`collect` and `enrich` run a second time with nothing new: that steady-state pass is the
baseline the first pass is compared with.

Prints per stage: seconds, posts/s, peak RSS (the flow's process, and its NLP worker
processes); then checks that the warehouse holds every post with an annotation and that
the digest mail arrived (exit 1 if not).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/ (the script's folder), whose nlp.py would shadow

TIMEZONE = "Europe/Berlin"  # the example's
RECIPIENT = "kommunikation@nordlicht-kommunikation.de"
SENDER = "earshot@bench.example"


# --- the feed server (its own process) ------------------------------------------------------


def make_feeds(feeds: int, items: int, week: str, seed: int) -> dict[str, bytes]:
    """`feeds` RSS 2.0 bodies of `items` posts each: synthetic texts, all in `week`."""
    import pyarrow.compute as pc

    from bench.synth import END, Synth
    from earshot.warehouse.weeks import week_bounds

    start, _ = week_bounds(week, TIMEZONE)
    week_us = 7 * 86_400 * 1_000_000
    start_us = int(start.timestamp() * 1_000_000)
    end_us = int(END.timestamp() * 1_000_000)  # Synth's weeks end on a Monday 00:00 UTC
    synth = Synth(feeds * items, seed=seed)
    titles: list[str | None] = []
    texts: list[str] = []
    authors: list[str | None] = []
    published: list[int] = []
    for batch in synth.batches(200_000):
        posts = batch.posts
        titles += posts.column("title").to_pylist()
        texts += posts.column("text").to_pylist()
        authors += posts.column("author").to_pylist()
        # keep Synth's weekday and daytime rhythm, moved into the digest's week
        stamps = pc.cast(posts.column("published_at"), "int64").to_numpy()
        published += ((stamps - end_us) % week_us + start_us).tolist()
    bodies: dict[str, bytes] = {}
    for n in range(feeds):
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
            f"<title>Blog {n}</title><link>https://blog{n}.example.org/</link>\n"
        ]
        for i in range(items):
            k = n * items + i
            when = format_datetime(datetime.fromtimestamp(published[k] / 1e6, UTC))
            title = f"<title>{escape(titles[k] or '')}</title>" if titles[k] else ""
            author = f"<dc:creator>{escape(authors[k] or '')}</dc:creator>" if authors[k] else ""
            parts.append(
                f"<item>{title}<link>https://blog{n}.example.org/posts/{i}</link>"
                f'<guid isPermaLink="false">e2e-{n}-{i}</guid>{author}<pubDate>{when}</pubDate>'
                f"<description><![CDATA[<p>{texts[k]}</p>]]></description></item>\n"
            )
        parts.append("</channel>\n</rss>\n")
        bodies[f"/feed/{n}.xml"] = "".join(parts).encode()
    return bodies


def _serve(feeds: int, items: int, week: str, seed: int, out: Any, stop: Any) -> None:
    import asyncio

    from bench.collect import _FeedProtocol

    started = time.perf_counter()
    bodies = make_feeds(feeds, items, week, seed)
    catalogue = {path: (body, f'"v{n}"'.encode()) for n, (path, body) in enumerate(bodies.items())}
    size = sum(len(body) for body in bodies.values())

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _FeedProtocol(catalogue), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        out.put({"base": f"http://127.0.0.1:{port}", "mb": size / 1e6,
                 "seconds": time.perf_counter() - started})  # fmt: skip
        await loop.run_in_executor(None, stop.wait)
        server.close()

    asyncio.run(main())


# --- the flows (each in its own process) ----------------------------------------------------


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _run_flow(name: str, config: str, week: str, out: Any) -> None:
    """Run one flow against the Prefect server in PREFECT_API_URL; report time and memory."""
    import dataclasses

    began = time.perf_counter()
    from earshot.pipelines import flows

    imported = time.perf_counter() - began
    started = time.perf_counter()
    summary: Any
    if name == "collect":
        summary = flows.collect(config)
    elif name == "collect-again":
        summary = flows.collect(config, force=True)  # every feed again: conditional GETs
    elif name in ("enrich", "enrich-again"):
        summary = flows.enrich(config)
    elif name == "digest":
        summary = flows.digest(config, week)
    else:
        raise ValueError(f"unknown stage {name!r}")
    out.put({
        "seconds": time.perf_counter() - started, "import_seconds": imported,
        "summary": dataclasses.asdict(summary), "peak_mb": _peak_mb(resource.RUSAGE_SELF),
        "workers_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN),
    })  # fmt: skip


def _in_process(name: str, config: Path, week: str) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    process = ctx.Process(target=_run_flow, args=(name, str(config), week, out), daemon=False)
    process.start()
    while process.is_alive() or not out.empty():
        try:
            figures: dict[str, Any] = out.get(timeout=1)
        except Exception:  # queue.Empty: still running, or died without a word
            continue
        process.join()
        return figures
    raise SystemExit(f"stage {name}: its process died (exit code {process.exitcode})")


# --- the run --------------------------------------------------------------------------------


def write_config(folder: Path, base: str, feeds: int, smtp_port: int) -> Path:
    """The example's organisation, topics, buckets and NLP settings; local feeds and SMTP."""
    import yaml

    example = yaml.safe_load((ROOT / "examples" / "listening.yaml").read_text(encoding="utf-8"))
    config = {
        "organisation": example["organisation"],
        "timezone": TIMEZONE,
        "warehouse": {"path": "data/earshot.duckdb"},
        # every feed is on 127.0.0.1 here: no pause between requests to one host
        "http": {"retries": 0, "min_host_interval_seconds": 0},
        "sources": [
            {"id": f"feed-{n:05d}", "kind": "feed", "url": f"{base}/feed/{n}.xml"}
            for n in range(feeds)
        ],
        "buckets": example["buckets"],
        "topics": example["topics"],
        "nlp": example["nlp"],
        "digest": {
            "language": example["digest"]["language"],
            "outbox": "outbox",
            "top_posts": example["digest"]["top_posts"],
            "recipients": [RECIPIENT],
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "sender": SENDER},
        },
    }
    path = folder / "listening.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


class _Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(bytes(envelope.original_content or b""))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _line(name: str, seconds: float, posts: int | None, peak: str, note: str = "") -> None:
    rate = f"{posts / seconds:>9,.0f} posts/s" if posts else " " * 16
    print(f"  {name:<34} {seconds:8.1f} s {rate}  {peak:<28} {note}".rstrip(), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=50, help="posts per feed")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    expected = args.feeds * args.items

    tmp = Path(tempfile.mkdtemp(prefix="earshot-e2e-"))
    # Before Prefect is imported: its database and settings stay in the temporary folder.
    os.environ["PREFECT_HOME"] = str(tmp / "prefect")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    from aiosmtpd.controller import Controller

    from earshot.warehouse.weeks import last_complete_week

    week = last_complete_week(datetime.now(UTC), TIMEZONE)
    load = os.getloadavg()
    print(
        f"{args.feeds} feeds x {args.items} posts = {expected:,} posts, published in {week} "
        f"({TIMEZONE}); {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}; in {tmp}",
        flush=True,
    )
    ctx = mp.get_context("spawn")
    feeds_out, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(
        target=_serve, args=(args.feeds, args.items, week, args.seed, feeds_out, stop), daemon=True
    )
    mailbox = _Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    prefect_server: Any = None
    stages: dict[str, dict[str, Any]] = {}
    try:
        server.start()
        smtp.start()
        started = time.perf_counter()
        from prefect.server.api.server import SubprocessASGIServer

        prefect_server = SubprocessASGIServer()
        prefect_server.start(timeout=180)
        os.environ["PREFECT_API_URL"] = prefect_server.api_url  # the flows' processes use it
        prefect_seconds = time.perf_counter() - started
        served = feeds_out.get(timeout=900)
        config = write_config(tmp, served["base"], args.feeds, smtp.port)
        print(
            f"feed server: {args.feeds} feeds ({served['mb']:.0f} MB) generated in "
            f"{served['seconds']:.1f} s (alongside the Prefect server's start)",
            flush=True,
        )
        print("stage                                seconds       posts/s  peak RSS", flush=True)
        _line("prefect temporary server start", prefect_seconds, None, "")
        for name in ("collect", "enrich", "digest", "collect-again", "enrich-again"):
            figures = _in_process(name, config, week)
            stages[name] = figures
            summary = figures["summary"]
            posts = {
                "collect": summary.get("posts_added"),
                "enrich": summary.get("annotated"),
                "digest": summary.get("audience_posts"),
            }.get(name)
            peak = f"{figures['peak_mb']:.0f} MB"
            if name.startswith("enrich"):
                peak += f" (workers {figures['workers_peak_mb']:.0f} MB)"
            notes = {
                "collect": f"{summary.get('ok')} ok, {summary.get('failed')} failed",
                "collect-again": f"{summary.get('not_modified')} not modified, "
                f"{summary.get('posts_added')} new",
                "enrich-again": f"{summary.get('annotated')} annotated",
                "digest": f"sent={summary.get('sent')}",
            }
            note = notes.get(name, "") + f"; imports {figures['import_seconds']:.1f} s"
            _line(name, figures["seconds"], posts, peak, note)
    finally:
        stop.set()
        server.join(timeout=30)
        smtp.stop()
        if prefect_server is not None:
            prefect_server.stop()
    pipeline = sum(stages[s]["seconds"] for s in ("collect", "enrich", "digest"))
    print(
        f"  {'pipeline (collect + enrich + digest)':<34} {pipeline:8.1f} s "
        f"{expected / pipeline:>9,.0f} posts/s"
    )
    for name in ("collect", "enrich", "digest"):
        print(f"  share of the pipeline: {name:<8} {stages[name]['seconds'] / pipeline:6.1%}")
    for first, again in (("collect", "collect-again"), ("enrich", "enrich-again")):
        ratio = stages[first]["seconds"] / stages[again]["seconds"]
        print(f"  ratio {first} first pass vs nothing new: {ratio:.1f}x")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    problems = _check(tmp, config, expected, mailbox)
    if problems:
        for problem in problems:
            print(f"FAILED: {problem}")
        print(f"(kept {tmp} for a look)")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _check(tmp: Path, config: Path, expected: int, mailbox: _Mailbox) -> list[str]:
    """The warehouse holds every post, annotated; exactly one digest mail arrived."""
    import duckdb

    from earshot.pipelines.config import load_config

    path = load_config(config).warehouse_path
    con = duckdb.connect(str(path), read_only=True)
    try:
        posts = con.execute("SELECT count(*) FROM _posts").fetchone()
        annotated = con.execute("SELECT count(DISTINCT post_id) FROM _annotations").fetchone()
        tagged = con.execute("SELECT count(DISTINCT post_id) FROM _post_topics").fetchone()
    finally:
        con.close()
    n_posts = posts[0] if posts else 0
    n_annotated = annotated[0] if annotated else 0
    print(
        f"warehouse {path}: {n_posts:,} posts, {n_annotated:,} annotated, "
        f"{tagged[0] if tagged else 0:,} with a topic"
    )
    problems = []
    if n_posts != expected:
        problems.append(f"{path}: {n_posts:,} posts in _posts, expected {expected:,}")
    if n_annotated != expected:
        problems.append(f"{path}: {n_annotated:,} posts annotated, expected {expected:,}")
    with mailbox.lock:
        messages = list(mailbox.messages)
    for raw in messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        print(
            f"mail: {message['Subject']!s} to {message['To']!s} ({len(raw) / 1e3:.0f} kB, "
            f"{len(list(message.walk()))} MIME parts)"
        )
    if len(messages) != 1:
        problems.append(f"SMTP server on loopback got {len(messages)} message(s), expected 1")
    return problems


if __name__ == "__main__":
    sys.exit(main())
