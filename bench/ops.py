"""Benchmark: the costs of the operations around the warehouse, against plain baselines.

    python bench/ops.py [--posts 1000000] [--sessions 100]

In one run, on a warehouse of `--posts` synthetic posts (with raw JSON):
  1. publishing the analytics copy (lock, CHECKPOINT, copy, check, atomic replace) against a
     plain `shutil.copyfile` of the same file;
  2. one short write session per batch (writer lock, open, one insert, close) against the
     same inserts on one open connection: what serialising writers per batch costs;
  3. pruning raw JSON past retention, then running it again (nothing left to prune);
  4. `export_views` as Parquet (the documented views, month partitions) against one unpartitioned
     Parquet COPY of the posts table.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from earshot.warehouse import open_warehouse
from earshot.warehouse.connection import writing
from earshot.warehouse.export import export_views
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.publish import publish_analytics_copy
from earshot.warehouse.retention import prune_raw

SYNTH = """
INSERT INTO _posts
SELECT
    md5(i::VARCHAR) AS post_id, 'feed', 'src-' || (i % 200), 'item-' || i,
    'https://example.org/' || i, 'author' || (i % 5000), NULL, 'Title ' || i,
    'Kundenservice newsletter customer service sales ' || repeat('lorem ipsum ', 1 + i % 30),
    CASE WHEN i % 2 = 0 THEN 'de' ELSE 'en' END,
    TIMESTAMPTZ '2026-09-01 00:00:00+00' + to_seconds((i * 7919) % (84 * 86400)),
    TIMESTAMPTZ '2026-09-01 00:00:00+00' + to_seconds((i * 7919) % (84 * 86400)) + INTERVAL 1 HOUR,
    i % 97, i % 13, i % 7, NULL, md5('c' || i),
    json_object('id', i, 'html', '<p>' || repeat('x', 50 + i % 200) || '</p>'), 'synth', NULL
FROM range(?) r(i)
"""


def timed(call: object) -> float:
    start = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="earshot-ops-") as tmp:
        root = Path(tmp)
        path = root / "earshot.duckdb"
        con = open_warehouse(path)
        build = timed(lambda: con.execute(SYNTH, [args.posts]))
        # the write cycle that stored the posts builds their digest facts before publishing
        facts = timed(lambda: refresh_facts(con))
        con.close()
        size = path.stat().st_size / 1e6
        print(
            f"warehouse: {args.posts:,} posts, {size:,.0f} MB (built in {build:.1f} s; "
            f"digest facts {facts:.1f} s)"
        )

        plain = timed(lambda: shutil.copyfile(path, root / "plain-copy.duckdb"))
        published = publish_analytics_copy(path, root / "earshot-analytics.duckdb")
        print(
            f"1. publish: {published.seconds:.2f} s; plain copy {plain:.2f} s; "
            f"ratio {published.seconds / plain:.2f}x ({size / published.seconds:,.0f} MB/s)"
        )

        def sessions() -> None:
            for i in range(args.sessions):
                with writing(path) as w:
                    w.execute("INSERT INTO _settings VALUES (?, 'x')", [f"s{i}"])

        def one_connection() -> None:
            c = duckdb.connect(str(path))
            for i in range(args.sessions):
                c.execute("INSERT INTO _settings VALUES (?, 'x')", [f"c{i}"])
            c.close()

        per_session = timed(sessions) / args.sessions
        per_insert = timed(one_connection) / args.sessions
        print(
            f"2. write session: {per_session * 1000:.0f} ms each; an insert on an open "
            f"connection {per_insert * 1000:.1f} ms; ratio {per_session / per_insert:.0f}x "
            "(so collect stores all results that arrived meanwhile in one session)"
        )

        con = duckdb.connect(str(path))
        now = datetime(2026, 12, 1, tzinfo=UTC)
        pruned: list[int] = []
        first = timed(lambda: pruned.append(prune_raw(con, now=now, keep_days=60)))
        again = timed(lambda: pruned.append(prune_raw(con, now=now, keep_days=60)))
        print(
            f"3. retention: pruned {pruned[0]:,} raw JSON in {first:.2f} s; "
            f"second run pruned {pruned[1]:,} in {again:.3f} s"
        )

        written: dict[str, int] = {}
        partitioned = timed(lambda: written.update(export_views(con, root / "export", "parquet")))
        flat = timed(
            lambda: con.execute(f"COPY _posts TO '{root / 'flat.parquet'}' (FORMAT parquet)")
        )
        con.close()
        print(
            f"4. export: {written['posts']:,} posts by month in {partitioned:.2f} s "
            f"(every documented view, {len(written)} of them); one flat Parquet file of _posts "
            f"{flat:.2f} s; "
            f"ratio {partitioned / flat:.2f}x"
        )


if __name__ == "__main__":
    main()
