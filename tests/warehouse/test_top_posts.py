"""A week's top posts show a corrected sentiment as the posts' lists and the digest's figures
do (the label in force), not the one computed: a correction shows "in the app at once". The
top post of each of several topics, from one query, is each topic's own `top_posts`."""

from __future__ import annotations

from datetime import UTC, datetime

from earshot.warehouse import digest_posts
from earshot.warehouse.connection import transaction
from earshot.warehouse.facts import refresh_facts
from tests.reports import history as planted_history
from tests.reports.history import WEEK, History
from tests.warehouse import metrics_from_posts as ref

history_file = planted_history.history_file  # fixtures
history = planted_history.history


def test_a_corrected_sentiment_is_the_top_posts_label(history: History) -> None:
    con = history.con
    refresh_facts(con)
    top = digest_posts.top_posts(con, WEEK, 3)
    assert top and top[0].sentiment_label != "positive"
    with transaction(con):
        con.execute(
            "INSERT INTO _labels (post_id, sentiment, labelled_by, labelled_at, origin) "
            "VALUES (?, 'positive', 'tester', ?, 'explore')",
            [top[0].post_id, datetime(2026, 11, 24, tzinfo=UTC)],
        )
    after = digest_posts.top_posts(con, WEEK, 3)
    assert after[0].post_id == top[0].post_id and after[0].sentiment_label == "positive"
    assert [p.sentiment_label for p in after] == [
        p.sentiment_label for p in ref.top_posts(con, WEEK, 3)
    ]


def test_the_top_post_of_each_topic_is_its_own_top_posts_first(history: History) -> None:
    con = history.con
    refresh_facts(con)
    topics = [r[0] for r in con.execute("SELECT topic_id FROM _topics ORDER BY 1").fetchall()]
    tagged = con.execute(
        "SELECT post_id, topic_id FROM _post_topics ORDER BY post_id, topic_id LIMIT 1"
    ).fetchone()
    assert tagged is not None
    with transaction(con):  # corrections, which both must apply: a tag gone, a sentiment
        con.execute(
            "INSERT INTO _labels (post_id, topic_id, relevant, labelled_by, labelled_at, origin) "
            "VALUES (?, ?, false, 'tester', ?, 'explore')",
            [*tagged, datetime(2026, 11, 24, tzinfo=UTC)],
        )
    found = 0
    for week in [f"2026-W{n}" for n in range(38, 50)]:
        each = {t: f[0] for t in topics if (f := digest_posts.top_posts(con, week, 1, topic_id=t))}
        assert digest_posts.top_post_of_topics(con, week, topics) == each, week
        found += len(each)
    assert found > 0
    assert digest_posts.top_post_of_topics(con, WEEK, []) == {}
