"""The digest facts: the views and metrics read from them equal the old from-posts counting,
and a write marks exactly the weeks it changed (tests/reports/history.py's planted history)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from earshot.nlp.records import Annotation, TopicMatch
from earshot.reports.digest import build_digest
from earshot.warehouse import digest_posts, digest_queries, open_warehouse, questions
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.facts import (
    FACT_TABLES,
    StaleFacts,
    dirty_weeks,
    mark_all_dirty,
    needs_refresh,
    refresh_facts,
    require_fresh,
)
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources
from earshot.warehouse.taxonomy import sync_taxonomy
from tests.reports.history import WEEK, History, build_history
from tests.warehouse import metrics_from_posts as ref

REFERENCE_SQL = Path(__file__).with_name("digest_views_from_posts.sql")

VIEWS = [
    "_topic_week_stats",
    "topic_movement",
    "term_movement",
    "emerging_terms",
    "audience_questions",
    "topic_share_4w",
    "bucket_balance_4w",
    "week_coverage",
    "week_languages",
    "topic_weekly",
]

WEEKS = [f"2026-W{n}" for n in range(38, 50)]  # the history's weeks and one either side

METRICS: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = [
    ("top_posts", digest_posts.top_posts, ref.top_posts),
    ("source_coverage", digest_queries.source_coverage, ref.source_coverage),
    ("topic_movements", digest_queries.topic_movements, ref.topic_movements),
    ("emerging_terms", digest_queries.emerging_terms, ref.emerging_terms),
    ("audience_questions", questions.audience_questions, ref.audience_questions),
    ("topic_shares", digest_queries.topic_shares, ref.topic_shares),
    ("bucket_balance", digest_queries.bucket_balance, ref.bucket_balance),
    ("coverage", digest_queries.coverage, ref.coverage),
    ("silent_sources", digest_queries.silent_sources, ref.silent_sources),
]


def same(value: Any) -> Any:
    """A comparable form: dataclasses as tuples, floats to 12 significant digits (a sum's
    last bits depend on the order DuckDB's threads add in)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return same(dataclasses.astuple(value))
    if isinstance(value, (list, tuple)):
        return tuple(same(v) for v in value)
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[Any]:
    return sorted((same(r) for r in con.execute(sql).fetchall()), key=repr)


def facts(con: duckdb.DuckDBPyConnection) -> dict[str, list[Any]]:
    return {t: rows(con, f"SELECT * FROM {t}") for t in FACT_TABLES}


def assert_same_as_from_posts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(REFERENCE_SQL.read_text(encoding="utf-8"))
    for view in VIEWS:
        ref = f"ref_{view.removeprefix('_')}"
        assert rows(con, f"SELECT * FROM {view}") == rows(con, f"SELECT * FROM {ref}"), view
    for week in WEEKS:
        for name, from_facts, from_posts in METRICS:
            assert same(from_facts(con, week)) == same(from_posts(con, week)), (name, week)


@pytest.fixture
def history(tmp_path: Path) -> History:
    return build_history(tmp_path / "history.duckdb")


def test_views_and_metrics_from_facts_equal_the_counting_over_posts(history: History) -> None:
    con = history.con
    assert not needs_refresh(con)
    assert con.execute("SELECT count(*) FROM _fact_weeks").fetchall()[0][0] == 9  # W39..W47
    assert_same_as_from_posts(con)
    # the planted answers come through (one of each, see tests/reports/history.py)
    assert [e.term for e in digest_queries.emerging_terms(con, WEEK)] == ["#wärmepumpe"]
    assert digest_queries.coverage(con, WEEK).duplicates == 1


def test_a_write_dirties_exactly_its_weeks_and_the_refresh_equals_a_rebuild(
    history: History,
) -> None:
    con = history.con
    w44, w47 = date(2026, 10, 26), date(2026, 11, 16)
    # new posts in one week (W44: 3 weeks before W47), stored as collect stores them
    late = History(con)
    for i in range(3):
        late.add(f"late-{i}", 3, topics=("price",), label="negative", terms=("nachzügler",))
    insert_posts(con, late.posts, "load-3")
    assert dirty_weeks(con) == [w44]
    # a re-tag of one W47 post (as enrich stores it): only its week
    (retagged,) = [pid for pid, name in history.names.items() if name == "s0-0"]
    store_annotations(
        con,
        [
            Annotation(
                retagged,
                "de",
                1.0,
                -0.5,
                "negative",
                True,
                ("neu",),
                (TopicMatch("climate", None, ("klima",)),),
            )
        ],
        pipeline_version="t.v2",
        load_id="load-4",
    )
    assert dirty_weeks(con) == [w44, w47]
    assert refresh_facts(con) == 2
    assert not needs_refresh(con) and dirty_weeks(con) == []
    incremental = facts(con)
    mark_all_dirty(con, "test")
    assert refresh_facts(con) == 9
    assert facts(con) == incremental
    assert_same_as_from_posts(con)


def test_taxonomy_zone_and_owner_changes_rebuild_everything(history: History) -> None:
    con = history.con
    topics = [
        ("service", "Kundenservice", "practice"),
        ("price", "Preise", "expert"),
        ("climate", "Klima", None),
    ]
    buckets = [("expert", "Fachwissen", 0.5), ("practice", "Praxis", 0.5)]
    sync_taxonomy(con, topics, buckets, timezone="Europe/Berlin")  # as every job starts
    assert not needs_refresh(con)
    sync_taxonomy(
        con, [*topics[:2], ("climate", "Klima", "expert")], buckets, timezone="Europe/Berlin"
    )
    assert needs_refresh(con)
    refresh_facts(con)
    assert_same_as_from_posts(con)
    sync_taxonomy(con, topics, buckets, timezone="America/New_York")
    assert needs_refresh(con)
    refresh_facts(con)
    assert_same_as_from_posts(con)
    sync_sources(con, [SourceRow("quiet", "feed", "https://quiet.example.org/rss", True)])
    assert needs_refresh(con)
    refresh_facts(con)
    assert_same_as_from_posts(con)


def test_a_reader_of_stale_facts_gets_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    h = build_history(path)
    more = History(h.con)
    more.add("x", 0, topics=("price",))
    insert_posts(h.con, more.posts, "load-3")  # a write cycle that stops before its refresh
    before = facts(h.con)
    digest = {"week": WEEK, "organisation": "O", "timezone": "Europe/Berlin", "language": "de"}
    with pytest.raises(StaleFacts, match=r"2026-W47.*`earshot enrich`"):
        build_digest(h.con, **digest)  # type: ignore[arg-type]
    assert needs_refresh(h.con) and dirty_weeks(h.con) == [date(2026, 11, 16)]
    assert facts(h.con) == before  # a writable connection, and still nothing written
    h.con.close()
    con = open_warehouse(path, read_only=True)
    try:
        with pytest.raises(StaleFacts, match="2026-W47"):
            build_digest(con, **digest)  # type: ignore[arg-type]
    finally:
        con.close()
    con = open_warehouse(path)
    try:
        mark_all_dirty(con, "test rebuild")
        with pytest.raises(StaleFacts, match=r"all weeks \(test rebuild\)"):
            require_fresh(con)
        assert refresh_facts(con) == 9  # the writer's refresh
        require_fresh(con)
        assert build_digest(con, **digest).coverage.audience_posts > 0  # type: ignore[arg-type]
    finally:
        con.close()
