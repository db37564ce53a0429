"""Benchmark: enrichment at scale, streaming, on both cores, killed half-way and restarted.

    python bench/scale_enrich.py [--posts 200000] [--baseline-posts 20000] [--batch 4000]
                                 [--workers 2] [--dir DIR]

The default of 200,000 posts fits a 10-minute CI slot on 2 cores; `--posts 1000000` runs the
issue's full size (about 5x the time: enrichment costs ~0.7 ms of CPU per post).

1. `bench/synth.py` writes N synthetic German/English posts (no annotations) to a fresh
   warehouse, and a second one with `--baseline-posts` posts.
2. Baseline: the second warehouse enriched by one process (`--workers 1`), same code path.
3. Scale: the N posts enriched by `--workers` warm worker processes in a child process that
   is SIGKILLed once half the posts are stored, then restarted until done.
4. Checks: every post annotated exactly once, one topic-run row per post, no duplicate
   tags, and the rows stored before the kill were not redone (same load, same
   `annotated_at`); the restarted run stored exactly the posts that were left.

The enrichment loop is the `enrich` flow's, without Prefect: read a batch of stale posts
(`warehouse.annotations.next_stale`, one rowid window), hand it to a warm worker
(`nlp.workers.EnricherPool`), store finished batches (`store_enriched`, one transaction
with the load's progress), each read/store in a short write session (the writer lock is
held per batch, never during NLP). Every stored batch prints a line with the RSS of the
parent and of each worker, so the run shows that memory does not grow with N.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/ (the script's folder), whose nlp.py would shadow

CONFIG = ROOT / "examples" / "listening.yaml"  # its taxonomy is the one synth.py writes about


def rss_kib(pid: int, field_name: str = "VmRSS") -> int:
    """A process's resident set (or peak, with "VmHWM") in KiB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


# --- child: the enrichment run ---------------------------------------------------------


def run_enrichment(path: Path, workers: int, batch_size: int, *, quiet: bool = False) -> None:
    """Enrich every stale post of `path`; print one flushed line per stored batch (`quiet`:
    none)."""
    from earshot.nlp.records import EnrichResult
    from earshot.nlp.workers import EnricherPool, batches_per_worker, local_enricher
    from earshot.pipelines import tagging
    from earshot.pipelines.config import load_config
    from earshot.warehouse.annotations import StaleCursor, next_stale, store_enriched
    from earshot.warehouse.connection import writing
    from earshot.warehouse.loads import finish_load, start_load

    enricher = tagging.build_enricher(load_config(CONFIG))
    settings = enricher.settings
    local_enricher(settings, built=enricher)  # workers=1 reuses it instead of building another
    cursor = StaleCursor(enricher.analysis_version, enricher.topics_version)
    with writing(path) as con:
        load_id = start_load(con, "enrich")
        tagging.record_tagging(con, enricher)  # as the flow does before it stores tags
        batch, cursor = next_stale(con, cursor, batch_size)
    start = time.perf_counter()
    say = _silent if quiet else print
    say(f"start {load_id} {cursor.pipeline_version}/{cursor.topics_version}", flush=True)
    done = 0
    in_flight: deque[Future[EnrichResult]] = deque()
    recycle = batches_per_worker(batch_size)  # as the flow does: a fresh worker every 100k posts
    with EnricherPool(settings, workers, recycle_after=recycle) as pool:
        while batch or in_flight:
            if batch:
                in_flight.append(pool.submit(batch))
            result = None
            if in_flight and (not batch or len(in_flight) > workers):
                result = in_flight.popleft().result()  # waited for without holding the lock
            with writing(path) as con:
                if result is not None:
                    done += store_enriched(
                        con,
                        result.annotations,
                        result.topic_tags,
                        pipeline_version=cursor.pipeline_version,
                        topics_version=cursor.topics_version,
                        load_id=load_id,
                    )
                batch, cursor = next_stale(con, cursor, batch_size) if batch else ([], cursor)
            if result is not None:
                pids = pool.worker_pids()
                worker_rss = ",".join(str(rss_kib(p)) for p in pids) or "-"
                say(
                    f"batch {done} {time.perf_counter() - start:.3f} "
                    f"{rss_kib(os.getpid())} {worker_rss}",
                    flush=True,
                )
        peaks = ",".join(str(rss_kib(p, "VmHWM")) for p in pool.worker_pids()) or "-"
    with writing(path) as con:
        finish_load(con, load_id, status="done", rows_added=done)
    say(f"done {done} {time.perf_counter() - start:.3f} {rss_kib(os.getpid(), 'VmHWM')} {peaks}")


