"""Benchmark: loading 1M posts through Earshot's loading path, against `executemany`.

    python bench/scale_load.py [--posts 1000000] [--sample 50000]

Synthetic posts (bench/synth.py) go into a fresh warehouse file through
`warehouse.sources.insert_post_batches`, the bulk entry point `insert_posts` (and so every
collect) uses, in one transaction like `store_fetch`. The same posts are then loaded a second
time (must add nothing, and take no longer). Baselines in the same run, on the first `--sample`
posts: a plain `executemany` INSERT (row by row, not even idempotent) and `insert_posts` from
`Post` records (the collect path, including building the rows in Python).

Targets (exit status 1 when one fails): first load <= --max-seconds (20), every post added;
second load adds 0 rows in no more time than the first; bulk >= --min-ratio (100) times
faster per post than executemany.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synth import Synth
from earshot.warehouse import open_warehouse
from earshot.warehouse.connection import transaction
from earshot.warehouse.loads import start_load
from earshot.warehouse.sources import POST_SCHEMA, insert_post_batches, insert_posts


def executemany_load(path: Path, table: pa.Table) -> float:
    """Seconds to insert `table` row by row with `executemany` (the naive baseline)."""
    con = open_warehouse(path)
    load = start_load(con, "bench")
    rows = [
        tuple(r.values())
        for r in table.set_column(
            POST_SCHEMA.get_field_index("load_id"),
            "load_id",
            pa.repeat(pa.scalar(load, pa.string()), table.num_rows),
        ).to_pylist()
    ]
    marks = ", ".join("?" for _ in POST_SCHEMA.names)
    start = time.perf_counter()
    with transaction(con):
        columns = ", ".join(POST_SCHEMA.names)
        con.executemany(f"INSERT INTO _posts ({columns}) VALUES ({marks})", rows)
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def post_records_load(path: Path, synth: Synth, n: int) -> tuple[float, int]:
    """Seconds for `insert_posts` with `n` `Post` records (rows built in Python), rows added."""
    posts = synth.posts(n)
    con = open_warehouse(path)
    load = start_load(con, "bench")
    start = time.perf_counter()
    with transaction(con):
        added = insert_posts(con, posts, load)
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, added


def bulk_loads(path: Path, table: pa.Table) -> list[tuple[float, float, int]]:
    """(seconds, CPU seconds, rows added) of two loads of the same posts, each committed."""
    con = open_warehouse(path)
    results = []
    for _ in range(2):
        load = start_load(con, "bench")
        start, cpu = time.perf_counter(), time.process_time()
        with transaction(con):
            added = insert_post_batches(con, table, load)
        results.append((time.perf_counter() - start, time.process_time() - cpu, added))
    stored = con.execute("SELECT count(*), count(DISTINCT post_id) FROM _posts").fetchall()[0]
    con.close()
    if stored[0] != stored[1]:
        raise SystemExit(f"{path}: {stored[0]} rows but {stored[1]} distinct post ids")
    return results


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000, help="posts for the baselines")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-seconds", type=float, default=20.0)
    parser.add_argument("--min-ratio", type=float, default=100.0)
    args = parser.parse_args(argv)
    load_avg = os.getloadavg()[0]
    start = time.perf_counter()
    synth = Synth(args.posts, seed=args.seed)
    table = pa.concat_tables(b.posts for b in synth.batches())
    made = time.perf_counter() - start
    print(
        f"synth: {args.posts:,} posts in {made:.1f} s = {args.posts / made:,.0f} posts/s "
        f"(load average {load_avg:.1f} on {os.cpu_count()} cores)",
        flush=True,
    )
    sample = table.slice(0, args.sample)
    with tempfile.TemporaryDirectory(prefix="earshot-load-") as tmp:
        base = executemany_load(Path(tmp) / "many.duckdb", sample)
        records, records_added = post_records_load(Path(tmp) / "records.duckdb", synth, args.sample)
        (first, first_cpu, added), (second, second_cpu, again) = bulk_loads(
            Path(tmp) / "bulk.duckdb", table
        )
        size = (Path(tmp) / "bulk.duckdb").stat().st_size
    base_rate = args.sample / base
    bulk_rate = args.posts / first
    ratio = bulk_rate / base_rate
    print(
        f"executemany        : {args.sample:>9,} posts in {base:6.2f} s = "
        f"{base_rate:>10,.0f} posts/s"
    )
    print(
        f"insert_posts (Post): {args.sample:>9,} posts in {records:6.2f} s = "
        f"{args.sample / records:>10,.0f} posts/s ({records_added:,} added)"
    )
    print(
        f"bulk, first load   : {args.posts:>9,} posts in {first:6.2f} s = "
        f"{bulk_rate:>10,.0f} posts/s ({added:,} added; {first_cpu:.1f} CPU s on "
        f"{os.cpu_count()} cores; file {size / 2**20:,.0f} MiB)"
    )
    print(
        f"bulk, second load  : {args.posts:>9,} posts in {second:6.2f} s ({again:,} added; "
        f"{second_cpu:.1f} CPU s)"
    )
    print(f"ratio bulk / executemany per post: {ratio:,.0f}x")
    checks = [
        (f"first load <= {args.max_seconds:g} s ({first:.1f} s)", first <= args.max_seconds),
        (f"first load adds every post ({added:,} of {args.posts:,})", added == args.posts),
        (f"second load adds nothing ({again:,})", again == 0),
        (f"second load no slower ({second:.1f} s vs {first:.1f} s)", second <= first),
        (
            f"bulk >= {args.min_ratio:g}x executemany per post ({ratio:,.0f}x)",
            ratio >= args.min_ratio,
        ),
        (f"insert_posts adds every sample post ({records_added:,})", records_added == args.sample),
    ]
    for name, ok in checks:
        print(f"{verdict(ok)}  {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
