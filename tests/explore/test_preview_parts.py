"""The query preview of a topic not in the config decides one-word pieces from the parts index
(the matcher's own input, recorded by enrichment) and leaves only phrases and queries to the
matcher; the result is exactly what the matcher says of the whole definition (posts, weeks,
evidence). Where the index does not cover every post, the preview matches as before."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from earshot.explore import preview_matching, preview_parts, topic_preview
from earshot.listeners.records import Post
from earshot.nlp import Enricher, TopicRule
from earshot.nlp.normalise import split_parts
from earshot.pipelines.tagging import record_tagging
from earshot.warehouse import open_warehouse
from earshot.warehouse.search_facts import doc_facts
from earshot.warehouse.search_index import refresh_search_index
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources
from tests.warehouse.feed_posts import feed_post
from tests.warehouse.test_retag import enrich_all

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
TEXTS = [
    ("Wir sehen uns auf der Messe in Köln!", "de"),
    ("Messen sind teuer, sagt der Messeveranstalter", "de"),  # inflection; not a compound tail
    ("Die Frankfurter Buchmesse war voll", "de"),  # a compound's tail
    ("#MesseKöln war super, #messekoeln auch", "de"),  # camelCase hashtag, joined spelling
    ("Grüße von @Messe_Koeln und vom Kölner Dom", "de"),  # a handle's parts; "-er"
    ("Die Messestände in Koeln sind aufgebaut", "de"),
    ("Im Juni zur trade fair nach London", "de"),  # an English term on a German post
    ("Unsere Tradefair-Woche: London ruft", "de"),
    ("Stellenangebot: Messebau in Köln gesucht", "de"),  # excluded
    ("See you at the trade fair in London", "en"),
    ("Trade fairs are back #tradefair", "en"),
    ("#TradeFair London 2026", "en"),
    ("Londoners love fairs", "en"),  # no inflection of London
    ("The fair trade movement grows", "en"),  # the words, not the phrase
    ("A job fair in London for trade jobs", "en"),
    ("Messe is French for mass", "en"),  # a German term on an English post
    ("Nothing to see here, a sunny day", "en"),
]
EVENTS = TopicRule("events", None, {"de": ("Messe", "Köln"), "en": ("trade fair", "London")})
RULES = {
    "single words and a phrase": EVENTS,
    "exclusions": TopicRule(
        "events", None, EVENTS.terms, {"de": ("Stellenangebot",), "en": ("job fair", "mass")}
    ),
    "camelCase and handles": TopicRule(
        "events", None, {"de": ("MesseKöln", "@Messe_Koeln", "Dom")}
    ),
    "a compound term": TopicRule("events", None, {"de": ("Buchmesse", "Tradefair")}),
    "a query with NEAR": TopicRule("events", None, {"de": ("Messe",)}, query="London NEAR/3 fair"),
    "a query without terms": TopicRule("events", None, {}, query="fair AND NOT London"),
    "a query holding without terms": TopicRule("events", None, {}, query="NOT Messe"),
}


def _posts() -> list[Post]:
    return [
        feed_post(
            n,
            f"{text} ({n})",
            lang=lang,
            published_at=NOW - timedelta(days=3 + 5 * (n % 7)),
            fetched_at=NOW,
        )
        for n, (text, lang) in enumerate(TEXTS * 2)
    ]


def _warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    c = open_warehouse(path)
    sync_sources(c, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    insert_posts(c, _posts(), load_id="collect-1")
    enricher = Enricher((TopicRule("weather", None, {"en": ("sunny",)}),), batch_size=8)
    record_tagging(c, enricher)  # as the enrich flow does before it stores tags
    enrich_all(c, enricher)
    refresh_search_index(c)  # as publishing the analytics copy does
    return c


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parts") / "w.duckdb"
    _warehouse(path).close()
    return path


@pytest.fixture
def con(built: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path / "w.duckdb"
    shutil.copyfile(built, path)
    c = duckdb.connect(str(path))
    yield c
    c.close()


def _matcher(
    con: duckdb.DuckDBPyConnection, rule: TopicRule
) -> tuple[np.ndarray, dict[int, tuple[str, ...]]]:
    facts = doc_facts(con)
    every = preview_matching.candidates(con, [rule], facts.stored)
    [(whole, evidence)] = preview_matching.match(con, [rule], every, facts)
    return whole, evidence


@pytest.mark.parametrize("name", RULES)
def test_the_index_decides_as_the_matcher(con: duckdb.DuckDBPyConnection, name: str) -> None:
    rule = RULES[name]
    facts = doc_facts(con)
    assert preview_parts.index_usable(con)
    tagged, evidence, looked = topic_preview._decide(con, rule, facts.stored, facts, (0, 1))
    whole, whole_evidence = _matcher(con, rule)
    assert len(whole) >= 4  # the test means something
    assert np.array_equal(tagged, whole)
    assert {d: evidence(d) for d in whole.tolist()} == whole_evidence
    words = [split_parts(t) for ts in (*rule.terms.values(), *rule.exclude.values()) for t in ts]
    if not rule.query and all(len(w) == 1 for w in words):
        assert looked == 0  # every piece from the index
    else:
        every = preview_matching.candidates(con, [rule], facts.stored)
        assert looked <= len(every)  # never more than before
        if not rule.query:
            assert looked < len(every)


def test_the_events_topic_tags_what_it_should(con: duckdb.DuckDBPyConnection) -> None:
    facts = doc_facts(con)
    tagged, evidence, _ = topic_preview._decide(con, EVENTS, facts.stored, facts, (0, 1))
    texts = dict(con.execute("SELECT rowid, text FROM _posts").fetchall())
    found = {texts[d].rsplit(" (", 1)[0] for d in tagged.tolist()}
    # inflections, compound tails, hashtags, handles, terms of another language; not
    # "Londoners" (no inflection of "London") nor "fair trade" (not the phrase)
    assert found == {t for t, _ in TEXTS} - {
        "Londoners love fairs",
        "The fair trade movement grows",
        "Nothing to see here, a sunny day",
    }
    first = next(d for d in tagged.tolist() if texts[d].startswith("Im Juni"))
    assert evidence(first) == ("London", "trade fair")


@pytest.mark.parametrize("name", RULES)
def test_the_preview_equals_the_one_without_the_index(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, name: str
) -> None:
    rule = RULES[name]
    found = topic_preview.preview_topic(con, rule, now=NOW, timezone="Europe/Berlin")
    # the same warehouse with one post's parts missing: the index does not cover it
    path = tmp_path / "incomplete.duckdb"
    con.execute("CHECKPOINT")
    shutil.copyfile(tmp_path / "w.duckdb", path)
    other = duckdb.connect(str(path))
    try:
        other.execute("DELETE FROM _post_parts WHERE doc = (SELECT min(doc) FROM _post_parts)")
        assert not preview_parts.index_usable(other)
        # the same posts give the same facts: forget the pieces decided from the index
        topic_preview._pieces.clear()
        expected = topic_preview.preview_topic(other, rule, now=NOW, timezone="Europe/Berlin")
    finally:
        other.close()
    assert found.matched >= 4 and sum(w.matched for w in found.weeks) == found.matched
    assert found.weeks == expected.weeks
    assert (found.matched, found.added, found.lost) == (
        expected.matched,
        expected.added,
        expected.lost,
    )
    assert found.sample == expected.sample
    assert found.candidates <= expected.candidates


def test_an_incomplete_or_older_index_is_not_used(tmp_path: Path) -> None:
    c = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(c, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    insert_posts(c, _posts(), load_id="collect-1")
    enricher = Enricher((TopicRule("weather", None, {"en": ("sunny",)}),), batch_size=8)
    record_tagging(c, enricher)
    enrich_all(c, enricher, stop=2)  # posts not enriched yet
    assert not preview_parts.index_usable(c)
    enrich_all(c, enricher)
    assert preview_parts.index_usable(c)
    other = Enricher((TopicRule("weather", None, {"en": ("rain",)}),), batch_size=8)
    record_tagging(c, other)
    enrich_all(c, other, stop=1)  # a re-tag half-way
    assert not preview_parts.index_usable(c)
    enrich_all(c, other)
    assert preview_parts.index_usable(c)
    c.execute("UPDATE _topic_definitions SET matcher = 'topics 0; tokenizer 0'")  # older code
    assert not preview_parts.index_usable(c)
    refresh_search_index(c)
    facts = doc_facts(c)
    tagged, _, looked = topic_preview._decide(c, EVENTS, facts.stored, facts, (0, 1))
    assert np.array_equal(tagged, _matcher(c, EVENTS)[0]) and looked >= len(tagged)
    c.close()
