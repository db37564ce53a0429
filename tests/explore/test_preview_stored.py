"""The query preview takes a configured topic's terms from the stored matches when the stored
tags were made with that definition by this matcher, and still decides exactly what the matcher
decides of the whole previewed definition (edits included); otherwise it matches as before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from earshot.explore import preview_matching, preview_stored, topic_preview
from earshot.listeners.records import Post
from earshot.nlp import Enricher, TopicRule
from earshot.pipelines.tagging import record_tagging
from earshot.warehouse import open_warehouse
from earshot.warehouse.search_facts import doc_facts
from earshot.warehouse.search_index import refresh_search_index
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources
from earshot.warehouse.topic_definitions import stored_definition
from tests.warehouse.feed_posts import feed_post
from tests.warehouse.test_retag import enrich_all

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
TEXTS = [
    ("Der Kundenservice war heute super freundlich, danke!", "de"),
    ("Die Hotline hat mich eine Stunde warten lassen.", "de"),
    ("Hotline-Job gesucht: wir stellen ein", "de"),
    ("Kundenservices überall schlecht, die Hotline auch", "de"),
    ("Unser Kundenservicezentrum ist umgezogen", "de"),
    ("The hotline was useless and rude", "en"),
    ("Our team shared the customer experience report", "en"),
    ("#customerexperience matters, call the hotline", "en"),
    ("Hotline job ad: customer experience agents wanted", "en"),
    ("Nothing to see here, just a sunny day", "en"),
]
SERVICE = TopicRule(
    "service",
    "care",
    {"de": ("Kundenservice", "Hotline"), "en": ("customer experience",)},
    {"de": ("Hotline-Job",), "en": ("job ad",)},
)
TAXONOMY = (SERVICE, TopicRule("weather", None, {"en": ("sunny",)}))


def _posts() -> list[Post]:
    return [
        feed_post(
            n, f"{text} ({n})", lang=lang, published_at=NOW - timedelta(hours=n), fetched_at=NOW
        )
        for n, (text, lang) in enumerate(TEXTS * 2)
    ]


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher(TAXONOMY, batch_size=8)


@pytest.fixture
def con(tmp_path: Path, enricher: Enricher) -> Iterator[duckdb.DuckDBPyConnection]:
    c = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(c, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    insert_posts(c, _posts(), load_id="collect-1")
    record_tagging(c, enricher)  # as the enrich flow does before it stores tags
    enrich_all(c, enricher)
    refresh_search_index(c)  # as publishing the analytics copy does
    yield c
    c.close()


EDITS = {
    "configured": SERVICE,
    "a term more": TopicRule(
        "service",
        "care",
        {**SERVICE.terms, "en": ("customer experience", "hotline")},
        SERVICE.exclude,
    ),
    "a term less": TopicRule("service", "care", {"de": ("Hotline",)}, SERVICE.exclude),
    "an exclusion more": TopicRule(
        "service", "care", SERVICE.terms, {**SERVICE.exclude, "de": ("Hotline-Job", "Stunde")}
    ),
    "an exclusion less": TopicRule("service", "care", SERVICE.terms, {"de": ("Hotline-Job",)}),
    "no exclusion": TopicRule("service", "care", SERVICE.terms),
    "a query": TopicRule("service", "care", SERVICE.terms, SERVICE.exclude, query="hotline"),
}


@pytest.mark.parametrize("name", EDITS)
def test_stored_terms_decide_as_the_matcher(con: duckdb.DuckDBPyConnection, name: str) -> None:
    rule = EDITS[name]
    facts = doc_facts(con)
    window = facts.stored
    tagged, evidence, looked = topic_preview._decide(con, rule, window, facts, (0, 1))
    every = preview_matching.candidates(con, [rule], window)
    [(whole, whole_evidence)] = preview_matching.match(con, [rule], every, facts)
    assert len(whole) >= 5  # the test means something
    assert np.array_equal(tagged, whole)
    assert {d: evidence(d) for d in whole.tolist()} == whole_evidence
    if name == "configured":
        assert looked < len(every)  # only the exclusions were matched


def test_the_configured_topic_needs_only_its_exclusions_matched(
    con: duckdb.DuckDBPyConnection,
) -> None:
    facts = doc_facts(con)
    known = preview_stored.stored_term_pieces(con, SERVICE, facts, facts.stored)
    assert set(known) == {("de", "Kundenservice"), ("de", "Hotline"), ("en", "customer experience")}
    assert all(len(docs) for docs in known.values())


def test_tags_of_another_definition_are_not_taken(
    con: duckdb.DuckDBPyConnection, enricher: Enricher
) -> None:
    other = Enricher((TopicRule("service", "care", {"de": ("Hotline",)}), TAXONOMY[1]))
    record_tagging(con, other)
    stored = stored_definition(con, "service")
    assert stored is not None and stored.topics_version == enricher.topics_version
    enrich_all(con, other, stop=1)  # a re-tag half-way: two versions among the posts
    assert stored_definition(con, "service") is None
    facts = doc_facts(con)
    assert preview_stored.stored_term_pieces(con, SERVICE, facts, facts.stored) == {}
    enrich_all(con, other)  # done: every post tagged by the other definition
    stored = stored_definition(con, "service")
    assert stored is not None and stored.definition["terms"] == {"de": ["Hotline"]}
    facts = doc_facts(con)
    assert set(preview_stored.stored_term_pieces(con, SERVICE, facts, facts.stored)) == {
        ("de", "Hotline")
    }  # its one term, the others matched
    tagged, _, _ = topic_preview._decide(con, SERVICE, facts.stored, facts, (2, 3))
    every = preview_matching.candidates(con, [SERVICE], facts.stored)
    [(whole, _)] = preview_matching.match(con, [SERVICE], every, facts)
    assert np.array_equal(tagged, whole)


def test_posts_not_tagged_yet_leave_the_matcher_to_decide(tmp_path: Path) -> None:
    c = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(c, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    insert_posts(c, _posts(), load_id="collect-1")
    assert stored_definition(c, "service") is None
    c.close()
