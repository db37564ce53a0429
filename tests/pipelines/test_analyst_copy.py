"""The analysts' read-only copy, with real Prefect flow runs against a local feed server.

An analyst (a separate process holding a read-only DuckDB connection on the copy) keeps
working while a collect and an enrich run; the jobs never wait for the analyst, the
analyst keeps seeing the snapshot it opened, a new connection sees the new data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from earshot.listeners.records import Post
from earshot.pipelines import flows, jobs
from earshot.pipelines.cli import app
from earshot.pipelines.config import load_config
from earshot.warehouse import WarehouseLocked
from earshot.warehouse.loads import start_load
from earshot.warehouse.sources import insert_posts
from tests.listeners.feedserver import FeedServer, Reply

pytestmark = pytest.mark.usefixtures("prefect_harness")

ANALYST = textwrap.dedent(
    """
    import duckdb, json, sys
    con = duckdb.connect(sys.argv[1], read_only=True)
    for _line in sys.stdin:
        row = con.execute(
            "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM _annotations)"
        ).fetchone()
        print(json.dumps(row), flush=True)
    """
)


def rss(*items: tuple[str, str]) -> bytes:
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://f.example/{guid}</link>"
        f"<pubDate>Tue, 17 Nov 2026 09:00:00 +0000</pubDate><description>{title}</description>"
        "</item>"
        for guid, title in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Forum</title>'
        f"<link>https://f.example/</link>{entries}</channel></rss>"
    ).encode()


FIRST = rss(("a1", "Customer service was great"), ("a2", "Is the hotline down?"))
SECOND = rss(
    ("a1", "Customer service was great"),
    ("a2", "Is the hotline down?"),
    ("a3", "Terrible customer service today"),
    ("a4", "Newsletter looks good"),
    ("a5", "Who runs the newsletter?"),
)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.route(
            "/forum.xml",
            Reply(FIRST, content_type="application/rss+xml"),
            Reply(SECOND, content_type="application/rss+xml"),
        )
        yield server


def write_config(tmp_path: Path, feeds: FeedServer, **warehouse: object) -> str:
    config = {
        "organisation": "Beispiel GmbH",
        "http": {"timeout_seconds": 5, "retries": 0},
        "warehouse": {"raw_retention_days": 30, **warehouse},
        "sources": [{"id": "forum", "kind": "feed", "url": feeds.url("/forum.xml"), "lang": "en"}],
        "topics": [
            {"id": "service", "label": "Service", "terms": {"en": ["customer service"]}},
        ],
    }
    path = tmp_path / "listening.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def old_post(fetched_at: datetime) -> Post:
    return Post(
        platform="feed",
        source_id="forum",
        external_id="old-1",
        url="https://f.example/old-1",
        author=None,
        author_handle=None,
        title="An old thread about customer service",
        text="An old thread about customer service",
        lang_hint="en",
        published_at=fetched_at,
        fetched_at=fetched_at,
        raw={"id": "old-1", "from": "an old fetch"},
    )


def test_analyst_keeps_its_snapshot_while_collect_and_enrich_run(
    tmp_path: Path, feeds: FeedServer
) -> None:
    config = write_config(tmp_path, feeds)
    loaded = load_config(config)
    with jobs.warehouse(loaded) as con:  # a post fetched long ago, raw JSON still there
        insert_posts(con, [old_post(datetime.now(UTC) - timedelta(days=45))], start_load(con, "x"))

    first = flows.collect(config)
    assert (first.posts_added, first.raw_pruned) == (2, 1)  # retention ran in the job
    copy = loaded.analytics_path
    assert copy == tmp_path / "data" / "earshot-analytics.duckdb" and copy.exists()

    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert analyst.stdin is not None and analyst.stdout is not None

        def ask() -> list[int]:
            assert analyst.stdin is not None and analyst.stdout is not None
            analyst.stdin.write("?\n")
            analyst.stdin.flush()
            return list(json.loads(analyst.stdout.readline()))

        assert ask() == [3, 0]
        # The analyst's connection stays open while both jobs write and publish.
        second = flows.collect(config, force=True)
        assert second.posts_added == 3 and second.failed == 0
        enriched = flows.enrich(config)
        assert enriched.annotated == 6
        assert ask() == [3, 0]  # still the snapshot it opened: never blocked, never changed
        assert analyst.poll() is None

        fresh = duckdb.connect(str(copy), read_only=True)
        try:
            assert fresh.execute(
                "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM _annotations)"
            ).fetchone() == (6, 6)
            # A relative permalink guid is resolved against the feed URL (as feedparser does).
            raws = {
                external_id.rsplit("/", 1)[-1]: pruned
                for external_id, pruned in fresh.execute(
                    "SELECT external_id, raw IS NULL FROM _posts"
                ).fetchall()
            }
        finally:
            fresh.close()
        assert raws == {
            "old-1": True,
            "a1": False,
            "a2": False,
            "a3": False,
            "a4": False,
            "a5": False,
        }

        # `earshot sql` reads the copy too, next to the analyst's open connection.
        result = CliRunner().invoke(
            app, ["sql", "SELECT count(*) AS n FROM posts", "--csv", "--config", config]
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == ["n", "6"]
    finally:
        if analyst.stdin is not None:
            analyst.stdin.close()
        analyst.wait(timeout=30)
    assert analyst.returncode == 0


def test_collect_kept_from_the_warehouse_fails_naming_the_lock_file(
    tmp_path: Path, feeds: FeedServer
) -> None:
    config = write_config(tmp_path, feeds, lock_timeout_seconds=0.5)
    loaded = load_config(config)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from warehouse.connection import writer_lock\n"
            f"with writer_lock({str(loaded.warehouse_path)!r}, holder='long-import'):\n"
            "    print('holding', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseLocked, match="long-import") as caught:
            flows.collect(config)
        assert f"{loaded.warehouse_path}.writer.lock" in str(caught.value)
    finally:
        holder.communicate("", timeout=30)
    assert flows.collect(config).posts_added == 2  # once the holder is done, the job runs
