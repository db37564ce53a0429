"""A review's rating as a column of its post: stored, in the `posts` view and the export, and
given by migration 0014 to reviews stored before it; ids and content keys do not change."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from earshot.listeners.records import Post
from earshot.warehouse import open_warehouse
from earshot.warehouse.export import export_views
from earshot.warehouse.loads import start_load
from earshot.warehouse.sources import SourceRow, insert_posts, posts_table, sync_sources

NOW = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


def review(n: int, stars: int | None) -> Post:
    return Post(
        platform="appstore",
        source_id="app",
        external_id=f"123456/{n}",
        url="https://apps.apple.com/de/app/id123456?see-all=reviews",
        author=f"user{n}",
        author_handle=None,
        title=f"Review {n}",
        text=f"Text {n} about the app",
        lang_hint="de",
        published_at=NOW,
        fetched_at=NOW,
        score=stars,
        rating=stars,
    )


def comment(n: int) -> Post:
    return dataclasses.replace(
        review(n, None), platform="youtube", source_id="yt", external_id=f"yt:comment:{n}"
    )


def _warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = open_warehouse(tmp_path / "earshot.duckdb")
    sync_sources(
        con,
        [
            SourceRow("app", "appstore", "https://apps.apple.com/de/app/id123456", False),
            SourceRow("yt", "youtube", "https://www.youtube.com/watch?v=x", False),
        ],
    )
    return con


def test_the_rating_is_stored_viewed_and_exported(tmp_path: Path) -> None:
    con = _warehouse(tmp_path)
    try:
        load = start_load(con, "collect")
        assert insert_posts(con, [review(1, 4), review(2, 1), comment(3)], load) == 3
        rows = con.execute("SELECT platform, title, rating FROM posts ORDER BY title").fetchall()
        assert rows == [("appstore", "Review 1", 4), ("appstore", "Review 2", 1),
                        ("youtube", "Review 3", None)]  # fmt: skip
        assert con.execute("SELECT typeof(rating) FROM _posts LIMIT 1").fetchone() == ("SMALLINT",)
        export_views(con, tmp_path / "out")
    finally:
        con.close()
    exported = pq.read_table(tmp_path / "out" / "posts").to_pylist()
    assert sorted((r["title"], r["rating"]) for r in exported) == [
        ("Review 1", 4),
        ("Review 2", 1),
        ("Review 3", None),
    ]


def test_the_rating_changes_neither_id_nor_content_key() -> None:
    rated, unrated = review(1, 5), dataclasses.replace(review(1, 5), rating=None)
    assert (rated.post_id, rated.content_key) == (unrated.post_id, unrated.content_key)
    table = posts_table([rated], "load")
    assert table.column("rating").to_pylist() == [5]


def test_migration_0014_rates_the_reviews_stored_before_it(tmp_path: Path) -> None:
    con = _warehouse(tmp_path)
    try:
        load = start_load(con, "collect")
        insert_posts(con, [review(1, 3), comment(2)], load)
        # The warehouse as it was before 0014: no rating column, the stars in `score`.
        con.execute("ALTER TABLE _posts DROP COLUMN rating")
        con.execute("DELETE FROM _migrations WHERE version = 14")
    finally:
        con.close()
    con = open_warehouse(tmp_path / "earshot.duckdb")
    try:
        rows = con.execute("SELECT external_id, score, rating FROM _posts ORDER BY 1").fetchall()
        assert con.execute("SELECT count(rating) FROM posts").fetchone() == (1,)
        # a table without `rating` still loads (the column is NULL)
        added = insert_posts(con, [review(9, None)], start_load(con, "collect"))
    finally:
        con.close()
    assert rows == [("123456/1", 3, 3), ("yt:comment:2", None, None)]
    assert added == 1
