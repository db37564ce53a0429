"""The topic page's week from the writer's facts (`warehouse.topic_posts`) is what the scans it
replaced find: the post list of the week, topic and audience, the topic's open questions (the
digest's own list's rows of the topic), its authors and sources; after a correction and its
refresh as well."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from earshot.warehouse.connection import transaction
from earshot.warehouse.facts import StaleFacts, mark_all_dirty, mark_posts_dirty, refresh_facts
from earshot.warehouse.labels import LabelRow, store_labels
from earshot.warehouse.post_lists import PostFilter, list_posts
from earshot.warehouse.questions import AudienceQuestion, audience_questions
from earshot.warehouse.topic_posts import Voice, topic_week, topics_of_week
from tests.reports import history as planted_history
from tests.reports.history import WEEK, History

history_file = planted_history.history_file  # fixtures
history = planted_history.history

TOPICS = ("price", "service", "climate")
WEEKS = (WEEK, "2026-W46", "2026-W40")
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def scanned_voices(
    con: duckdb.DuckDBPyConnection, week: str, topic_id: str
) -> tuple[list[Voice], list[Voice]]:
    """Authors and sources of the topic's audience posts of the week, from the analyst views
    (distinct content_key, most first, then by name)."""
    rows = con.execute(
        """
        WITH x AS (
            SELECT p.author, p.source_id, p.content_key FROM posts p
            WHERE p.week = ? AND NOT p.is_own
              AND p.post_id IN (SELECT post_id FROM post_topics WHERE topic_id = ?)
        )
        SELECT 'author', author, count(DISTINCT content_key) FROM x
        WHERE author IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT 'source', source_id, count(DISTINCT content_key) FROM x GROUP BY ALL
        ORDER BY 1, 3 DESC, 2
        """,
        [week, topic_id],
    ).fetchall()
    authors = [Voice(n, int(k)) for kind, n, k in rows if kind == "author"][:10]
    return authors, [Voice(n, int(k)) for kind, n, k in rows if kind == "source"]


def scanned_questions(
    con: duckdb.DuckDBPyConnection, week: str, topic_id: str, limit: int
) -> list[AudienceQuestion]:
    """The topic's open questions of the week from the analyst views (audience questions
    tagged with it, less those marked answered), most engaging, then newest, first."""
    rows = con.execute(
        """
        SELECT t.topic_id, p.post_id, p.url, p.title, p.text, p.author,
               coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0) AS e,
               p.platform, p.published_at
        FROM posts p JOIN post_topics t USING (post_id)
        WHERE p.week = ? AND t.topic_id = ? AND p.is_question AND NOT p.is_own
          AND p.post_id NOT IN (SELECT post_id FROM _answered_questions)
        ORDER BY e DESC, p.published_at DESC NULLS LAST, p.post_id
        LIMIT ?
        """,
        [week, topic_id, limit],
    ).fetchall()
    return [AudienceQuestion(*r) for r in rows]


def assert_as_scanned(con: duckdb.DuckDBPyConnection, week: str, topic_id: str) -> None:
    for posts, questions in ((20, 10), (2, 1)):
        got = topic_week(con, week, topic_id, posts=posts, questions=questions)
        where = PostFilter(week=week, topic_id=topic_id, audience="audience")
        assert got.found == list_posts(con, where, limit=posts), (week, topic_id, posts)
        assert got.questions == scanned_questions(con, week, topic_id, questions), (week, topic_id)
        # the digest's list: the same rows (one query for both screens)
        digest = audience_questions(con, week, questions)
        assert got.questions == [q for q in digest if q.topic_id == topic_id], (week, topic_id)
        assert (got.authors, got.sources) == scanned_voices(con, week, topic_id), (week, topic_id)


def syndicate(con: duckdb.DuckDBPyConnection, post_id: str) -> str:
    """A copy of the post (same content_key, one like more) with its annotation and tags, as
    a second source syndicating it; the facts refreshed. Its id."""
    copy = post_id + "-syndicated"
    with transaction(con):
        con.execute(
            "INSERT INTO _posts SELECT * REPLACE (? AS post_id, external_id || '-s' AS "
            "external_id, coalesce(likes, 0) + 1 AS likes) FROM _posts WHERE post_id = ?",
            [copy, post_id],
        )
        for table in ("_annotations", "_post_topics"):
            con.execute(
                f"INSERT INTO {table} SELECT * REPLACE (? AS post_id) FROM {table} "
                "WHERE post_id = ?",
                [copy, post_id],
            )
        mark_posts_dirty(con, f"SELECT '{copy}' AS post_id")
    refresh_facts(con)
    return copy


def test_a_topic_week_is_what_the_scans_find(history: History) -> None:
    first = topic_week(history.con, WEEK, "price", posts=3)
    assert [history.names[q.post_id] for q in first.questions] == ["q30", "q20", "q10", "q1"]
    copy = syndicate(history.con, first.found.posts[2].post_id)
    for week in WEEKS:
        for topic_id in TOPICS:
            assert_as_scanned(history.con, week, topic_id)
    price = topic_week(history.con, WEEK, "price")
    # not vacuous: the planted week has its posts (a figure's total), questions and voices
    posts = history.con.execute(
        "SELECT posts FROM topic_movement WHERE week = ? AND topic_id = 'price'", [WEEK]
    ).fetchall()[0][0]
    assert price.found.total == posts == 24 and len(price.found.posts) == 20
    listed = [p.post_id for p in price.found.posts]  # the more engaging copy, once
    assert copy in listed and first.found.posts[2].post_id not in listed
    assert price.authors and price.sources
    # several topics at once: each as alone (their shown posts read together)
    together = topics_of_week(history.con, WEEK, list(TOPICS), posts=5, questions=2)
    assert together == {t: topic_week(history.con, WEEK, t, posts=5, questions=2) for t in TOPICS}


def test_a_correction_reaches_the_topic_week_with_its_refresh(history: History) -> None:
    con = history.con
    first = topic_week(con, WEEK, "price")
    dropped = first.found.posts[0].post_id
    added = con.execute(
        "SELECT post_id FROM posts WHERE week = ? AND NOT is_own AND post_id NOT IN "
        "(SELECT post_id FROM post_topics WHERE topic_id = 'price') ORDER BY post_id LIMIT 1",
        [WEEK],
    ).fetchall()[0][0]
    rows = [
        LabelRow(2, post_id=dropped, topic_id="price", relevant=False),
        LabelRow(3, post_id=added, topic_id="price", relevant=True),
        LabelRow(4, post_id=first.questions[1].post_id, sentiment="positive"),
    ]
    store_labels(con, rows, source="explore", labelled_by="ana", now=NOW, origin="explore")
    refresh_facts(con)
    # a question marked answered leaves at once (no refresh: the facts do not hold it)
    con.execute(
        "INSERT INTO _answered_questions (post_id, answered_by, answered_at) "
        "VALUES (?, 'lead', now())",
        [first.questions[0].post_id],
    )
    then = topic_week(con, WEEK, "price", posts=500)
    ids = [p.post_id for p in then.found.posts]
    assert dropped not in ids and added in ids and then.found.total == first.found.total
    assert first.questions[0].post_id not in [q.post_id for q in then.questions]
    corrected = next(p for p in then.found.posts if p.post_id == first.questions[1].post_id)
    assert corrected.sentiment_label == "positive"
    for topic_id in TOPICS:
        assert_as_scanned(con, WEEK, topic_id)
    # the refresh rewrote the corrected posts' rows alone: as a rebuild of every week has them
    rows = "SELECT * FROM _fact_topic_posts ORDER BY ALL"
    kept = con.execute(rows).fetchall()
    mark_all_dirty(con, "test: every week again")
    refresh_facts(con)
    assert con.execute(rows).fetchall() == kept and kept


def test_a_stale_rowid_is_looked_up_by_post_id(history: History) -> None:
    con = history.con
    # as if rows had moved since the facts were counted: every hint points elsewhere
    con.execute("UPDATE _fact_topic_posts SET post_row = post_row + 100000")
    assert_as_scanned(con, WEEK, "price")


def test_a_copy_without_the_facts_says_so(history: History) -> None:
    con = history.con
    con.execute("DROP TABLE _fact_topic_posts")  # as a copy published before migration 0021
    with pytest.raises(StaleFacts, match="no topic facts yet"):
        topic_week(con, WEEK, "price")
