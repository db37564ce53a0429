"""Retention: raw JSON older than the configured age is pruned, the post itself stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from earshot.listeners.records import Post
from earshot.warehouse import open_warehouse
from earshot.warehouse.loads import start_load
from earshot.warehouse.retention import prune_raw
from earshot.warehouse.sources import insert_posts

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def post(n: int, age_days: int) -> Post:
    fetched = NOW - timedelta(days=age_days)
    return Post(
        platform="feed",
        source_id="blog",
        external_id=f"item-{n}",
        url=f"https://example.org/{n}",
        author="a",
        author_handle=None,
        title=f"Title {n}",
        text=f"Text {n}",
        lang_hint="en",
        published_at=fetched,
        fetched_at=fetched,
        likes=n,
        raw={"id": n, "body": "x" * 100},
    )


def test_raw_json_past_retention_is_pruned_and_nothing_else(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    insert_posts(con, [post(1, 120), post(2, 31), post(3, 29), post(4, 0)], start_load(con, "c"))
    assert prune_raw(con, now=NOW, keep_days=30) == 2
    rows = con.execute(
        "SELECT external_id, raw IS NULL, text, likes FROM _posts ORDER BY external_id"
    ).fetchall()
    assert rows == [
        ("item-1", True, "Text 1", 1),
        ("item-2", True, "Text 2", 2),
        ("item-3", False, "Text 3", 3),
        ("item-4", False, "Text 4", 4),
    ]
    assert prune_raw(con, now=NOW, keep_days=30) == 0  # already pruned: nothing to do
    assert prune_raw(con, now=NOW + timedelta(days=2), keep_days=30) == 1  # item-3 aged
    con.close()


def test_retention_must_keep_at_least_a_day(tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(ValueError, match="raw_retention_days"):
        prune_raw(con, now=NOW, keep_days=0)
    con.close()
