"""Relevance in the warehouse: matches a model set aside are kept apart with their score, a
post's relevance label wins over the model and the rules in `post_topics` and in every digest
figure (through the facts), survives a re-tag, and a re-tag marks only the posts it changes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from earshot.listeners.records import Post
from earshot.nlp.records import Annotation, TopicMatch, TopicTags
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import store_enriched
from earshot.warehouse.digest_queries import coverage
from earshot.warehouse.facts import needs_refresh, refresh_facts
from earshot.warehouse.labels import LabelRow, store_labels
from earshot.warehouse.post_lists import PostFilter, list_posts
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources
from earshot.warehouse.taxonomy import sync_taxonomy

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
WEEK = "2026-W47"
BAHN = TopicMatch("bahn", "risk", ("Bahn",))
TEXTS = {
    "rail": "Die Bahn hat wieder Verspätung.",
    "lane": "Die Bahn im Schwimmbad ist frei.",
    "quiet": "Stellwerksstörung in Köln.",
}


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(c, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    sync_taxonomy(c, [("bahn", "Bahn", "risk")], [("risk", "Risk", 0.5)], timezone="UTC")
    posts = [
        Post(
            platform="feed",
            source_id="blog",
            external_id=name,
            url=f"https://example.org/{name}",
            author=name,
            author_handle=None,
            title=None,
            text=text,
            lang_hint="de",
            published_at=NOW,
            fetched_at=NOW,
        )
        for name, text in TEXTS.items()
    ]
    insert_posts(c, posts, load_id="collect-1")
    ids = dict(c.execute("SELECT external_id, post_id FROM _posts").fetchall())
    annotations = [
        Annotation(ids["rail"], "de", 0.99, -0.5, "negative", False, (), (BAHN,)),
        Annotation(
            ids["lane"], "de", 0.99, 0.0, "neutral", False, (), (),
            rejected_topics=(TopicMatch("bahn", "risk", ("Bahn",), 0.125),),
        ),
        Annotation(ids["quiet"], "de", 0.99, -0.5, "negative", False, (), ()),
    ]  # fmt: skip
    store_enriched(
        c, annotations, annotations, pipeline_version="a1", topics_version="t1", load_id="e1"
    )
    refresh_facts(c)
    return c


def ids(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT external_id, post_id FROM _posts").fetchall())


def tagged(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, ...]]:
    """external_id -> matched terms of its `bahn` tag, as `post_topics` shows them."""
    rows = con.execute(
        "SELECT p.external_id, t.matched_terms FROM post_topics t JOIN _posts p USING (post_id) "
        "WHERE t.topic_id = 'bahn'"
    ).fetchall()
    return {name: tuple(terms) for name, terms in rows}


def set_aside(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[float | None, str]]:
    rows = con.execute(
        "SELECT p.external_id, r.relevance, r.set_aside_by "
        "FROM post_topics_rejected r JOIN _posts p USING (post_id)"
    ).fetchall()
    return {name: (score, by) for name, score, by in rows}


def digest_posts(con: duckdb.DuckDBPyConnection) -> int:
    """The topic's audience posts of the week, as the digest's `topic_movement` counts them."""
    row = con.execute(
        "SELECT posts FROM topic_movement WHERE week = ? AND topic_id = 'bahn'", [WEEK]
    ).fetchone()
    assert row is not None
    return int(row[0])


def label(con: duckdb.DuckDBPyConnection, name: str, relevant: bool, line: int = 2) -> None:
    row = LabelRow(line, post_id=ids(con)[name], topic_id="bahn", relevant=relevant)
    store_labels(con, [row], source="explore", labelled_by="ana", now=NOW, origin="explore")


def test_set_aside_matches_are_kept_apart_with_their_score(con: duckdb.DuckDBPyConnection) -> None:
    assert tagged(con) == {"rail": ("Bahn",)}
    assert set_aside(con) == {"lane": (0.125, "model")}
    assert digest_posts(con) == 1
    week = coverage(con, WEEK)
    assert (week.tagged_posts, week.set_aside) == (1, 1)


def test_corrections_win_in_every_figure_and_survive_a_retag(
    con: duckdb.DuckDBPyConnection,
) -> None:
    label(con, "rail", relevant=False)
    assert needs_refresh(con)  # storing the label marked its post for the facts
    refresh_facts(con)
    assert tagged(con) == {}
    assert set_aside(con) == {"lane": (0.125, "model"), "rail": (None, "correction")}
    assert digest_posts(con) == 0 and coverage(con, WEEK).set_aside == 2

    label(con, "quiet", relevant=True, line=3)  # no term matched: the label adds the topic
    label(con, "lane", relevant=True, line=4)  # the model set it aside: the label brings it back
    refresh_facts(con)
    assert tagged(con) == {"quiet": (), "lane": ("Bahn",)}
    assert set_aside(con) == {"rail": (None, "correction")}
    assert digest_posts(con) == 2
    bucket = con.execute(
        "SELECT bucket_id FROM post_topics t JOIN _posts p USING (post_id) "
        "WHERE p.external_id = 'quiet'"
    ).fetchall()
    assert bucket == [("risk",)]

    # a re-tag (a new taxonomy or model) rewrites the tags; the labels still win
    found = ids(con)
    tags = [
        TopicTags(found["rail"], (BAHN,)),
        TopicTags(found["lane"], (), (TopicMatch("bahn", "risk", ("Bahn",), 0.25),)),
        TopicTags(found["quiet"], ()),
    ]
    store_enriched(con, [], tags, pipeline_version="a1", topics_version="t2", load_id="e2")
    refresh_facts(con)
    assert tagged(con) == {"quiet": (), "lane": ("Bahn",)}
    assert digest_posts(con) == 2

    label(con, "rail", relevant=True, line=5)  # the newest label of a post wins
    refresh_facts(con)
    assert set(tagged(con)) == {"rail", "quiet", "lane"} and digest_posts(con) == 3


def test_a_retag_marks_only_the_posts_whose_tags_change(con: duckdb.DuckDBPyConnection) -> None:
    found = ids(con)
    tags = [
        TopicTags(found["rail"], (BAHN,)),  # as before
        TopicTags(found["lane"], (TopicMatch("bahn", "risk", ("Bahn",), 0.75),)),  # now kept
        TopicTags(found["quiet"], ()),  # as before
    ]
    store_enriched(con, [], tags, pipeline_version="a1", topics_version="t2", load_id="e2")
    marked = con.execute("SELECT post_id FROM _dirty_posts").fetchall()
    assert marked == [(found["lane"],)]
    assert con.execute("SELECT count(*) FROM _post_topics_rejected").fetchall() == [(0,)]
    versions = con.execute("SELECT DISTINCT topics_version FROM _topic_runs").fetchall()
    assert versions == [("t2",)]  # every post is current, changed or not
    refresh_facts(con)
    assert digest_posts(con) == 2 and coverage(con, WEEK).set_aside == 0


def test_listed_posts_show_what_the_posts_view_shows(con: duckdb.DuckDBPyConnection) -> None:
    """A post list reads each table for the listed ids alone: the enrichment and tags it
    shows are still those of `posts` and `post_topics`, corrections included."""
    label(con, "rail", relevant=False)
    label(con, "quiet", relevant=True, line=3)
    row = LabelRow(4, post_id=ids(con)["lane"], sentiment="positive")
    store_labels(con, [row], source="explore", labelled_by="ana", now=NOW, origin="explore")
    refresh_facts(con)
    expected = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT p.post_id, p.lang, p.sentiment, p.sentiment_label, p.is_question, p.is_own, "
            "coalesce((SELECT list(t.topic_id ORDER BY t.topic_id) FROM post_topics t "
            "WHERE t.post_id = p.post_id), []) FROM posts p"
        ).fetchall()
    }
    assert expected[ids(con)["lane"]][2] == "positive" and expected[ids(con)["quiet"]][5] == [
        "bahn"
    ]
    # by the rowids the list just read (`week` alone), and by post_id (`lang` needs the view)
    for where in (PostFilter(week=WEEK), PostFilter(week=WEEK, lang="de")):
        listed = list_posts(con, where).posts
        assert {p.post_id: (
            p.lang, p.sentiment, p.sentiment_label, p.is_question, p.is_own,
            [t.topic_id for t in p.topics],
        ) for p in listed} == expected  # fmt: skip
