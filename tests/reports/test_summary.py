"""'This week in 30 seconds' and the honest notices, on the generated history
(tests/reports/history.py): the summary names exactly what was planted, nothing on a quiet week,
"no data" on a week without posts, and a failing source is named instead of crying wolf."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from earshot.listeners.records import FetchResult, FetchStatus
from earshot.reports.digest import Digest, build_digest
from earshot.reports.render import render_html, render_text, subject
from earshot.reports.sentences import summary_sentences
from earshot.reports.summary import MAX_FINDINGS, FindingKind, summarise
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.sources import insert_posts, store_fetch
from tests.reports.history import NOW, WEEK, History, build_history


def digest_of(h: History, language: str = "en", week: str = WEEK, **kw: object) -> Digest:
    args: dict[str, object] = {
        "week": week,
        "organisation": "Stadtwerke",
        "timezone": "Europe/Berlin",
        "language": language,
        "now": NOW,
    }
    args.update(kw)
    return build_digest(h.con, **args)  # type: ignore[arg-type]


def summary_html(html: str) -> str:
    found = re.search(r'<section id="summary".*?</section>', html, re.S)
    assert found is not None
    return found.group(0).replace("&nbsp;", "\N{NO-BREAK SPACE}")


def test_the_summary_names_exactly_what_was_planted(history: History) -> None:
    d = digest_of(history)
    findings = summarise(d)
    assert [f.kind for f in findings] == [
        FindingKind.RISK,  # price: the negative spike
        FindingKind.EMERGING,  # #wärmepumpe
        FindingKind.ADVICE,  # talk more about price, answering its top question
    ]
    risk, emerging, advice = findings
    assert risk.topic is not None and risk.topic.topic_id == "price"
    assert risk.post is not None and history.names[risk.post.post_id] == "q30"
    assert risk.share is None  # price's advice is "talk more": nothing to reconcile
    assert emerging.term is not None and emerging.term.term == "#wärmepumpe"
    assert emerging.post is not None and history.names[emerging.post.post_id].startswith("wp")
    assert advice.share is not None and advice.share.topic_id == "price"
    # the question most worth answering (q30) is the one the advice answers: said once
    assert advice.question is not None and history.names[advice.question.post_id] == "q30"
    assert advice.bucket is not None and advice.bucket.bucket_id == "expert"  # below target
    assert len(findings) <= MAX_FINDINGS


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_summary_comes_first_with_evidence_and_links(history: History, language: str) -> None:
    d = digest_of(history, language)
    html, text = render_html(d), render_text(d)
    assert html.index('id="summary"') < html.index('id="moved"')
    block = summary_html(html)
    assert block.count("<p") == 3  # three sentences, no more
    assert 'href="https://example.org/q30"' in block and "#wärmepumpe" in block
    for decoy in ("Kundenservice", "Klima", "strompreis", "spam", "zufall", "#eigenwerbung"):
        assert decoy not in block, decoy
    first = text.split("==")[1:3]
    assert first[0].strip() in ("This week in 30 seconds", "Diese Woche in 30 Sekunden")
    assert "https://example.org/q30" in first[1]
    if language == "de":
        assert (
            "Preise steht unter Druck: 24 Beiträge gegen Ø\N{NO-BREAK SPACE}4,1 je Woche "
            "(8\N{NO-BREAK SPACE}Wochen)" in block
        )
        assert "62\N{NO-BREAK SPACE}% negativ" in block and "z = +7,4" in block
        assert subject(d) == (
            "Earshot-Wochenbericht KW 47/2026: Preise unter Druck "
            "(62\N{NO-BREAK SPACE}% negativ) — Stadtwerke"
        )
    else:
        assert (
            "Preise is under pressure: 24 posts against Ø\N{NO-BREAK SPACE}4.1 a week "
            "(8\N{NO-BREAK SPACE}weeks)" in block
        )
        assert "Your next post could answer" in block and "Fachwissen is below target" in block
        assert (
            subject(d)
            == "Earshot digest 2026-W47: Preise under pressure (62% negative) — Stadtwerke"
        )


def test_risk_and_talk_less_on_one_topic_are_one_sentence(history: History) -> None:
    d = digest_of(history)
    shares = [
        dataclasses.replace(x, advice="talk less") if x.topic_id == "price" else x for x in d.shares
    ]
    d = dataclasses.replace(d, shares=shares)
    findings = summarise(d)
    risk = findings[0]
    assert risk.kind is FindingKind.RISK and risk.share is not None
    # no separate "talk less about Preise" and no "talk more" left: the bucket is the advice
    assert [f.kind for f in findings[1:]] == [
        FindingKind.QUESTION,
        FindingKind.EMERGING,
        FindingKind.BUCKET,
    ]
    first = summary_sentences(d)[0]
    assert "under pressure" in first["before"] and "answer the critics" in first["before"]
    assert first["href"] == "https://example.org/q30"


def test_a_quiet_week_says_so_once(tmp_path: Path) -> None:
    h = build_history(tmp_path / "quiet.duckdb", quiet=True)
    try:
        for language in ("en", "de"):
            d = digest_of(h, language)
            assert d.has_posts and not d.moved and not d.at_risk and not d.emerging
            assert [f.kind for f in summarise(d)] == [FindingKind.QUIET]
            block = summary_html(render_html(d))
            assert block.count("<p") == 1 and "href" not in block
            assert ("A quiet week" if language == "en" else "Eine ruhige Woche") in block
        assert subject(digest_of(h)).startswith("Earshot digest 2026-W47: a quiet week")
        # buckets are configured, there are just no own posts: say that, not "none configured"
        html = render_html(digest_of(h))
        assert "No content buckets are configured" not in html
        assert "No own posts with a bucket in the last 4 weeks (Fachwissen, Praxis" in html
    finally:
        h.con.close()


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_week_without_posts_says_no_data(history: History, language: str) -> None:
    d = digest_of(history, language, week="2026-W30")  # before the history's first post
    assert [f.kind for f in summarise(d)] == [FindingKind.NO_DATA]
    html, text = render_html(d), render_text(d)
    no_data = {
        "en": "No audience posts this week: no data for this section.",
        "de": "Diese Woche keine Beiträge der Zielgruppe: keine Daten für diesen Abschnitt.",
    }[language]
    for section in ("moved", "risk", "questions", "emerging", "topics"):
        part = html[html.index(f'id="{section}"') :]
        assert no_data in part[: part.index("<h2", 10) if "<h2" in part[10:] else None], section
    assert text.count(no_data) >= 5
    # never "nothing moved" on no data
    assert "No topic shows a negative spike" not in html + text
    assert "Kein Thema zeigt eine negative Spitze" not in html + text
    assert "no clear change" not in html and "keine klare Veränderung" not in html


def test_a_failing_source_in_a_week_with_posts_is_named_not_cried_wolf(history: History) -> None:
    store_fetch(
        history.con,
        FetchResult("forum", FetchStatus.FAILED, error="HTTP 503 from forum.example.org"),
        load_id="load-9",
        attempted_at=NOW + timedelta(minutes=30),
        next_attempt_at=NOW + timedelta(hours=1),
    )
    for language in ("en", "de"):
        d = digest_of(history, language)
        assert not d.no_source_reachable and "forum" in d.reached_sources
        html, text = render_html(d), render_text(d)
        assert "No source could be reached" not in html + text
        assert "keine Quelle erreichbar" not in html + text
        coverage = html[html.index('id="coverage"') : html.index('id="sources"')]
        assert "HTTP 503 from forum.example.org" in coverage
        if language == "en":
            assert (
                "forum is failing: HTTP 503 from forum.example.org (1 failed attempts in a row "
                "since its last success on 2026-11-23 07:00 (CET))." in coverage
            )
        else:
            assert "forum schlägt fehl: HTTP 503" in coverage and "23.11.2026, 07:00" in coverage


def test_a_partial_week_is_asked_for_and_marked_at_the_top(history: History) -> None:
    during = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Friday of W47
    d = digest_of(history, "de", now=during)
    assert d.partial
    html = render_html(d)
    notice = html.index("Unvollständige Woche: Dieser Bericht umfasst KW 47/2026 nur bis")
    assert notice < html.index('id="summary"')
    assert render_text(d).index("Unvollständige Woche") < render_text(d).index("== Diese Woche")
    assert "(unvollständig)" in subject(d)
    assert not digest_of(history, "de").partial  # built after the week: complete


def test_each_question_once_with_author_platform_and_date(history: History) -> None:
    both = history.add("q-both", 0, topics=("price", "service"), question=True, likes=50, hour=90)
    insert_posts(history.con, [both], "load-3")
    store_annotations(
        history.con, history.annotations[-1:], pipeline_version="t.v1", load_id="load-4"
    )
    refresh_facts(history.con)
    d = digest_of(history, "de")
    assert [q.topic_id for q in d.questions if q.post_id == both.post_id] == ["price", "service"]
    html, text = render_html(d), render_text(d)
    section = html[html.index('id="questions"') : html.index('id="emerging"')]
    assert section.count('href="https://example.org/q-both"') == 1
    assert "author-q-both auf feed, 20.11.2026" in section
    assert text.count("? Text of q-both (author-q-both auf feed, 20.11.2026;") == 1


def test_totals_name_the_duplicates(history: History) -> None:
    d = digest_of(history, "en")
    html = render_html(d)
    header = html[: html.index('id="summary"')]
    # 63 audience rows, one of them a duplicate: 62 counted, and the header says why
    assert "62 audience posts" in header and "(63 collected, 1 duplicates counted once)" in header
    sources = html[html.index('id="sources"') :]
    assert sum(s.posts_in_week for s in d.sources) == 69  # 63 audience + 6 own rows
    assert "69 posts from these sources this week; 1 of the audience's are duplicates" in sources
