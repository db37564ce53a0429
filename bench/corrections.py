"""How long an Explore correction takes until the app counts it, on a synthetic warehouse.

    python bench/corrections.py --posts 100000 [--corrections 10] [--dir /tmp/keep]

The product's path (`explore.corrections.apply_correction`, what `POST /api/corrections` runs):
store the label through the writer lock in one transaction, republish the analytics copy
(`explore.publisher`: refresh the digest facts of the corrected post's week under the lock,
checkpoint, copy the file), reopen the copy. Here the request waits for the whole republish
(the app waits at most `publish_wait_seconds`, 5 s, then answers). Baseline, in the same
process: a republish with nothing to refresh (what every write cycle's publish costs anyway).
Prints p50/p95 of each and the ratio, and the warehouse's size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(root: Path, posts: int, corrections: int) -> int:
    import duckdb

    from bench.synth import Synth, write_warehouse
    from earshot.explore.corrections import apply_correction, republisher_for
    from earshot.explore.reader import AnalyticsReader
    from earshot.explore.settings import ExploreSettings
    from earshot.warehouse.publish import publish_analytics_copy

    warehouse = root / f"synth-{posts}.duckdb"
    analytics = root / f"synth-{posts}-analytics.duckdb"
    if not warehouse.exists():
        started = time.monotonic()
        write_warehouse(warehouse, Synth(posts, seed=7))
        print(f"built {posts:,} posts in {time.monotonic() - started:.1f} s")
    publish_analytics_copy(warehouse, analytics)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT t.post_id, t.topic_id FROM _post_topics t USING SAMPLE 200 ROWS"
        ).fetchall()
    finally:
        con.close()
    settings = ExploreSettings(
        organisation="bench",
        timezone="Europe/Berlin",
        language="en",
        warehouse_path=warehouse,
        analytics_path=analytics,
        token="bench",
        user="bench",
        publish_wait_seconds=600,  # measure the whole round trip, however long
    )
    reader = AnalyticsReader(analytics)
    republisher = republisher_for(settings, reader)
    baseline: list[float] = []
    measured: list[float] = []
    publish_share: list[float] = []
    try:
        for i in range(corrections):
            started = time.monotonic()
            publish_analytics_copy(warehouse, analytics)
            reader.refresh()
            baseline.append(time.monotonic() - started)
            post_id, topic_id = rows[i % len(rows)]
            fields: dict[str, object] = (
                {"sentiment": ("negative", "neutral", "positive")[i % 3]}
                if i % 2
                else {"topic_id": topic_id, "relevant": False}
            )
            started = time.monotonic()
            _stored, counted = apply_correction(settings, republisher, post_id=post_id, **fields)
            measured.append(time.monotonic() - started)
            assert counted, republisher.last_error
            publish_share.append(republisher.last_seconds or 0.0)
            with reader.cursor() as cur:  # the app's next read sees it
                found = cur.execute(
                    "SELECT count(*) FROM corrections WHERE post_id = ?", [post_id]
                ).fetchone()
                assert found and found[0] >= 1
    finally:
        reader.close()
    size = warehouse.stat().st_size / 1e6
    print(f"warehouse: {posts:,} posts, {size:.0f} MB; {corrections} corrections")
    print(
        f"correction until counted: p50 {statistics.median(measured) * 1000:.0f} ms, "
        f"p95 {_p95(measured) * 1000:.0f} ms "
        f"(of which republish p50 {statistics.median(publish_share) * 1000:.0f} ms)"
    )
    print(
        f"baseline republish alone:  p50 {statistics.median(baseline) * 1000:.0f} ms, "
        f"p95 {_p95(baseline) * 1000:.0f} ms"
    )
    print(f"ratio (p50): {statistics.median(measured) / statistics.median(baseline):.2f}x")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--corrections", type=int, default=10)
    parser.add_argument("--dir", type=Path, help="keep (and reuse) the warehouse here")
    args = parser.parse_args(argv)
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        return run(args.dir, args.posts, args.corrections)
    with tempfile.TemporaryDirectory(prefix="earshot-corrections-") as tmp:
        return run(Path(tmp), args.posts, args.corrections)


if __name__ == "__main__":
    raise SystemExit(main())
