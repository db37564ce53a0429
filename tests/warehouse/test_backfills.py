"""Backfill rows: a run resumes the unfinished backfill of its range, supersedes one of
another range, and each page's posts and progress commit together (or not at all)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from earshot.listeners.records import Post
from earshot.warehouse import open_warehouse
from earshot.warehouse.backfills import finish_backfill, open_backfill, store_backfill_page
from earshot.warehouse.sources import SourceRow, sync_sources

SINCE = datetime(2026, 9, 1, tzinfo=UTC)
UNTIL = datetime(2026, 11, 1, tzinfo=UTC)


def _post(n: int) -> Post:
    return Post("hackernews", "hn", str(n), f"https://news.ycombinator.com/item?id={n}", "ana",
                "ana", None, f"Text {n}", "en", datetime(2026, 10, n, tzinfo=UTC),
                datetime(2026, 12, 1, tzinfo=UTC))  # fmt: skip


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(con, [SourceRow("hn", "hackernews", "https://hn.algolia.com", False)])
    return con


def test_a_run_resumes_the_same_range_and_supersedes_another(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first = open_backfill(con, "hn", SINCE, UNTIL)
    assert not first.resumed and first.progress == {}
    assert store_backfill_page(con, first, [_post(1), _post(2)], {"before": 5}, reached=None) == 2
    again = open_backfill(con, "hn", SINCE, None)  # no --until: the unfinished one's own
    assert again.resumed and again.backfill_id == first.backfill_id
    assert again.progress == {"before": 5} and again.until == UNTIL
    assert again.load_id != first.load_id
    # the page stored again (a kill between commit and the next request) adds nothing
    assert store_backfill_page(con, again, [_post(2), _post(3)], {"before": 3}, reached=None) == 1
    other = open_backfill(con, "hn", datetime(2026, 10, 1, tzinfo=UTC), UNTIL)
    assert not other.resumed
    rows = con.execute("SELECT backfill_id, status, pages, posts_added FROM _backfills").fetchall()
    assert sorted(rows) == sorted([(first.backfill_id, "superseded", 2, 3),
                                   (other.backfill_id, "running", 0, 0)])  # fmt: skip
    finish_backfill(con, other, done=True, rows_added=0)
    assert not open_backfill(con, "hn", other.since, UNTIL).resumed  # a done one is not resumed
    loads = con.execute("SELECT count(*) FROM _loads WHERE job = 'backfill'").fetchall()
    assert loads == [(4,)]


def test_a_page_that_fails_to_store_leaves_progress_and_posts_as_they_were(
    con: duckdb.DuckDBPyConnection,
) -> None:
    backfill = open_backfill(con, "hn", SINCE, UNTIL)
    store_backfill_page(con, backfill, [_post(1)], {"before": 9}, reached=None)
    # the progress update fails after the posts were inserted: both roll back
    with pytest.raises(duckdb.ConversionException):
        store_backfill_page(con, backfill, [_post(2)], {"before": 2}, reached="no time")  # type: ignore[arg-type]
    assert con.execute("SELECT count(*) FROM _posts").fetchall() == [(1,)]
    assert con.execute("SELECT progress, pages FROM _backfills").fetchall() == [
        ('{"before": 9}', 1)
    ]
