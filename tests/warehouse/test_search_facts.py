"""The per-post search columns of a new analytics copy: after a correction only the corrected
posts are read again, and the result is what a full read of the copy gives; any other change
reads the copy whole."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest

from earshot.warehouse import open_warehouse, search_facts
from earshot.warehouse.corrections import store_correction
from earshot.warehouse.publish import publish_analytics_copy
from earshot.warehouse.search_facts import DocFacts, doc_facts
from tests.explore.support import site_settings
from tests.reports import history as planted_history

history_file = planted_history.history_file  # fixtures


def _same(a: DocFacts, b: DocFacts) -> None:
    for name in (
        "seen_at",
        "week_start",
        "engagement",
        "source",
        "lang",
        "sentiment",
        "question",
        "own",
        "stored",
    ):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.score, b.score, equal_nan=True)
    assert (a.sources, a.langs) == (b.sources, b.langs)
    assert sorted(a.topics) == sorted(b.topics)
    for topic in a.topics:
        assert np.array_equal(a.topics[topic], b.topics[topic]), topic


def _facts_of(path: Path) -> tuple[DocFacts, DocFacts]:
    """doc_facts of the copy at `path` and a full read of it."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        size = int(con.execute("SELECT max(rowid) + 1 FROM _posts").fetchall()[0][0])
        return doc_facts(con), search_facts._read(con, size)
    finally:
        con.close()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The full reads `doc_facts` makes (the real function, counted)."""
    calls: list[int] = []
    real = search_facts._read

    def counted(con: duckdb.DuckDBPyConnection, size: int) -> DocFacts:
        calls.append(size)
        return real(con, size)

    monkeypatch.setattr(search_facts, "_read", counted)
    return calls


def test_after_corrections_only_the_corrected_posts_are_read_again(
    history_file: tuple[Path, dict[str, str]], tmp_path: Path, reads: list[int]
) -> None:
    source, _names = history_file
    settings = site_settings(tmp_path, source)
    first, _full = _facts_of(settings.analytics_path)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        (tagged, topic), (other,) = (
            con.execute("SELECT post_id, topic_id FROM _post_topics ORDER BY 1, 2").fetchone(),
            con.execute(
                "SELECT post_id FROM _posts WHERE post_id NOT IN "
                "(SELECT post_id FROM _post_topics WHERE topic_id = 'price') ORDER BY 1"
            ).fetchone(),
        )
        tagged_row, other_row = (
            con.execute("SELECT rowid FROM _posts WHERE post_id = ?", [pid]).fetchall()[0][0]
            for pid in (tagged, other)
        )
    finally:
        con.close()
    now = datetime(2026, 11, 24, tzinfo=UTC)
    for fields in (
        {"post_id": tagged, "topic_id": topic, "relevant": False},  # leaves the topic
        {"post_id": other, "topic_id": "price", "relevant": True},  # joins a topic
        {"post_id": tagged, "sentiment": "positive"},
        {"post_id": other, "sentiment": "negative"},
    ):
        store_correction(settings.warehouse_path, by="tester", now=now, **fields)  # type: ignore[arg-type]
    publish_analytics_copy(settings.warehouse_path, settings.analytics_path)
    reads.clear()
    after, full = _facts_of(settings.analytics_path)
    assert len(reads) == 1  # the comparison's own full read: doc_facts made none
    _same(after, full)
    # the corrections are in the columns
    assert tagged_row in first.topics[topic] and tagged_row not in after.topics[topic]
    assert other_row not in first.topics.get("price", []) and other_row in after.topics["price"]
    assert after.sentiment[tagged_row] == 2 and after.sentiment[other_row] == 0


def test_any_other_change_reads_the_copy_whole(
    history_file: tuple[Path, dict[str, str]], tmp_path: Path, reads: list[int]
) -> None:
    source, _names = history_file
    settings = site_settings(tmp_path, source)
    _facts_of(settings.analytics_path)
    con = open_warehouse(settings.warehouse_path)
    try:  # re-enrichment in place: the same number of annotations, another language
        con.execute(
            "UPDATE _annotations SET lang = 'fr' WHERE post_id = (SELECT min(post_id) FROM "
            "_annotations)"
        )
    finally:
        con.close()
    publish_analytics_copy(settings.warehouse_path, settings.analytics_path)
    reads.clear()
    after, full = _facts_of(settings.analytics_path)
    assert len(reads) == 2  # doc_facts read it whole, then the comparison
    _same(after, full)
    assert "fr" in after.langs
