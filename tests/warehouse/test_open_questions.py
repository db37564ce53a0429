"""A topic's open questions are one list on every screen (`warehouse.questions`): the digest
(and Explore's week page, which shows the digest), the topic page and `earshot check` show the
same rows, also after a correction and an answered mark; the questions with no topic come
last, from the posts, and a tag moves them into their topic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from earshot.reports.check import check_draft
from earshot.reports.digest import build_digest
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.facts import StaleFacts, refresh_facts
from earshot.warehouse.labels import LabelRow, store_labels
from earshot.warehouse.questions import AudienceQuestion, audience_questions, open_questions
from earshot.warehouse.sources import insert_posts
from earshot.warehouse.topic_posts import topic_week
from tests.reports import history as planted_history
from tests.reports.history import WEEK, History
from tests.warehouse import metrics_from_posts as ref

history_file = planted_history.history_file  # fixtures
history = planted_history.history

REFERENCE_SQL = Path(__file__).with_name("digest_views_from_posts.sql")
TOPICS = ("price", "service", "climate")
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def with_untagged_questions(h: History) -> dict[str, str]:
    """Two untagged audience questions of the week (7 and 3 likes) and an untagged own one,
    stored as collect and enrich store them, the facts refreshed; every name's post_id."""
    late = History(h.con)
    late.add("u7", 0, question=True, likes=7, hour=90)
    late.add("u3", 0, question=True, likes=3, hour=91)
    late.add("u-own", 0, source="own", question=True, likes=50, hour=92)
    insert_posts(h.con, late.posts, "load-3")
    store_annotations(h.con, late.annotations, pipeline_version="t.v1", load_id="load-4")
    refresh_facts(h.con)
    h.names |= late.names
    return {name: post_id for post_id, name in h.names.items()}


def named(h: History, found: list[AudienceQuestion]) -> list[tuple[str | None, str]]:
    return [(q.topic_id, h.names[q.post_id]) for q in found]


def digest_questions(h: History, per_topic: int = 3) -> list[AudienceQuestion]:
    d = build_digest(
        h.con,
        week=WEEK,
        organisation="X",
        timezone="Europe/Berlin",
        language="en",
        questions_per_topic=per_topic,
        now=NOW,
    )
    return d.questions


def assert_one_list(h: History, per_topic: int = 3) -> None:
    """The digest's list, each topic's page and the check show the same questions."""
    listed = digest_questions(h, per_topic)
    assert listed == audience_questions(h.con, WEEK, per_topic)
    for topic_id in TOPICS:
        mine = [q for q in listed if q.topic_id == topic_id]
        assert topic_week(h.con, WEEK, topic_id, questions=per_topic).questions == mine
        assert audience_questions(h.con, WEEK, per_topic, topic_id=topic_id) == mine
        checked = check_draft(
            h.con,
            topic_ids=[topic_id],
            bucket_ids=[],
            week=WEEK,
            now=NOW,
            questions_per_topic=per_topic,
        )
        # the check lists the week's and the week before's (W46: the planted old question)
        before = audience_questions(h.con, "2026-W46", per_topic, topic_id=topic_id)
        assert checked.questions == mine + before


def test_untagged_questions_come_last_and_equal_the_count_over_posts(history: History) -> None:
    with_untagged_questions(history)
    found = audience_questions(history.con, WEEK, 3)
    assert named(history, found) == [
        ("price", "q30"),
        ("price", "q20"),
        ("price", "q10"),
        ("service", "q5"),
        (None, "u7"),  # no topic: last, most engaging first; the own question is not listed
        (None, "u3"),
    ]
    history.con.execute(REFERENCE_SQL.read_text(encoding="utf-8"))  # the views over posts
    assert found == ref.audience_questions(history.con, WEEK, 3)
    assert named(history, audience_questions(history.con, WEEK, 1)) == [
        ("price", "q30"),
        ("service", "q5"),
        (None, "u7"),
    ]
    assert_one_list(history)


def test_a_correction_and_an_answer_show_the_same_on_every_screen(history: History) -> None:
    con = history.con
    ids = with_untagged_questions(history)
    assert_one_list(history)
    rows = [
        LabelRow(2, post_id=ids["u7"], topic_id="price", relevant=True),  # "about price"
        LabelRow(3, post_id=ids["q20"], topic_id="price", relevant=False),  # "not about price"
    ]
    store_labels(con, rows, source="explore", labelled_by="ana", now=NOW, origin="explore")
    refresh_facts(con)  # as the correction's write cycle ends
    # an answered mark changes no fact: it leaves every list at once, without a refresh
    con.execute(
        "INSERT INTO _answered_questions (post_id, answered_by, answered_at) "
        "VALUES (?, 'lead', now())",
        [ids["q30"]],
    )
    assert named(history, audience_questions(con, WEEK, 3)) == [
        ("price", "q10"),
        ("price", "u7"),  # tagged by the correction: out of the untagged group, into price
        ("price", "q1"),
        ("service", "q5"),
        (None, "q20"),  # its only tag taken away: a question with no topic now
        (None, "u3"),
    ]
    assert_one_list(history)
    assert_one_list(history, per_topic=1)


def test_a_topics_questions_read_no_posts_but_its_facts(history: History) -> None:
    ids = with_untagged_questions(history)
    price = open_questions(history.con, WEEK, 2, ["price"])
    assert [(q.post_id, q.engagement) for q in price] == [(ids["q30"], 30), (ids["q20"], 20)]
    # the rowids are hints: a moved row is read by its post_id
    history.con.execute("UPDATE _fact_topic_posts SET post_row = post_row + 100000")
    assert named(history, audience_questions(history.con, WEEK, 2, topic_id="price")) == [
        ("price", "q30"),
        ("price", "q20"),
    ]


def test_a_copy_without_the_topic_facts_says_so_on_the_digest(history: History) -> None:
    history.con.execute("DROP TABLE _fact_topic_posts")  # a copy from before migration 0021
    with pytest.raises(StaleFacts, match="no topic facts yet"):
        digest_questions(history)
    with pytest.raises(StaleFacts, match="no topic facts yet"):
        audience_questions(history.con, WEEK, 3, topic_id="price")
