"""Crash safety: SIGKILL `collect` and `enrich` at random moments; nothing is lost or doubled.

    python bench/crash.py [--epochs 3] [--kills-per-job 4] [--items 50] [--seed 7]

A local feed server serves 8 feeds that grow with each epoch (`--items` each at the end;
some with ETag, some with Last-Modified, some with neither) and two sources that always fail
(HTTP 500, connection refused). For each epoch:
  1. reference: `collect` then `enrich` run to the end, in their own folder;
  2. crash: `collect` then `enrich` are started and SIGKILLed `--kills-per-job` times each
     (half after a random delay, half just after a random stored source or batch), restarted
     each time, then run once more without interruption.
After every kill a copy of the warehouse (with its WAL) is checked: each source's posts are
exactly one whole answer of its feed, its saved state (body hash, ETag, Last-Modified) is that
answer's, and every annotated post carries the reference run's topic tags. At the end both
warehouses must hold the same post ids, annotations and tags, and equal source state, and
their digest facts (after the refresh the next write cycle does) must be equal, less the
rowid hints some facts keep (where a post's row lies depends on the order of the inserts).
The jobs are `bench/crash_jobs.py` (the flows' plain functions, without Prefect).
Prints kills survived and the comparison; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from earshot.warehouse.facts import FACT_TABLES, refresh_facts  # noqa: E402
from tests.listeners.feedserver import FeedServer, Reply, closed_port_url  # noqa: E402

FEEDS = 8
WORDS = [
    "Kundenservice", "newsletter", "Vertrieb", "customer service", "lead generation",
    "marketing", "brand", "campaign", "launch", "Datenschutz", "audience", "content",
    "strategy", "growth", "Öffnungsrate", "cold outreach", "Zielgruppe", "terrible", "great",
]  # fmt: skip
# Saved state keys that count runs rather than describe the stored answer.
VOLATILE_STATE = {"quiet_runs"}


def feed_body(feed: int, size: int) -> bytes:
    rng = random.Random(feed)
    items = []
    for i in range(size):
        words = " ".join(rng.choice(WORDS) for _ in range(30))
        items.append(
            f"<item><guid>feed{feed}-{i}</guid><title>Post {i} of feed {feed}</title>"
            f"<link>https://feed{feed}.example/{i}</link>"
            f"<pubDate>Mon, {1 + i % 28:02d} Nov 2026 10:00:00 +0000</pubDate>"
            f"<description><![CDATA[<p>{words}?</p>]]></description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {feed}</title><link>https://feed{feed}.example/</link>"
        f"<language>{'de' if feed % 2 else 'en'}</language>{''.join(items)}</channel></rss>"
    ).encode()


def feed_reply(feed: int, size: int) -> Reply:
    """The feed's answer while it holds `size` items."""
    body = feed_body(feed, size)
    style = feed % 3  # 0: ETag, 1: Last-Modified, 2: neither (body hash only)
    return Reply(
        body,
        content_type="application/rss+xml",
        etag=f'"f{feed}-n{size}"' if style == 0 else None,
        last_modified=f"Mon, 02 Nov 2026 {size // 60:02d}:{size % 60:02d}:00 GMT"
        if style == 1
        else None,
    )


def expected_state(feed: int, size: int) -> dict[str, Any]:
    reply = feed_reply(feed, size)
    return {
        "etag": reply.etag,
        "last_modified": reply.last_modified,
        "body_sha256": hashlib.sha256(reply.body).hexdigest(),
    }


