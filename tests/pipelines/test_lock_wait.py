"""A warehouse locked by another process: collect waits within its bound, then fails clearly,
or goes on once the other process lets go; nothing stored is lost either way.

The other process is real: a separate Python holding a plain DuckDB write connection to the
warehouse file (what an analyst's notebook or another tool opening it writable does).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from earshot.pipelines import flows
from tests.listeners.feedserver import FeedServer, Reply

pytestmark = pytest.mark.usefixtures("prefect_harness")

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Blog</title>
{items}
</channel></rss>
"""

HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS analyst_scratch (x INTEGER)")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
print("released", flush=True)
"""


def feed(*numbers: int) -> bytes:
    items = "".join(
        f"<item><guid>urn:lock:{n}</guid><title>Post {n}</title>"
        f"<link>https://blog.example/{n}</link><description>Text {n}</description></item>"
        for n in numbers
    )
    return RSS.format(items=items).encode()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def write_config(tmp_path: Path, url: str, lock_timeout: float) -> str:
    config = {
        "organisation": "Beispiel GmbH",
        "warehouse": {"lock_timeout_seconds": lock_timeout},
        "http": {"timeout_seconds": 5, "retries": 0},
        "sources": [{"id": "blog", "kind": "feed", "url": url}],
    }
    path = tmp_path / "listening.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Start a process that holds DuckDB's write lock on `path` for `seconds`."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "holding"
    return process


def post_ids(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT external_id FROM _posts ORDER BY 1").fetchall()]
    finally:
        con.close()


def test_a_locked_warehouse_fails_clearly_within_the_bound(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.route("/feed.xml", Reply(feed(1, 2)), Reply(feed(1, 2, 3)))
    config = write_config(tmp_path, url, lock_timeout=2)
    warehouse = tmp_path / "data" / "earshot.duckdb"
    assert flows.collect(config, publish_copy=False).posts_added == 2

    holder = hold(warehouse, 60)
    try:
        started = time.monotonic()
        with pytest.raises(Exception) as locked:
            flows.collect(config, force=True, publish_copy=False)
        elapsed = time.monotonic() - started
    finally:
        holder.terminate()
        holder.wait(10)
    message = str(locked.value)
    assert type(locked.value).__name__ == "WarehouseLocked"
    assert str(warehouse) in message and "lock" in message and "2 s" in message
    assert 2 <= elapsed < 2 + 20  # waited its bound, not forever
    assert len(server.requests_to("/feed.xml")) == 1  # gave up before fetching anything

    # Nothing lost: what was stored is there, and the next run picks up the new post.
    assert post_ids(warehouse) == ["urn:lock:1", "urn:lock:2"]
    assert flows.collect(config, force=True, publish_copy=False).posts_added == 1
    assert post_ids(warehouse) == ["urn:lock:1", "urn:lock:2", "urn:lock:3"]


def test_collect_goes_on_when_the_other_process_lets_go_in_time(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.route("/feed.xml", Reply(feed(1, 2)), Reply(feed(1, 2, 3)))
    config = write_config(tmp_path, url, lock_timeout=60)
    warehouse = tmp_path / "data" / "earshot.duckdb"
    assert flows.collect(config, publish_copy=False).posts_added == 2

    holder = hold(warehouse, 1.5)
    try:
        started = time.monotonic()
        summary = flows.collect(config, force=True, publish_copy=False)
        elapsed = time.monotonic() - started
        assert holder.wait(10) == 0
    finally:
        holder.kill()
    assert summary.posts_added == 1 and summary.failed == 0
    assert elapsed >= 1.0  # it did wait for the other process
    assert post_ids(warehouse) == ["urn:lock:1", "urn:lock:2", "urn:lock:3"]