def _silent(*_args: object, **_kwargs: object) -> None:
    pass


# --- parent: set up, measure, kill, check ------------------------------------------------


@dataclass
class Progress:
    load_id: str = ""
    versions: str = ""
    lines: list[tuple[int, float, int, list[int]]] = field(default_factory=list)
    finished: tuple[int, float, int, list[int]] | None = None
    wall: float = 0.0
    cpu: float = 0.0  # CPU seconds of the child and its workers (complete runs only)
    killed_at: int | None = None

    def rate(self) -> float:
        """Steady posts/s: from the first stored batch to the last (start-up excluded)."""
        if len(self.lines) < 2:
            return 0.0
        (n0, t0, *_), (n1, t1, *_) = self.lines[0], self.lines[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0


def _ints(text: str) -> list[int]:
    return [] if text == "-" else [int(x) for x in text.split(",")]


def enrich_child(path: Path, workers: int, batch: int, *, kill_at: int | None = None) -> Progress:
    """Run the enrichment in a child process (its own session); SIGKILL it at `kill_at`."""
    command = [
        sys.executable,
        __file__,
        "--run",
        str(path),
        "--workers",
        str(workers),
        "--batch",
        str(batch),
    ]
    progress = Progress()
    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert child.stdout is not None
    for line in child.stdout:
        kind, *rest = line.split()
        if kind == "start":
            progress.load_id, progress.versions = rest[0], rest[1]
        elif kind == "batch":
            progress.lines.append((int(rest[0]), float(rest[1]), int(rest[2]), _ints(rest[3])))
            if kill_at is not None and int(rest[0]) >= kill_at:
                os.killpg(child.pid, signal.SIGKILL)  # the child and its workers, mid-run
                progress.killed_at = int(rest[0])
                break
        elif kind == "done":
            progress.finished = (int(rest[0]), float(rest[1]), int(rest[2]), _ints(rest[3]))
    code = child.wait()
    progress.wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # workers count once reaped
    progress.cpu = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    if progress.killed_at is None and code != 0:
        raise SystemExit(f"enrichment of {path} failed with exit code {code}")
    return progress


def query(path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def build(path: Path, posts: int, seed: int) -> float:
    sys.path.append(str(ROOT / "bench"))
    from synth import Synth, write_warehouse

    start = time.perf_counter()
    write_warehouse(path, Synth(posts, seed=seed), annotations=False)
    return time.perf_counter() - start


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def memory_line(name: str, progress: Progress, share: tuple[float, float]) -> tuple[int, int]:
    """Max parent and worker RSS over the batches in a share of the run's posts."""
    total = progress.lines[-1][0] if progress.lines else 0
    rows = [r for r in progress.lines if share[0] * total <= r[0] <= share[1] * total]
    parent = max((r[2] for r in rows), default=0)
    worker = max((max(r[3], default=0) for r in rows), default=0)
    print(f"  {name:<36} parent {mib(parent):>9}   largest worker {mib(worker):>9}")
    return parent, worker


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--baseline-posts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=4000, help="posts per warehouse batch")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", type=Path, help="where to write the warehouses (default: temp)")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args(argv)
    if args.run:
        run_enrichment(args.run, args.workers, args.batch)
        return

    folder = args.dir or Path(tempfile.mkdtemp(prefix="earshot-scale-enrich-"))
    folder.mkdir(parents=True, exist_ok=True)
    scale, base = folder / "scale.duckdb", folder / "baseline.duckdb"
    for path in (scale, base):
        for stale in (path, path.with_name(path.name + ".wal")):
            stale.unlink(missing_ok=True)
    n = args.posts
    print(f"writing {n:,} + {args.baseline_posts:,} synthetic posts to {folder} ...", flush=True)
    print(f"  synth: {n:,} posts in {build(scale, n, seed=7):.1f} s", flush=True)
    build(base, args.baseline_posts, seed=11)

    print(f"baseline: {args.baseline_posts:,} posts, 1 process ...", flush=True)
    single = enrich_child(base, 1, args.batch)
    print(f"scale: {n:,} posts, {args.workers} worker processes, SIGKILL at half ...", flush=True)
    first = enrich_child(scale, args.workers, args.batch, kill_at=n // 2)
    if first.killed_at is None:
        raise SystemExit("the run finished before it could be killed; use more --posts")
    before = query(
        scale,
        "SELECT count(*), sum(epoch_us(annotated_at)) FROM _annotations WHERE load_id = ?",
        [first.load_id],
    )[0]
    stored_before = query(scale, "SELECT count(*) FROM _annotations")[0][0]
    second = enrich_child(scale, args.workers, args.batch)

    total, distinct, runs, dup_tags, posts = query(
        scale,
        """
        SELECT (SELECT count(*) FROM _annotations),
               (SELECT count(DISTINCT post_id) FROM _annotations),
               (SELECT count(*) FROM _topic_runs),
               (SELECT count(*) - count(DISTINCT (post_id, topic_id)) FROM _post_topics),
               (SELECT count(*) FROM _posts)
        """,
    )[0]
    after = query(
        scale,
        "SELECT count(*), sum(epoch_us(annotated_at)) FROM _annotations WHERE load_id = ?",
        [first.load_id],
    )[0]
    tagged = query(scale, "SELECT count(DISTINCT post_id) FROM _post_topics")[0][0]
    restarted = second.finished[0] if second.finished else -1

    one, two = single.rate(), (first.rate() + second.rate()) / 2
    print()
    print(f"enrichment, {n:,} posts, batches of {args.batch:,}, same run:")
    print(f"  1 process (baseline, {args.baseline_posts:,} posts) {one:>10,.0f} posts/s")
    print(
        f"  {args.workers} workers, until the kill              {first.rate():>10,.0f} posts/s "
        f"({first.killed_at:,} posts stored, {first.wall:.1f} s)"
    )
    print(
        f"  {args.workers} workers, restarted to the end        {second.rate():>10,.0f} posts/s "
        f"({restarted:,} posts stored, {second.wall:.1f} s)"
    )
    print(f"  ratio {args.workers} workers / 1 process             {two / one:>10.2f}x")
    wall = first.wall + second.wall
    if second.finished and single.cpu and second.cpu:
        per_one = single.cpu / args.baseline_posts * 1000
        per_two = second.cpu / second.finished[0] * 1000
        print(
            f"  CPU per 1000 posts: 1 process {per_one:.2f} s, {args.workers} workers "
            f"{per_two:.2f} s (parent and workers) -> on {args.workers} idle cores about "
            f"{args.workers * per_one / per_two:.2f}x the 1-process rate"
        )
    print(f"  wall time for all {n:,} posts (both runs, start-ups included): {wall:.1f} s")
    print("peak memory (RSS) by share of the posts stored (bounded: the same early and late):")
    whole = Progress(lines=first.lines + [(first.killed_at + r[0], *r[1:]) for r in second.lines])
    step = max(len(whole.lines) // 10, 1)
    for done, _, parent, workers in whole.lines[::step]:
        print(
            f"    after {done:>10,} posts: parent {mib(parent):>9}, "
            f"workers {', '.join(mib(w) for w in workers)}"
        )
    early = memory_line("first 20% of the posts", whole, (0.0, 0.2))
    late = memory_line("last 20% of the posts", whole, (0.8, 1.0))
    if second.finished:
        _, _, parent_peak, worker_peaks = second.finished
        print(
            f"  restarted run, whole-run peak (VmHWM): parent {mib(parent_peak)}, "
            f"workers {', '.join(mib(w) for w in worker_peaks)}"
        )
    print("kill and restart:")
    print(f"  killed after {first.killed_at:,} posts stored ({stored_before:,} in the warehouse)")
    print(f"  rows of the killed load before restart {before[0]:,}, after {after[0]:,}")
    print(f"  restarted run stored {restarted:,} = {posts:,} - {stored_before:,} left")
    print(f"  annotations {total:,} (distinct {distinct:,}), topic runs {runs:,}, posts {posts:,}")
    print(f"  posts with a topic tag {tagged:,}, duplicate tags {dup_tags}")
    print(f"  versions (analysis/topics): {first.versions} then {second.versions}")
    load = os.getloadavg()[0]
    print(f"load average at the end: {load:.1f} on {os.cpu_count()} cores", end="")
    print(" (other work shared the cores: rates are low)" if load > 3 else "")
    problems = [
        message
        for ok, message in [
            (first.versions == second.versions, "nlp/ changed between the runs (re-tags all)"),
            (total == distinct == runs == posts == n, "not every post annotated exactly once"),
            (dup_tags == 0, "duplicate topic tags"),
            (before == after, "rows stored before the kill were rewritten"),
            (restarted == posts - stored_before, "the restart redid or skipped posts"),
            (late[0] <= early[0] * 1.5 + 64 * 1024, "parent memory grew with the posts"),
            (late[1] <= early[1] * 1.5 + 64 * 1024, "worker memory grew with the posts"),
        ]
        if not ok
    ]
    for message in problems:
        print(f"FAILED: {message}")
    if problems:
        raise SystemExit(1)
    print("OK: finished after the kill without redoing finished batches; memory bounded")


if __name__ == "__main__":
    main()