def write_config(folder: Path, server: FeedServer, dead_url: str) -> str:
    sources: list[dict[str, Any]] = [
        {"id": f"feed{k}", "kind": "feed", "url": server.url(f"/feed{k}.xml")} for k in range(FEEDS)
    ]
    sources.append({"id": "broken", "kind": "feed", "url": server.url("/broken.xml")})
    sources.append({"id": "dead", "kind": "feed", "url": dead_url})
    config = {
        "organisation": "Beispiel GmbH",
        "timezone": "Europe/Berlin",
        "http": {"timeout_seconds": 5, "retries": 0, "backoff_seconds": 0},
        "nlp": {"batch_size": 20},
        "sources": sources,
        "buckets": [
            {"id": "expert", "label": "Fachwissen", "target_share": 0.5},
            {"id": "practice", "label": "Praxis", "target_share": 0.5},
        ],
        "topics": [
            {
                "id": "customer-service",
                "label": "Kundenservice",
                "bucket": "practice",
                "terms": {"de": ["Kundenservice"], "en": ["customer service"]},
            },
            {
                "id": "newsletter",
                "label": "Newsletter",
                "bucket": "practice",
                "terms": {"de": ["Newsletter", "Öffnungsrate"], "en": ["newsletter"]},
            },
            {
                "id": "sales",
                "label": "Vertrieb",
                "bucket": "expert",
                "terms": {"de": ["Vertrieb"], "en": ["cold outreach", "lead generation"]},
            },
        ],
        "digest": {"language": "de", "outbox": "outbox"},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "listening.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return str(path)


def serve(server: FeedServer, size: int) -> None:
    for k in range(FEEDS):
        server.route(f"/feed{k}.xml", feed_reply(k, size))
    server.route("/broken.xml", Reply(b"oops", content_type="text/plain", status=500))


# --- running and killing the jobs -------------------------------------------------------


def start(job: str, config: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "crash_jobs.py"), job, config],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def run_to_end(job: str, config: str) -> tuple[float, int]:
    """Run a job uninterrupted; return its duration and how many progress lines it printed."""
    began = time.monotonic()
    proc = start(job, config)
    out, err = proc.communicate(timeout=120)
    if proc.returncode != 0 or not out.endswith("done\n"):
        raise SystemExit(f"{job} failed (exit {proc.returncode}):\n{err[-3000:]}")
    return time.monotonic() - began, out.count("\n") - 1


def wait_for_lines(proc: subprocess.Popen[str], count: int, timeout: float) -> int:
    """Read progress lines until `count` were seen, the job ended or `timeout` passed."""
    assert proc.stdout is not None
    seen = 0
    deadline = time.monotonic() + timeout
    while seen < count and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.05)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            seen += 1
    return seen


@dataclass
class Kills:
    survived: int = 0
    mid_write: int = 0  # killed after it had stored something and before it finished
    finished_first: int = 0  # the job ended before its kill came: retried
    problems: list[str] = field(default_factory=list)


def kill_once(
    job: str, config: str, duration: float, lines: int, rng: random.Random, kills: Kills
) -> bool:
    """Start `job` and SIGKILL it at a random moment; return whether the kill happened."""
    proc = start(job, config)
    seen = 0
    if lines > 1 and rng.random() < 0.5:
        # Just after a random stored source/batch: the next write is under way.
        seen = wait_for_lines(proc, rng.randint(1, lines - 1), timeout=duration * 3)
        time.sleep(rng.uniform(0, 0.03))
    else:
        time.sleep(rng.uniform(0.2, duration))
    if proc.poll() is not None:
        proc.communicate()
        kills.finished_first += 1
        return False
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    seen += out.count("\n")
    kills.survived += 1
    if seen and "done" not in out:
        kills.mid_write += 1
    return True


# --- checking a warehouse -----------------------------------------------------------------


@dataclass
class Snapshot:
    posts: dict[str, list[str]]  # source_id -> sorted external ids
    post_ids: set[str]
    duplicate_posts: int
    states: dict[str, dict[str, Any]]
    annotations: dict[str, tuple[str, str]]  # post_id -> (lang, sentiment_label)
    tags: dict[str, list[str]]  # post_id -> sorted topic ids
    duplicate_tags: int
    orphan_tags: int  # tags of a post without an annotation: a half-written batch
    running_loads: int
    facts: dict[str, list[tuple[Any, ...]]]  # the digest facts after a refresh


