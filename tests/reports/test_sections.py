"""Each digest section on a generated history (tests/reports/history.py): exactly what was
planted is found, and nothing is claimed on tiny numbers."""

from __future__ import annotations

import pytest

from earshot.reports.digest import build_digest
from earshot.reports.render import render_html, render_text
from earshot.warehouse import digest_queries, questions
from tests.reports.history import NOW, WEEK, History


def test_what_moved_finds_the_spike_and_claims_nothing_on_few_posts(history: History) -> None:
    by_id = {m.topic_id: m for m in digest_queries.topic_movements(history.con, WEEK)}
    price, service, climate = by_id["price"], by_id["service"], by_id["climate"]
    # 20 planted + 4 questions this week; 4 a week before, plus one question in W46
    assert (price.posts, price.previous_posts, price.baseline_weeks) == (24, 5, 8)
    assert price.baseline_mean == pytest.approx(33 / 8)
    assert price.movement == "rising" and price.volume_z is not None and price.volume_z > 3
    assert service.movement == "steady" and abs(service.volume_z or 0) < 3
    # 1 -> 4 posts: a quadrupling, but far too few posts to say so
    assert (climate.posts, climate.previous_posts) == (4, 1)
    assert climate.few_posts and climate.movement == "few posts"
    d = build_digest(
        history.con, week=WEEK, organisation="X", timezone="Europe/Berlin", language="en", now=NOW
    )
    assert [m.topic_id for m in d.moved] == ["price"]


def test_risk_watch_names_only_the_negative_spike(history: History) -> None:
    at_risk = [m.topic_id for m in digest_queries.topic_movements(history.con, WEEK) if m.at_risk]
    assert at_risk == ["price"]


def test_emerging_terms_are_the_untracked_rising_ones(history: History) -> None:
    found = digest_queries.emerging_terms(history.con, WEEK)
    assert [(e.term, e.posts, e.authors) for e in found] == [("#wärmepumpe", 8, 8)]
    # the decoys are there, and each is excluded for its own reason
    rows = dict(
        (r[0], r[1:])
        for r in history.con.execute(
            "SELECT term, posts, authors, covered, volume_z FROM term_movement WHERE week = ?",
            [WEEK],
        ).fetchall()
    )
    assert rows["strompreis"][2] is True  # covered: its posts carry a topic
    assert rows["spam"][1] == 1  # one author
    assert rows["zufall"][0] == 2  # tiny
    assert abs(rows["energie"][3]) < 3  # steady
    assert "#eigenwerbung" not in rows  # own posts are not the audience


def test_audience_questions_by_engagement_per_topic(history: History) -> None:
    found = questions.audience_questions(history.con, WEEK, per_topic=3)
    assert [(q.topic_id, history.names[q.post_id]) for q in found] == [
        ("price", "q30"),
        ("price", "q20"),
        ("price", "q10"),
        ("service", "q5"),
    ]
    assert all(q.url and q.url.startswith("https://") for q in found)


def test_a_question_marked_answered_leaves_the_list(history: History) -> None:
    post_ids = {name: post_id for post_id, name in history.names.items()}
    history.con.execute(
        "INSERT INTO _answered_questions (post_id, answered_by, answered_at) "
        "VALUES (?, 'lead', now())",
        [post_ids["q30"]],
    )
    found = questions.audience_questions(history.con, WEEK, per_topic=3)
    assert [(q.topic_id, history.names[q.post_id]) for q in found] == [
        ("price", "q20"),
        ("price", "q10"),
        ("price", "q1"),  # the next open one moves up
        ("service", "q5"),
    ]


def test_relevance_gap_over_four_weeks(history: History) -> None:
    shares = {x.topic_id: x for x in digest_queries.topic_shares(history.con, WEEK)}
    price, service, climate = shares["price"], shares["service"], shares["climate"]
    assert (price.own_posts, service.own_posts, climate.own_posts) == (2, 18, 1)
    assert price.own_tags == 21 and price.audience_tags == 85
    assert price.audience_share == pytest.approx(37 / 85)
    assert (price.advice, service.advice, climate.advice) == ("talk more", "talk less", "in line")
    # in the first week there are no own posts yet: no advice at all
    first = digest_queries.topic_shares(history.con, "2026-W39")
    assert {x.advice for x in first} == {"too few posts"}


def test_bucket_balance_against_targets(history: History) -> None:
    balance = {b.bucket_id: b for b in digest_queries.bucket_balance(history.con, WEEK)}
    expert, practice = balance["expert"], balance["practice"]
    assert (expert.own_posts, practice.own_posts, expert.bucket_posts) == (2, 18, 20)
    assert expert.share == pytest.approx(0.1)
    assert expert.share_high is not None and expert.share_high < 0.5
    assert (expert.balance, practice.balance) == ("below target", "above target")


def test_coverage_has_the_denominators(history: History) -> None:
    c = digest_queries.coverage(history.con, WEEK)
    assert (c.audience_rows, c.audience_posts, c.duplicates) == (63, 62, 1)
    assert (c.tagged_posts, c.questions, c.own_posts) == (39, 5, 6)
    assert dict(c.languages) == {"de": 60, "en": 2}
    assert digest_queries.silent_sources(history.con, WEEK) == ["quiet"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_digest_shows_every_section(history: History, language: str) -> None:
    d = build_digest(
        history.con,
        week=WEEK,
        organisation="X",
        timezone="Europe/Berlin",
        language=language,
        now=NOW,
    )
    html, text = render_html(d), render_text(d)
    for section in (
        "moved",
        "risk",
        "gap",
        "questions",
        "emerging",
        "buckets",
        "topics",
        "posts",
        "coverage",
        "sources",
    ):
        assert f'id="{section}"' in html
    assert "#wärmepumpe" in html and "#wärmepumpe" in text
    assert 'href="https://example.org/q30"' in html
    if language == "en":
        assert "talk more about it" in html and "too few posts to tell" in html
        assert "62 audience posts (1 duplicates not counted)" in text
        assert "below target" in text and "quiet" in text
    else:
        assert "mehr darüber reden" in html and "unter dem Ziel" in text


def test_one_topics_questions_are_its_rows_of_the_full_list(history: History) -> None:
    full = questions.audience_questions(history.con, WEEK, per_topic=2)
    for topic in ("price", "service", "climate"):
        alone = questions.audience_questions(history.con, WEEK, per_topic=2, topic_id=topic)
        assert alone == [q for q in full if q.topic_id == topic]
    assert [q.post_id for q in full if q.topic_id == "price"]  # not vacuous
