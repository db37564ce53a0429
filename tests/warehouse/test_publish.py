"""Publishing the analysts' copy: consistent, atomic, never the warehouse itself."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from earshot.warehouse import WarehouseError, open_warehouse
from earshot.warehouse.facts import mark_all_dirty, refresh_facts
from earshot.warehouse.publish import (
    default_analytics_path,
    open_analytics_copy,
    publish_analytics_copy,
)


def count(path: Path, sql: str) -> object:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute(sql).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def test_copy_holds_every_committed_row_even_those_still_in_the_log(tmp_path: Path) -> None:
    source = tmp_path / "data" / "earshot.duckdb"
    target = default_analytics_path(source)
    assert target == tmp_path / "data" / "earshot-analytics.duckdb"
    writer = open_warehouse(source)
    try:
        writer.execute("INSERT INTO _settings VALUES ('a', '1'), ('b', '2')")
        refresh_facts(writer)  # as every write cycle ends
        # the rows are committed but sit in the write-ahead log until a checkpoint
        published = publish_analytics_copy(source, target)
    finally:
        writer.close()
    assert published.path == target and published.bytes == target.stat().st_size > 0
    assert count(target, "SELECT count(*) FROM _settings WHERE key IN ('a', 'b')") == 2
    assert count(target, "SELECT count(*) FROM posts") == 0  # the analyst views came along
    assert sorted(p.name for p in target.parent.iterdir() if p.name.startswith(".")) == []


def test_republishing_replaces_the_file_and_keeps_the_old_one_for_open_readers(
    tmp_path: Path,
) -> None:
    source = tmp_path / "w.duckdb"
    target = tmp_path / "copies" / "analytics.duckdb"
    writer = open_warehouse(source)
    refresh_facts(writer)  # as every write cycle ends
    writer.close()
    publish_analytics_copy(source, target)
    old = target.open("rb")  # an analyst's open file, as DuckDB holds it
    try:
        before = target.stat().st_ino
        con = open_warehouse(source)
        con.execute("INSERT INTO _settings VALUES ('new', 'x')")
        con.close()
        publish_analytics_copy(source, target)
        assert target.stat().st_ino != before  # a new file under the name, not rewritten
        assert old.read(16) != b""  # the old file is still whole for whoever has it open
    finally:
        old.close()
    assert count(target, "SELECT value FROM _settings WHERE key = 'new'") == "x"


def test_publishing_brings_facts_left_dirty_by_another_writer_up_to_date(
    tmp_path: Path,
) -> None:
    source = tmp_path / "w.duckdb"
    target = tmp_path / "analytics.duckdb"
    writer = open_warehouse(source)
    refresh_facts(writer)
    mark_all_dirty(writer, "test")  # e.g. a collect's batches landed during an enrich
    writer.close()
    publish_analytics_copy(source, target)
    assert count(source, "SELECT count(*) FROM _facts_rebuild") == 0
    assert count(target, "SELECT count(*) FROM _facts_rebuild") == 0  # the copy is never stale


def test_the_copy_cannot_be_the_warehouse(tmp_path: Path) -> None:
    source = tmp_path / "w.duckdb"
    open_warehouse(source).close()
    with pytest.raises(WarehouseError, match="cannot be the warehouse itself"):
        publish_analytics_copy(source, tmp_path / "." / "w.duckdb")


def test_no_copy_yet_is_one_clear_message(tmp_path: Path) -> None:
    missing = tmp_path / "earshot-analytics.duckdb"
    with pytest.raises(WarehouseError, match=f"{missing}: no analytics copy yet"):
        open_analytics_copy(missing)
