"""The teach queue on a real warehouse: never a labelled post, spread over topics and weeks,
the uncertain first (the rules' judgement here: no model is stored)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from earshot.nlp.records import Annotation, TopicMatch
from earshot.nlp.rule_scores import RuleScores
from earshot.nlp.teach import Judge
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.labels import LabelRow, store_labels
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources
from earshot.warehouse.taxonomy import sync_taxonomy
from earshot.warehouse.teach import RelevanceLabels, candidates, labelled_counts, teach_queue
from earshot.warehouse.teach_choice import BALANCE_SHARE, EXPLORE_SHARE, _tiebreak, choose
from tests.warehouse.feed_posts import feed_post

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
# (text, topic, weeks ago): the rules score "pünktlich"/"super" positive, "Störung" negative
POSTS = [
    ("Der Zug war super pünktlich, danke!", "bahn", 0),
    ("Stellwerksstörung, wieder eine Stunde Verspätung", "bahn", 0),
    ("Der Zug fährt heute von Gleis 7", "bahn", 0),
    ("Neuer Fahrplan ab Montag", "bahn", 1),
    ("Die Hotline hat gut geholfen", "service", 0),
    ("Hotline nicht erreichbar, Störung", "service", 1),
    ("Das Wetter in Köln", None, 0),
    ("Schon gelabelt: der Zug", "bahn", 0),
    ("Schon gelabelt per URL", "bahn", 1),
    ("Ein Text, den eine Datei schon bewertet hat", "service", 0),
]


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(c, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    sync_taxonomy(
        c, [("bahn", "Bahn", None), ("service", "Service", None)], [], timezone="Europe/Berlin"
    )
    posts = [
        feed_post(n, text, published_at=NOW - timedelta(weeks=ago), fetched_at=NOW)
        for n, (text, _, ago) in enumerate(POSTS)
    ]
    insert_posts(c, posts, load_id="collect-1")
    ids = dict(c.execute("SELECT url, post_id FROM _posts").fetchall())
    annotations = [
        Annotation(
            ids[f"https://example.org/{n}"],
            "de",
            0.99,
            0.0,
            "neutral",
            False,
            (),
            (TopicMatch(topic, None, ("x",)),) if topic else (),
        )
        for n, (_, topic, _) in enumerate(POSTS)
    ]
    store_annotations(c, annotations, pipeline_version="v1", load_id="enrich-1")
    store_labels(
        c,
        [
            LabelRow(2, post_id=ids["https://example.org/7"], sentiment="neutral"),
            LabelRow(3, url="https://example.org/8", topic_id="bahn", relevant=True),
            LabelRow(4, text=POSTS[9][0], lang="de", sentiment="negative"),
        ],
        source="f.csv",
        labelled_by="ana",
        now=NOW,
    )
    return c


@pytest.fixture(scope="module")
def judge() -> Judge:
    return Judge({"de": RuleScores("de")}, {})


def test_labelled_posts_are_never_candidates(con: duckdb.DuckDBPyConnection) -> None:
    texts = {c.text for c in candidates(con)}
    assert texts == {text for text, _, _ in POSTS[:7]}  # by id, by URL, by text: left out
    assert labelled_counts(con) == {"de": {"negative": 1, "neutral": 1, "positive": 0}}


def test_the_queue_spreads_over_topics_and_weeks(
    con: duckdb.DuckDBPyConnection, judge: Judge
) -> None:
    queue = teach_queue(con, judge, 5)
    strata = [(item.topic_id, item.week) for item in queue]
    assert len(strata) == 5 and len(set(strata)) == 5  # five strata, one post each
    assert {item.week for item in queue} == {"2026-W47", "2026-W46"}
    assert "" in {item.topic_id for item in queue}  # a post of no topic is asked about too
    everything = teach_queue(con, judge, 100)
    assert len(everything) == 7  # no more than there are, none twice
    assert len({item.post_id for item in everything}) == 7


def test_posts_the_rules_put_in_a_class_short_of_labels_come_first(
    con: duckdb.DuckDBPyConnection, judge: Judge
) -> None:
    # no positive label yet, so the posts the rules call positive are asked about first
    queue = teach_queue(con, judge, 100)
    first = [item.text for item in queue[:2]]
    assert set(first) == {POSTS[0][0], POSTS[4][0]}, [(i.text, i.uncertainty) for i in queue]


def test_choose_goes_round_the_strata_most_uncertain_first() -> None:
    uncertainties = [0.9, 0.8, 0.7, 0.95, 0.1, 0.5]
    strata = ["a", "a", "a", "b", "b", "c"]
    keys = [str(i) for i in range(6)]
    assert choose(uncertainties, strata, keys, 6, explore=0.0) == [3, 0, 5, 4, 1, 2]
    assert choose(uncertainties, strata, keys, 2, explore=0.0) == [3, 0]
    assert choose(uncertainties, ["one"] * 6, keys, 3, explore=0.0) == [3, 0, 1]  # plain


def test_ties_are_not_decided_by_position() -> None:
    keys = [f"post-{i}" for i in range(50)]
    picked = choose([0.5] * 50, ["s"] * 50, keys, 10)
    assert picked != list(range(10))
    assert picked == choose([0.5] * 50, ["s"] * 50, keys, 10)  # but always the same


def test_another_seed_explores_another_sample_and_seed_0_keeps_the_queue_s_order() -> None:
    keys = [f"post-{i}" for i in range(100)]
    uncertainties = [i / 100 for i in range(100)]
    assert choose(uncertainties, ["s"] * 100, keys, 10, seed=0) == choose(
        uncertainties, ["s"] * 100, keys, 10
    )
    seeded = choose(uncertainties, ["s"] * 100, keys, 10, seed=3)
    assert seeded == choose(uncertainties, ["s"] * 100, keys, 10, seed=3)  # deterministic
    explored = round(10 * EXPLORE_SHARE)
    assert seeded[:explored] != choose(uncertainties, ["s"] * 100, keys, 10)[:explored]
    assert seeded[:explored] == sorted(range(100), key=lambda i: _tiebreak(keys[i], 3))[:explored]


def test_the_exploration_sample_draws_only_on_explorable_items_at_their_share() -> None:
    keys = [f"post-{i}" for i in range(100)]
    uncertainties = [i / 100 for i in range(100)]
    never = [False] * 100
    assert choose(uncertainties, ["s"] * 100, keys, 10, explorable=never) == choose(
        uncertainties, ["s"] * 100, keys, 10, explore=0.0
    )
    assert choose(uncertainties, ["s"] * 100, keys, 10, explorable=[True] * 100) == choose(
        uncertainties, ["s"] * 100, keys, 10
    )
    half = [i % 2 == 0 for i in range(100)]  # e.g. the sentiment questions among relevance ones
    picked = choose(uncertainties, ["s"] * 100, keys, 10, explorable=half)
    explored = round(10 * EXPLORE_SHARE * 0.5)
    sample = [i for i in sorted(range(100), key=lambda i: _tiebreak(keys[i])) if half[i]]
    assert picked[:explored] == sample[:explored]
    rest = [i for i in range(99, -1, -1) if i not in picked[:explored]]
    assert picked[explored:] == rest[: 10 - explored]  # the others: the most uncertain


def test_a_share_of_the_picks_is_a_seeded_random_sample_not_the_most_uncertain() -> None:
    keys = [f"post-{i}" for i in range(100)]
    uncertainties = [i / 100 for i in range(100)]  # post-99 the most uncertain
    picked = choose(uncertainties, ["s"] * 100, keys, 10)
    assert len(picked) == 10 == len(set(picked))
    by_hash = sorted(range(100), key=lambda i: _tiebreak(keys[i]))
    explored = by_hash[: round(10 * EXPLORE_SHARE)]
    assert picked[: len(explored)] == explored  # the sample first, in the hash order
    rest = [i for i in sorted(range(100), key=lambda i: -uncertainties[i]) if i not in explored]
    assert picked[len(explored) :] == rest[: 10 - len(explored)]  # then the most uncertain


def test_the_likeliest_of_a_short_class_take_their_share_first() -> None:
    keys = [f"post-{i}" for i in range(40)]
    short = [i % 8 == 0 for i in range(40)]  # 5 of them
    picked = choose([0.5] * 40, ["s"] * 40, keys, 10, short=short, explore=0.0)
    assert sorted(picked[: round(10 * BALANCE_SHARE)]) == [0, 8, 16, 24, 32]
    assert not any(short[i] for i in picked[5:])
    # no short class (all False): no such lane
    assert choose([0.5] * 40, ["s"] * 40, keys, 10, short=[False] * 40, explore=0.0) == choose(
        [0.5] * 40, ["s"] * 40, keys, 10, explore=0.0
    )


def test_near_duplicates_are_asked_about_once_while_others_remain() -> None:
    twins = {0, 1, 2}  # the three most uncertain say the same

    def too_close(i: int, chosen: Sequence[int]) -> bool:
        return i in twins and any(c in twins for c in chosen)

    uncertainties = [0.99, 0.98, 0.97, 0.5, 0.4]
    keys = [str(i) for i in range(5)]
    picked = choose(uncertainties, ["s"] * 5, keys, 3, explore=0.0, too_close=too_close)
    assert picked == [0, 3, 4]
    # fewer others than asked for: the near-duplicates fill the rest
    assert choose(uncertainties, ["s"] * 5, keys, 5, explore=0.0, too_close=too_close) == [
        0, 3, 4, 1, 2
    ]  # fmt: skip


def test_the_lanes_together_spread_over_the_strata() -> None:
    keys = [f"post-{i}" for i in range(12)]
    strata = ["a", "b", "c"] * 4
    picked = choose([0.5] * 12, strata, keys, 3, short=[i % 2 == 0 for i in range(12)])
    assert sorted(strata[i] for i in picked) == ["a", "b", "c"]


def test_a_topic_with_enough_relevance_labels_is_asked_about_each_post_once(
    con: duckdb.DuckDBPyConnection,
) -> None:
    bahn = RelevanceLabels(
        ["Zug fällt aus", "Zug verspätet", "Bahn streikt", "Bahnhof Kiosk", "Bahn frei", "Zugluft"],
        [True, True, True, False, False, False],
        [("x",)] * 6,
    )
    few = RelevanceLabels(["Hotline", "Hotelhotline"], [True, False], [("x",), ("x",)])
    judge = Judge({"de": RuleScores("de")}, {}, relevance_labelled={"bahn": bahn, "service": few})
    assert judge.relevance_topics() == ["bahn"]  # service: too few labels of each verdict
    everything = teach_queue(con, judge, 100)
    asked = {(item.question, item.topic_id) for item in everything}
    assert ("relevance", "bahn") in asked and ("relevance", "service") not in asked
    assert len(everything) == 7 == len({item.post_id for item in everything})  # each once
    assert all(  # a judge without relevance labels asks about sentiment only
        item.question == "sentiment"
        for item in teach_queue(con, Judge({"de": RuleScores("de")}, {}), 100)
    )
