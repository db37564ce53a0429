"""Benchmark: every digest metric and analyst view over 10M posts, with a DuckDB memory limit.

    python bench/scale_queries.py [--posts 10000000] [--baseline-posts 1000000] [--dir DIR]

Builds (with bench/synth.py, straight into DuckDB) a warehouse of `--posts` synthetic posts
with their annotations and topic tags, and one of `--baseline-posts` for the baseline. Then,
in a fresh child process per warehouse (so its peak RSS is the queries' own), opened read-only
with `memory_limit` and `threads` set, it runs every metric `reports.digest.build_digest` reads
through `warehouse.digest_queries`, `warehouse.digest_posts` and `warehouse.questions` (the
first: checking that no week's digest facts await a refresh), each timed on its own, then
`build_digest` as a whole, then a query on each analyst view of warehouse/views/. Prints
per-query seconds, totals, seconds per million posts against the baseline, the child's peak
RSS, and PASS/FAIL:

* the digest metrics over `--posts` take <= --max-seconds (10) in total;
* peak RSS of the query process < --max-rss-gb (4).

The digest facts' cost moved to the write cycle, so it is printed too: in another child (a
writing connection, same limits), a full build of the facts and an incremental refresh of
one week (`warehouse.facts.refresh_facts`), with that child's peak RSS.

Exit status 1 when a target fails. `--dir` keeps the warehouses (and reuses them when their
post count matches), so a second run measures the queries only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WEEK = "2026-W47"  # the last complete week of bench/synth.py's 12 weeks
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # the Monday morning the digest is made


def metric_calls(week: str) -> list[tuple[str, Callable[[Any], object]]]:
    """What `build_digest` computes, one call per metric."""
    from earshot.warehouse import digest_posts as p
    from earshot.warehouse import digest_queries as q
    from earshot.warehouse import questions
    from earshot.warehouse.facts import require_fresh

    return [
        ("facts_fresh", lambda con: require_fresh(con)),
        ("coverage", lambda con: q.coverage(con, week)),
        ("topic_movements", lambda con: q.topic_movements(con, week)),
        ("top_posts", lambda con: p.top_posts(con, week, 10)),
        ("source_coverage", lambda con: q.source_coverage(con, week)),
        ("emerging_terms", lambda con: q.emerging_terms(con, week)),
        ("audience_questions", lambda con: questions.audience_questions(con, week, 3)),
        ("topic_shares", lambda con: q.topic_shares(con, week)),
        ("bucket_balance", lambda con: q.bucket_balance(con, week)),
        ("silent_sources", lambda con: q.silent_sources(con, week)),
    ]


# One analyst query per view of warehouse/views/ (the README's example among them).
VIEW_QUERIES = [
    (
        "posts",
        "SELECT post_id, title, lang, sentiment_label, likes FROM posts "
        "WHERE published_at >= TIMESTAMPTZ '2026-11-16' ORDER BY likes DESC NULLS LAST "
        "LIMIT 20",
    ),
    ("post_topics", "SELECT topic_id, count(*) FROM post_topics GROUP BY ALL"),
    ("topics, buckets", "SELECT * FROM topics JOIN buckets USING (bucket_id)"),
    ("post_weeks", "SELECT week, count(*) FROM post_weeks GROUP BY ALL"),
    (
        "topic_weekly",
        "SELECT week, topic_id, posts, round(avg_sentiment, 2) FROM topic_weekly "
        "ORDER BY week DESC, posts DESC LIMIT 20",
    ),
    ("source_health", "SELECT * FROM source_health"),
    ("weeks", "SELECT * FROM weeks"),
    ("_topic_week_stats", "SELECT * FROM _topic_week_stats WHERE week = $week"),
    ("topic_movement", "SELECT * FROM topic_movement WHERE week = $week"),
    (
        "term_movement",
        "SELECT * FROM term_movement WHERE week = $week ORDER BY volume_z DESC LIMIT 50",
    ),
    ("emerging_terms", "SELECT * FROM emerging_terms WHERE week = $week"),
    (
        "audience_questions",
        "SELECT * FROM audience_questions WHERE week = $week AND rank_in_topic <= 3",
    ),
    ("topic_share_4w", "SELECT * FROM topic_share_4w WHERE week = $week"),
    ("bucket_balance_4w", "SELECT * FROM bucket_balance_4w WHERE week = $week"),
    ("week_coverage", "SELECT * FROM week_coverage"),
    ("week_languages", "SELECT * FROM week_languages WHERE week = $week"),
]


def peak_rss_kib() -> int:
    """This process's peak RSS. Linux's VmHWM starts afresh at exec; `ru_maxrss` does not (a
    child started by a parent that built a 10M-post warehouse would report the parent's peak)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_queries(path: Path, memory_limit: str, threads: int, week: str) -> dict[str, Any]:
    """In this process: time every metric, `build_digest`, every view; add peak RSS."""
    import duckdb

    from earshot.reports.digest import build_digest
    from earshot.warehouse import open_warehouse

    con = open_warehouse(path, read_only=True, memory_limit=memory_limit)
    con.execute(f"SET threads = {int(threads)}")
    metrics: dict[str, float] = {}
    for name, call in metric_calls(week):
        start = time.perf_counter()
        call(con)
        metrics[name] = time.perf_counter() - start
        print(f"metric {name}: {metrics[name]:.2f} s", file=sys.stderr, flush=True)
    start = time.perf_counter()
    digest = build_digest(
        con, week=week, organisation="Bench", timezone="Europe/Berlin", language="de", now=NOW
    )
    whole = time.perf_counter() - start
    views: dict[str, float] = {}
    for name, sql in VIEW_QUERIES:
        start = time.perf_counter()
        try:
            con.execute(sql, {"week": week} if "$week" in sql else None).fetchall()
        except duckdb.OutOfMemoryException as exc:  # a figure too: report it, go on
            print(f"view {name}: {exc}".splitlines()[0], file=sys.stderr, flush=True)
            views[name] = float("nan")
            continue
        views[name] = time.perf_counter() - start
        print(f"view {name}: {views[name]:.2f} s", file=sys.stderr, flush=True)
    posts = con.execute("SELECT count(*) FROM _posts").fetchall()[0][0]
    con.close()
    return {
        "posts": posts,
        "metrics": metrics,
        "build_digest": whole,
        "views": views,
        "peak_rss_kib": peak_rss_kib(),
        "digest": {
            "audience_posts": digest.coverage.audience_posts,
            "moved": [m.topic_id for m in digest.moved],
            "at_risk": [m.topic_id for m in digest.at_risk],
            "emerging": [e.term for e in digest.emerging],
            "questions": len(digest.questions),
        },
    }


def run_refresh(path: Path, memory_limit: str, threads: int, week: str) -> dict[str, Any]:
    """In this process: time a full build of the digest facts, then a refresh of one week."""
    from earshot.warehouse import open_warehouse
    from earshot.warehouse.facts import mark_all_dirty, refresh_facts
    from earshot.warehouse.weeks import parse_week

    con = open_warehouse(path, memory_limit=memory_limit)
    con.execute(f"SET threads = {int(threads)}")
    mark_all_dirty(con, "bench")
    start = time.perf_counter()
    weeks = refresh_facts(con)
    full = time.perf_counter() - start
    year, num = parse_week(week)
    con.execute(
        "INSERT INTO _dirty_weeks VALUES (?) ON CONFLICT DO NOTHING",
        [datetime.fromisocalendar(year, num, 1).date()],
    )
    start = time.perf_counter()
    refresh_facts(con)
    one = time.perf_counter() - start
    con.execute("CHECKPOINT")
    con.close()
    return {
        "weeks": weeks,
        "full": full,
        "one_week": one,
        "peak_rss_kib": peak_rss_kib(),
    }


def query_child(path: Path, args: argparse.Namespace, mode: str = "--child") -> dict[str, Any]:
    """`run_queries` (or `run_refresh`) in a fresh Python process: its peak RSS is its own."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            mode,
            str(path),
            "--memory-limit",
            args.memory_limit,
            "--threads",
            str(args.threads),
            "--week",
            args.week,
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"queries over {path} failed ({out.returncode}):\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def ensure_warehouse(path: Path, posts: int, seed: int) -> float | None:
    """Build the synthetic warehouse unless `path` holds one of that size; build seconds."""
    import duckdb

    from bench.synth import Synth, write_warehouse
    from earshot.warehouse import open_warehouse

    if path.exists():
        try:
            con = duckdb.connect(str(path), read_only=True)
            have = con.execute("SELECT count(*) FROM _posts").fetchall()[0][0]
            con.close()
        except duckdb.Error:
            have = -1
        if have == posts:
            open_warehouse(path).close()  # migrate: the current views
            return None
        path.unlink()
        Path(f"{path}.wal").unlink(missing_ok=True)
    start = time.perf_counter()
    write_warehouse(path, Synth(posts, seed=seed))
    return time.perf_counter() - start


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(args: argparse.Namespace, folder: Path) -> int:
    sizes = [args.posts, args.baseline_posts]
    results: dict[int, dict[str, Any]] = {}
    for n in sizes:
        path = folder / f"synth-{n}.duckdb"
        built = ensure_warehouse(path, n, args.seed)
        if built is None:
            print(f"reusing {path} ({n:,} posts)", flush=True)
        else:
            print(
                f"built {path}: {n:,} posts + annotations + topic tags in {built:.1f} s "
                f"= {n / built:,.0f} posts/s ({path.stat().st_size / 2**30:.2f} GiB)",
                flush=True,
            )
        refresh = query_child(path, args, "--child-refresh")  # leaves the facts built
        results[n] = query_child(path, args)
        results[n]["refresh"] = refresh
    big, small = results[args.posts], results[args.baseline_posts]
    print(
        f"\nDuckDB memory_limit={args.memory_limit}, threads={args.threads}, week {args.week}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"{'query':<22} {args.posts:>12,} {args.baseline_posts:>12,}  (seconds)")
    for group in ("metrics", "views"):
        for name in big[group]:
            print(f"{name:<22} {big[group][name]:>12.2f} {small[group][name]:>12.2f}")
        print(
            f"{'= ' + group + ' total':<22} {sum(big[group].values()):>12.2f} "
            f"{sum(small[group].values()):>12.2f}"
        )
    print(
        f"{'build_digest (whole)':<22} {big['build_digest']:>12.2f} {small['build_digest']:>12.2f}"
    )
    total_big, total_small = sum(big["metrics"].values()), sum(small["metrics"].values())
    per_m_big = total_big / (args.posts / 1e6)
    per_m_small = total_small / (args.baseline_posts / 1e6)
    print(
        f"digest metrics per million posts: {per_m_big:.2f} s at {args.posts:,}, "
        f"{per_m_small:.2f} s at {args.baseline_posts:,} (ratio {per_m_big / per_m_small:.2f})"
    )
    rss = big["peak_rss_kib"] / 2**20
    print(
        f"peak RSS of the query process: {rss:.2f} GiB at {args.posts:,}, "
        f"{small['peak_rss_kib'] / 2**20:.2f} GiB at {args.baseline_posts:,}"
    )
    for n in sizes:
        r = results[n]["refresh"]
        print(
            f"digest facts at {n:,} posts (write cycle): full build of {r['weeks']} weeks "
            f"{r['full']:.2f} s, refresh of one week {r['one_week']:.2f} s, "
            f"peak RSS {r['peak_rss_kib'] / 2**20:.2f} GiB"
        )
    print(f"digest of {args.week}: {json.dumps(big['digest'])}")
    checks = [
        (
            f"digest metrics over {args.posts:,} posts <= {args.max_seconds:g} s "
            f"({total_big:.1f} s)",
            total_big <= args.max_seconds,
        ),
        (
            f"peak RSS < {args.max_rss_gb:g} GB ({rss:.2f} GiB)",
            big["peak_rss_kib"] * 1024 < args.max_rss_gb * 1e9,
        ),
    ]
    for name, ok in checks:
        print(f"{verdict(ok)}  {name}")
    return 0 if all(ok for _, ok in checks) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=10_000_000)
    parser.add_argument("--baseline-posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory-limit", default="3GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--week", default=WEEK)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--max-rss-gb", type=float, default=4.0)
    parser.add_argument("--dir", type=Path, help="keep (and reuse) the warehouses here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-refresh", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_refresh:
        print(
            json.dumps(run_refresh(args.child_refresh, args.memory_limit, args.threads, args.week))
        )
        return 0
    if args.child:
        print(json.dumps(run_queries(args.child, args.memory_limit, args.threads, args.week)))
        return 0
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        return report(args, args.dir)
    with tempfile.TemporaryDirectory(prefix="earshot-queries-") as tmp:
        return report(args, Path(tmp))


if __name__ == "__main__":
    raise SystemExit(main())