def snapshot(db: Path) -> Snapshot:
    """Read the warehouse as a restarted job would find it (a copy, so its WAL is replayed)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / db.name
        shutil.copy(db, copy)
        wal = db.with_name(db.name + ".wal")
        if wal.exists():
            shutil.copy(wal, copy.with_name(copy.name + ".wal"))
        con = duckdb.connect(str(copy))
        try:
            return _read(con)
        finally:
            con.close()


def _read(con: duckdb.DuckDBPyConnection) -> Snapshot:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql).fetchall()

    posts: dict[str, list[str]] = defaultdict(list)
    for source_id, external_id in rows("SELECT source_id, external_id FROM _posts"):
        # A relative permalink guid is resolved against the feed URL, as feedparser does.
        posts[source_id].append(external_id.rsplit("/", 1)[-1])
    tags: dict[str, list[str]] = defaultdict(list)
    for post_id, topic_id in rows("SELECT post_id, topic_id FROM _post_topics"):
        tags[post_id].append(topic_id)
    return Snapshot(
        posts={k: sorted(v) for k, v in posts.items()},
        post_ids={r[0] for r in rows("SELECT post_id FROM _posts")},
        duplicate_posts=rows("SELECT count(*) - count(DISTINCT post_id) FROM _posts")[0][0],
        states={
            sid: {k: v for k, v in json.loads(state).items() if k not in VOLATILE_STATE}
            for sid, state in rows("SELECT source_id, state FROM _sources")
        },
        annotations={
            pid: (lang, label)
            for pid, lang, label in rows("SELECT post_id, lang, sentiment_label FROM _annotations")
        },
        tags={k: sorted(v) for k, v in tags.items()},
        duplicate_tags=rows(
            "SELECT count(*) - count(DISTINCT (post_id, topic_id)) FROM _post_topics"
        )[0][0],
        orphan_tags=rows(
            "SELECT count(*) FROM _post_topics t ANTI JOIN _annotations a USING (post_id)"
        )[0][0],
        running_loads=rows("SELECT count(*) FROM _loads WHERE status = 'aborted'")[0][0],
        facts=_facts(con),
    )


def _facts(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """The digest facts as the next write cycle leaves them: the weeks a killed run marked
    dirty are recomputed first (on the snapshot's copy), so a kill between a write and the
    refresh must still end in the facts of an uninterrupted run."""
    refresh_facts(con)
    return {
        table: [
            tuple(round(v, 9) if isinstance(v, float) else v for v in row)
            for row in con.execute(
                f"SELECT {_compared(con, table)} FROM {table} ORDER BY ALL"
            ).fetchall()
        ]
        for table in FACT_TABLES
    }


# A post's rowid in `_posts`, kept beside some facts as a hint for reading the post back
# (checked on use): where a post's row lies depends on the order the jobs inserted posts in,
# which the kills change, so it is not part of what must equal an uninterrupted run.
PHYSICAL_COLUMNS = frozenset({"post_row"})


def _compared(con: duckdb.DuckDBPyConnection, table: str) -> str:
    columns = [r[1] for r in con.execute(f"PRAGMA table_info('{table}')").fetchall()]
    return ", ".join(c for c in columns if c not in PHYSICAL_COLUMNS)


def consistency(
    snap: Snapshot, sizes: list[int], reference_tags: dict[str, list[str]]
) -> list[str]:
    """What a crash may never leave behind, whatever moment it hit."""
    problems: list[str] = []
    if snap.duplicate_posts or snap.duplicate_tags:
        problems.append(f"duplicates: {snap.duplicate_posts} posts, {snap.duplicate_tags} tags")
    if snap.orphan_tags:
        problems.append(f"{snap.orphan_tags} topic tags without their annotation")
    for k in range(FEEDS):
        sid = f"feed{k}"
        stored = snap.posts.get(sid, [])
        if len(stored) not in [0, *sizes] or stored != sorted(
            f"feed{k}-{i}" for i in range(len(stored))
        ):
            problems.append(f"{sid}: {len(stored)} posts, not one whole answer of the feed")
            continue
        saved = snap.states.get(sid, {})
        state = {key: saved.get(key) for key in ("etag", "last_modified", "body_sha256")}
        if not stored:
            if state.get("body_sha256"):
                problems.append(f"{sid}: a body hash saved but none of its posts")
        elif state != expected_state(k, len(stored)):
            problems.append(f"{sid}: saved state {state} is not that of its {len(stored)} posts")
    for sid in ("broken", "dead"):
        if snap.posts.get(sid) or snap.states.get(sid):
            problems.append(f"{sid}: a failing source has posts or state")
    for pid in snap.annotations:
        if pid not in snap.post_ids:
            problems.append(f"annotation of an unknown post {pid}")
        elif snap.tags.get(pid, []) != reference_tags.get(pid, []):
            problems.append(f"{pid}: tags {snap.tags.get(pid)} != {reference_tags.get(pid)}")
    return problems


def compare(crash: Snapshot, reference: Snapshot) -> list[str]:
    differences: list[str] = []
    checks = [
        ("post ids", crash.post_ids, reference.post_ids),
        ("annotated post ids", set(crash.annotations), set(reference.annotations)),
        ("annotations (lang, sentiment)", crash.annotations, reference.annotations),
        ("topic tags", crash.tags, reference.tags),
        ("source state", crash.states, reference.states),
        ("digest facts", crash.facts, reference.facts),
    ]
    for name, got, want in checks:
        if got != want:
            differences.append(f"{name} differ")
    for table in FACT_TABLES:
        got, want = crash.facts.get(table, []), reference.facts.get(table, [])
        if got != want:
            extra = [r for r in got if r not in want]
            missing = [r for r in want if r not in got]
            differences.append(
                f"  {table}: {len(got)} rows against {len(want)}; "
                f"only after the kills {extra[:3]}; only in the reference {missing[:3]}"
            )
    return differences


# --- the run ---------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--kills-per-job", type=int, default=4)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    began = time.monotonic()
    kills = Kills()
    sizes = [args.items * e // args.epochs for e in range(1, args.epochs + 1)]
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server:
        dead = closed_port_url()
        ref_config = write_config(Path(tmp) / "reference", server, dead)
        crash_config = write_config(Path(tmp) / "crash", server, dead)
        ref_db = Path(tmp) / "reference" / "data" / "earshot.duckdb"
        crash_db = Path(tmp) / "crash" / "data" / "earshot.duckdb"
        for epoch, size in enumerate(sizes, 1):
            serve(server, size)
            timing = {job: run_to_end(job, ref_config) for job in ("collect", "enrich")}
            reference_tags = snapshot(ref_db).tags
            for job in ("collect", "enrich"):
                duration, lines = timing[job]
                done = 0
                while done < args.kills_per_job:
                    if kill_once(job, crash_config, duration, lines, rng, kills):
                        done += 1
                        now = snapshot(crash_db)
                        for problem in consistency(now, sizes[:epoch], reference_tags):
                            kills.problems.append(f"epoch {epoch}, after killing {job}: {problem}")
                run_to_end(job, crash_config)
            print(
                f"epoch {epoch}: {size} items per feed; reference collect "
                f"{timing['collect'][0]:.1f} s, enrich {timing['enrich'][0]:.1f} s; "
                f"kills so far {kills.survived}",
                flush=True,
            )
        reference, crash = snapshot(ref_db), snapshot(crash_db)
    final = consistency(crash, sizes, reference.tags)
    differences = compare(crash, reference) + final + kills.problems
    print(
        f"kills survived: {kills.survived} ({kills.mid_write} after a write and before the end; "
        f"{kills.finished_first} attempts found the job already finished)"
    )
    print(
        f"crash run: {len(crash.post_ids)} posts, {len(crash.annotations)} annotations, "
        f"{sum(map(len, crash.tags.values()))} topic tags, {crash.running_loads} loads "
        f"of killed runs marked 'aborted'"
    )
    print(
        f"reference: {len(reference.post_ids)} posts, {len(reference.annotations)} annotations, "
        f"{sum(map(len, reference.tags.values()))} topic tags, "
        f"{sum(map(len, reference.facts.values()))} digest fact rows"
    )
    print(f"run time: {time.monotonic() - began:.0f} s")
    if differences:
        print(f"DIFFERENCES ({len(differences)}):")
        for d in differences[:50]:
            print(f"  - {d}")
        return 1
    print(
        "same post ids, annotations, topic tags, source state and digest facts; "
        "no duplicates, no half-write"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
