"""Enrichment records each post's distinct word parts (the topic matcher's input) with its tags;
the index says it covers the posts only when every post's parts are current."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from earshot.explore.preview_matching import _tokenizer, post_sequence
from earshot.listeners.records import Post
from earshot.nlp import Enricher, TopicRule
from earshot.nlp.records import TopicTags
from earshot.nlp.topics import distinct_parts, matcher_identity
from earshot.pipelines.tagging import record_tagging
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import store_enriched
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources
from earshot.warehouse.topic_parts import parts_version, postings, vocabulary
from tests.warehouse.feed_posts import feed_post
from tests.warehouse.test_retag import enrich_all

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
TEXTS = [
    ("Der #KundenService war super, danke @DB_Bahn! Kundenservices", "de"),
    ("Die Hotline-Nummer: https://example.org/hotline", "de"),
    ("Our customerExperience report", "en"),
    ("", "en"),
]
TAXONOMY = (TopicRule("service", None, {"de": ("Kundenservice",)}),)


def _posts(texts: list[tuple[str, str]], start: int = 0) -> list[Post]:
    return [
        feed_post(n, text, lang=lang, published_at=NOW - timedelta(hours=n), fetched_at=NOW)
        for n, (text, lang) in enumerate(texts, start=start)
    ]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(c, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    insert_posts(c, _posts(TEXTS), load_id="collect-1")
    yield c
    c.close()


def _stored_parts(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, ...]]:
    rows = con.execute(
        "SELECT p.doc, list(w.part ORDER BY w.part) FILTER (WHERE w.part IS NOT NULL) "
        "FROM (SELECT doc, unnest(CASE WHEN len(part_ids) = 0 THEN [NULL] ELSE part_ids END) "
        "AS id FROM _post_parts) p LEFT JOIN _part_words w ON w.part_id = p.id GROUP BY p.doc"
    ).fetchall()
    return {int(doc): tuple(parts or ()) for doc, parts in rows}


def test_each_posts_parts_are_what_the_matcher_reads(con: duckdb.DuckDBPyConnection) -> None:
    enricher = Enricher(TAXONOMY, batch_size=2)
    assert parts_version(con) is None  # nothing tagged yet
    record_tagging(con, enricher)
    enrich_all(con, enricher, batch_size=2)
    assert parts_version(con) == (enricher.topics_version, matcher_identity())
    texts = con.execute(
        "SELECT p.rowid, coalesce(p.title, ''), p.text, a.lang FROM _posts p "
        "JOIN _annotations a USING (post_id)"
    ).fetchall()
    want = {
        int(doc): distinct_parts(post_sequence(_tokenizer(lang), title, text))
        for doc, title, text, lang in texts
    }
    assert _stored_parts(con) == want
    assert {"kunden", "service", "kundenservices", "db", "bahn"} <= set(want[0])
    # the vocabulary holds each part once; its look-ups find the posts holding a part
    assert con.execute("SELECT count(*) = count(DISTINCT part) FROM _part_words").fetchall()[0][0]
    found = dict(vocabulary(con, ["service"]))
    assert set(found.values()) == {"service", "kundenservices"}
    docs, ids = postings(con, list(found))
    assert sorted(set(docs.tolist())) == [0]
    assert set(ids.tolist()) == set(found)


def test_the_index_covers_the_posts_only_while_every_post_is_current(
    con: duckdb.DuckDBPyConnection,
) -> None:
    enricher = Enricher(TAXONOMY, batch_size=2)
    record_tagging(con, enricher)
    enrich_all(con, enricher, batch_size=2)
    assert parts_version(con) is not None
    insert_posts(con, _posts([("Neuer Beitrag zur Hotline", "de")], start=10), load_id="c-2")
    assert parts_version(con) is None  # a post not tagged yet
    enrich_all(con, enricher, batch_size=2)
    assert parts_version(con) is not None
    other = Enricher((TopicRule("service", None, {"de": ("Hotline",)}),), batch_size=2)
    record_tagging(con, other)
    enrich_all(con, other, batch_size=2, stop=1)
    assert parts_version(con) is None  # a re-tag half-way
    enrich_all(con, other, batch_size=2)
    assert parts_version(con) == (other.topics_version, matcher_identity())
    # a post re-tagged without parts (code from before they were recorded) is not covered
    post_id = con.execute("SELECT post_id FROM _posts LIMIT 1").fetchall()[0][0]
    store_enriched(
        con,
        [],
        [TopicTags(post_id, ())],
        pipeline_version=other.analysis_version,
        topics_version=other.topics_version,
        load_id="old",
    )
    assert parts_version(con) is None  # (until something re-tags it)
