"""Re-tagging: a taxonomy change rewrites topic tags only, a lexicon change the analysis only;
batches commit atomically with the load's progress, so an interrupted run resumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from earshot.listeners.records import Post
from earshot.nlp import Enricher, TopicRule
from earshot.nlp.records import TopicMatch, TopicTags
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import StaleCursor, count_stale, next_stale, store_enriched
from earshot.warehouse.loads import start_load
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources
from tests.warehouse.feed_posts import feed_post

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
TEXTS = [
    ("Der Kundenservice war heute super freundlich, danke!", "de"),
    ("Die Hotline hat mich eine Stunde warten lassen. Furchtbar.", "de"),
    ("Wann kommt der nächste Newsletter?", "de"),
    ("I love the new mailing list, great tips", "en"),
    ("The hotline was useless and rude", "en"),
    ("Our marketing team shared the customer experience report", "en"),
    ("Nothing to see here, just a sunny day", "en"),
]
TAXONOMY = (
    TopicRule("service", "care", {"de": ("Kundenservice",), "en": ("customer experience",)}),
    TopicRule("newsletter", "owned", {"de": ("Newsletter",), "en": ("mailing list",)}),
    TopicRule("marketing", None, {"en": ("Marketing",)}),
)
# the same taxonomy with one more term for "service"
WIDER = (
    TopicRule(
        "service",
        "care",
        {"de": ("Kundenservice", "Hotline"), "en": ("customer experience", "hotline")},
    ),
    *TAXONOMY[1:],
)


@pytest.fixture(scope="module")
def before() -> Enricher:
    return Enricher(TAXONOMY, batch_size=4)


@pytest.fixture(scope="module")
def wider() -> Enricher:
    return Enricher(WIDER, batch_size=4)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(c, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    posts = [
        feed_post(
            n, f"{text} ({n})", lang=lang, published_at=NOW - timedelta(hours=n), fetched_at=NOW
        )
        for n, (text, lang) in enumerate(TEXTS * 3)
    ]
    insert_posts(c, posts, load_id="collect-1")
    return c


def enrich_all(
    con: duckdb.DuckDBPyConnection, enricher: Enricher, *, batch_size: int = 4, stop: int = 0
) -> tuple[str, int]:
    """The `enrich` flow's loop without Prefect; `stop` > 0 interrupts it after that many
    stored batches, with one more batch annotated but never stored (a kill in mid-batch)."""
    load_id = start_load(con, "enrich")
    cursor = StaleCursor(enricher.analysis_version, enricher.topics_version)
    stored = batches = 0
    while True:
        batch, cursor = next_stale(con, cursor, batch_size)
        if not batch:
            return load_id, stored
        result = enricher.enrich(batch)
        if stop and batches == stop:
            return load_id, stored
        stored += store_enriched(
            con,
            result.annotations,
            result.topic_tags,
            pipeline_version=cursor.pipeline_version,
            topics_version=cursor.topics_version,
            load_id=load_id,
        )
        batches += 1


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return sorted(con.execute(sql).fetchall())


ANNOTATIONS = "SELECT * FROM _annotations"
TAGS = "SELECT post_id, topic_id, matched_terms, pipeline_version, load_id FROM _post_topics"
RUNS = "SELECT * FROM _topic_runs"


def test_versions_split_taxonomy_from_analysis(
    before: Enricher, wider: Enricher, tmp_path: Path
) -> None:
    assert wider.analysis_version == before.analysis_version
    assert wider.topics_version != before.topics_version
    lexicon = tmp_path / "de.tsv"
    lexicon.write_text("freundlich\t3\nfurchtbar\t-3\n", encoding="utf-8")
    own = Enricher(TAXONOMY, lexicons={"de": lexicon})
    assert own.topics_version == before.topics_version
    assert own.analysis_version != before.analysis_version


def test_taxonomy_change_rewrites_only_topic_tags(
    con: duckdb.DuckDBPyConnection, before: Enricher, wider: Enricher
) -> None:
    _, stored = enrich_all(con, before)
    assert stored == len(TEXTS) * 3
    annotations = rows(con, ANNOTATIONS)
    assert count_stale(con, wider.analysis_version, wider.topics_version) == stored
    assert count_stale(con, wider.analysis_version) == 0  # the analysis is still current

    cursor = StaleCursor(wider.analysis_version, wider.topics_version)
    batch, _ = next_stale(con, cursor, 100)
    assert all(post.lang is not None and post.topics_stale for post in batch)

    load_id, retagged = enrich_all(con, wider)
    assert retagged == stored
    assert rows(con, ANNOTATIONS) == annotations  # sentiment etc. untouched, same annotated_at
    runs = rows(con, "SELECT topics_version, load_id FROM _topic_runs")
    assert set(runs) == {(wider.topics_version, load_id)}
    # the tags are exactly what a full enrichment with the new taxonomy gives
    texts = rows(con, "SELECT post_id, text, lang_hint FROM _posts")
    expected = sorted((a.post_id, m.topic_id) for a in wider.annotate(texts) for m in a.topics)
    assert rows(con, "SELECT post_id, topic_id FROM _post_topics") == expected
    hotline = rows(
        con,
        "SELECT p.text FROM _post_topics t JOIN _posts p USING (post_id) "
        "WHERE t.topic_id = 'service' AND list_contains(t.matched_terms, 'hotline')",
    )
    assert hotline and all("otline" in text for (text,) in hotline)
    assert count_stale(con, wider.analysis_version, wider.topics_version) == 0
    assert enrich_all(con, wider)[1] == 0  # nothing left to do


def test_lexicon_change_reruns_analysis_and_keeps_topic_tags(
    con: duckdb.DuckDBPyConnection, before: Enricher, tmp_path: Path
) -> None:
    enrich_all(con, before)
    tags, runs = rows(con, TAGS), rows(con, RUNS)
    lexicon = tmp_path / "de.tsv"
    lexicon.write_text("freundlich\t3\nfurchtbar\t-3\n", encoding="utf-8")
    own = Enricher(TAXONOMY, lexicons={"de": lexicon}, batch_size=4)
    load_id, redone = enrich_all(con, own)
    assert redone == len(TEXTS) * 3
    assert rows(con, TAGS) == tags and rows(con, RUNS) == runs
    assert set(rows(con, "SELECT pipeline_version, load_id FROM _annotations")) == {
        (own.analysis_version, load_id)
    }


def test_interrupted_retag_resumes_without_redoing_stored_batches(
    con: duckdb.DuckDBPyConnection, before: Enricher, wider: Enricher
) -> None:
    enrich_all(con, before)
    first_load, stored = enrich_all(con, wider, stop=2)
    assert stored == 8  # two batches of four; the third was annotated, then "killed"
    assert con.execute(
        "SELECT rows_added FROM _loads WHERE load_id = ?", [first_load]
    ).fetchall() == [(8,)]  # the progress marker committed with the batches
    done_first = rows(con, f"SELECT * FROM _topic_runs WHERE load_id = '{first_load}'")
    assert len(done_first) == 8

    second_load, rest = enrich_all(con, wider)
    assert rest == len(TEXTS) * 3 - 8
    assert rows(con, f"SELECT * FROM _topic_runs WHERE load_id = '{first_load}'") == done_first
    assert con.execute("SELECT count(DISTINCT post_id) FROM _topic_runs").fetchall() == [(21,)]
    assert rows(con, "SELECT DISTINCT topics_version FROM _topic_runs") == [(wider.topics_version,)]
    duplicates = "SELECT count(*) - count(DISTINCT (post_id, topic_id)) FROM _post_topics"
    assert con.execute(duplicates).fetchall() == [(0,)]
    assert second_load != first_load


def test_a_failing_batch_stores_nothing(con: duckdb.DuckDBPyConnection, before: Enricher) -> None:
    load_id = start_load(con, "enrich")
    cursor = StaleCursor(before.analysis_version, before.topics_version)
    batch, cursor = next_stale(con, cursor, 4)
    result = before.enrich(batch)
    match = TopicMatch("service", "care", ("x",))
    twice = TopicTags(batch[0].post_id, (match, match))  # the same tag twice breaks the key
    with pytest.raises(duckdb.ConstraintException):
        store_enriched(
            con,
            result.annotations,
            (*result.topic_tags, twice),
            pipeline_version=cursor.pipeline_version,
            topics_version=cursor.topics_version,
            load_id=load_id,
        )
    assert rows(con, "SELECT count(*) FROM _annotations") == [(0,)]
    assert rows(con, "SELECT count(*) FROM _topic_runs") == [(0,)]
    assert rows(con, f"SELECT rows_added FROM _loads WHERE load_id = '{load_id}'") == [(0,)]


def test_a_pass_reads_window_by_window_and_ends_where_it_began(
    con: duckdb.DuckDBPyConnection, before: Enricher
) -> None:
    cursor = StaleCursor(before.analysis_version, before.topics_version, window=5)
    seen: list[str] = []
    batch, cursor = next_stale(con, cursor, 3)
    # a post collected during the pass waits for the next one
    late = Post(
        platform="feed",
        source_id="blog",
        external_id="late",
        url="https://example.org/late",
        author=None,
        author_handle=None,
        title="Spät",
        text="Kundenservice",
        lang_hint="de",
        published_at=NOW,
        fetched_at=NOW,
    )
    insert_posts(con, [late], load_id="collect-2")
    while batch:
        assert 1 <= len(batch) <= 3
        seen.extend(post.post_id for post in batch)
        batch, cursor = next_stale(con, cursor, 3)
    every = [pid for (pid,) in con.execute("SELECT post_id FROM _posts ORDER BY rowid").fetchall()]
    assert seen == every[:-1] and len(seen) == len(TEXTS) * 3
    assert next_stale(con, cursor, 3)[0] == []
    again, _ = next_stale(con, StaleCursor(before.analysis_version, before.topics_version), 100)
    assert len(again) == len(TEXTS) * 3 + 1
    assert again[-1].text == "Spät\nKundenservice"


def test_a_new_analysis_version_rewrites_only_the_posts_it_changes(
    con: duckdb.DuckDBPyConnection, before: Enricher, tmp_path: Path
) -> None:
    """As a new sentiment model does: every post is looked at again (resumably), but a post
    whose annotation comes out the same keeps its row; only its version moves on."""
    from earshot.nlp.lexicon import packaged_lexicon_path
    from earshot.warehouse.facts import refresh_facts

    enrich_all(con, before)
    refresh_facts(con)
    old = {r[0]: r for r in rows(con, "SELECT post_id, sentiment, annotated_at FROM _annotations")}
    packaged = packaged_lexicon_path("de")
    assert packaged is not None
    lexicon = tmp_path / "de.tsv"  # the packaged lexicon, "furchtbar" now mild and positive
    lexicon.write_text(packaged.read_text(encoding="utf-8") + "furchtbar\t0.5\n", "utf-8")
    after = Enricher(TAXONOMY, lexicons={"de": lexicon}, batch_size=4)
    assert after.analysis_version != before.analysis_version
    load_id, looked_at = enrich_all(con, after)
    assert looked_at == len(old)
    new = rows(
        con, "SELECT post_id, sentiment, annotated_at, load_id, pipeline_version FROM _annotations"
    )
    assert {r[4] for r in new} == {after.analysis_version}
    moved = {r[0] for r in new if r[1] != old[r[0]][1]}
    assert moved and len(moved) < len(old)  # the "Furchtbar." posts only
    for post_id, _, annotated_at, load, _ in new:
        assert (annotated_at != old[post_id][2]) == (post_id in moved)
        assert load == load_id  # the load that found it current
    assert {p for (p,) in con.execute("SELECT post_id FROM _dirty_posts").fetchall()} == moved
    assert count_stale(con, after.analysis_version, after.topics_version) == 0
