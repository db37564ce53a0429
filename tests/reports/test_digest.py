from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from earshot.listeners.records import FetchResult, FetchStatus
from earshot.reports.digest import (
    ChangeKind,
    Digest,
    build_digest,
    headline,
    snippet,
    topic_change,
    web_url,
)
from earshot.reports.render import render_text
from earshot.warehouse.digest_queries import TopicMovement
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.labels import LabelRow, store_labels
from earshot.warehouse.sources import SourceRow, store_fetch, sync_sources
from tests.reports.support import NOW, WEEK, Fixture, new_warehouse


def digest_of(fx: Fixture, **kw: object) -> Digest:
    args: dict[str, object] = {
        "week": WEEK,
        "organisation": "Stadtwerke Beispiel",
        "timezone": "Europe/Berlin",
        "language": "de",
        "now": NOW,
    }
    args.update(kw)
    return build_digest(fx.con, **args)  # type: ignore[arg-type]


def test_topic_figures_come_from_the_week_and_the_one_before(warehouse: Fixture) -> None:
    d = digest_of(warehouse)
    assert [t.topic_id for t in d.topics] == ["service", "price", "climate"]  # by volume
    service, price, climate = d.topics
    # The own post is not audience; the posts at 00:30 and 23:30 Berlin time count by local week.
    assert (service.label, service.posts, service.previous_posts, service.authors) == (
        "Kundenservice",
        5,
        8,
        3,
    )
    assert service.engagement == 12 + 3 + 20 + 1 + 0
    assert service.avg_sentiment == pytest.approx(0.04)
    assert service.negative_share == pytest.approx(0.2)
    assert (price.posts, price.previous_posts, price.authors) == (2, 1, 2)
    assert (climate.posts, climate.previous_posts) == (1, 0)

    assert d.change(service).kind is ChangeKind.PERCENT
    assert d.change(service).absolute == -3
    assert d.change(service).percent == pytest.approx(-0.375)
    assert d.change(price).kind is ChangeKind.FEW
    assert d.change(price).absolute == 1
    assert d.change(climate).kind is ChangeKind.NEW


def test_totals_period_and_generation_time_are_local(warehouse: Fixture) -> None:
    d = digest_of(warehouse)
    # tagged and enriched count audience posts only: "untagged" is the one without a topic
    c = d.coverage
    assert (c.audience_posts, c.own_posts, c.tagged_posts, c.enriched_posts) == (8, 1, 7, 8)
    assert (d.period_start, d.period_end) == (date(2026, 11, 16), date(2026, 11, 22))
    assert (d.year, d.week_number) == (2026, 47)
    assert d.generated_at.hour == 7 and d.generated_at.utcoffset() is not None


def test_top_posts_are_the_audiences_most_engaging(warehouse: Fixture) -> None:
    d = digest_of(warehouse, top_n=4)
    ids = {p.post_id: name for name, p in warehouse.posts.items()}
    assert [ids[p.post_id] for p in d.top_posts] == ["untagged", "p3", "p1", "evil"]
    assert [p.engagement for p in d.top_posts] == [50, 20, 12, 5]
    assert d.top_posts[0].topics == ()
    assert d.top_posts[2].topics == ("service",)
    assert headline(d.top_posts[0]) == "Text untagged"  # no title: the text stands in
    assert d.topic_label("price") == "Preise"
    assert d.topic_label("gone") == "gone"


def test_source_health(warehouse: Fixture) -> None:
    d = digest_of(warehouse)
    health = {s.source_id: (s.last_status, s.posts_in_week) for s in d.sources}
    assert health == {"blog": ("ok", 6), "forum": ("failed", 2), "own": (None, 1)}
    assert [s.source_id for s in d.sources_failed] == ["forum"]
    assert d.sources_failed[0].last_error == "HTTP 503 from forum.example.org"
    assert not d.no_source_reachable
    assert d.has_posts


def test_no_source_reachable_when_none_ever_succeeded(tmp_path: Path) -> None:
    con = new_warehouse(tmp_path / "empty.duckdb")
    d = build_digest(con, week=WEEK, organisation="X", timezone="Europe/Berlin", language="en")
    assert d.no_source_reachable
    assert not d.has_posts
    assert [t.posts for t in d.topics] == [0, 0, 0]
    assert d.top_posts == []
    sync_sources(con, [])  # nothing configured: still nothing reachable
    assert build_digest(
        con, week=WEEK, organisation="X", timezone="Europe/Berlin", language="en"
    ).no_source_reachable
    sync_sources(con, [SourceRow("blog", "feed", "https://blog.example.org/feed", False)])
    # a 304 during the week is a success: the source was reached, it had nothing new
    store_fetch(
        con,
        FetchResult("blog", FetchStatus.NOT_MODIFIED, state={}, http_status=304),
        load_id="load-1",
        attempted_at=datetime(2026, 11, 18, 12, 0, tzinfo=UTC),
        next_attempt_at=datetime(2026, 11, 18, 12, 30, tzinfo=UTC),
    )
    assert not build_digest(
        con, week=WEEK, organisation="X", timezone="Europe/Berlin", language="en"
    ).no_source_reachable
    # ... not in a week that began after it (a later fetch would have brought that week's posts,
    # so a success after a week's start counts for it)
    assert build_digest(
        con, week="2026-W48", organisation="X", timezone="Europe/Berlin", language="en"
    ).no_source_reachable


@pytest.mark.parametrize(
    ("posts", "previous", "kind", "absolute", "percent"),
    [
        (0, 0, ChangeKind.NONE, 0, None),
        (3, 0, ChangeKind.NEW, 3, None),
        (4, 10, ChangeKind.FEW, -6, None),
        (10, 4, ChangeKind.FEW, 6, None),
        (5, 5, ChangeKind.PERCENT, 0, 0.0),
        (15, 10, ChangeKind.PERCENT, 5, 0.5),
    ],
)
def test_topic_change(
    posts: int, previous: int, kind: ChangeKind, absolute: int, percent: float | None
) -> None:
    topic = TopicMovement(
        "t", "T", posts, previous, 1, 0, None, 0, None, 0, None, None, None, None, True, "", False
    )
    change = topic_change(topic)
    assert (change.kind, change.absolute, change.percent) == (kind, absolute, percent)


def test_bad_arguments_are_refused_clearly(warehouse: Fixture) -> None:
    with pytest.raises(ValueError, match="2026-47"):
        digest_of(warehouse, week="2026-47")
    with pytest.raises(ValueError, match="language 'fr'"):
        digest_of(warehouse, language="fr")
    with pytest.raises(ValueError, match="Mars/Olympus"):
        digest_of(warehouse, timezone="Mars/Olympus")


def test_only_http_urls_are_links() -> None:
    assert web_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert web_url("HTTP://example.org") == "HTTP://example.org"
    for bad in [
        "javascript:alert(1)",
        "data:text/html,x",
        "//example.org",
        "https://",
        None,
        "",
        "https://exa mple.org",
        "https://example.org/\nx",
        "mailto:a@b.c",
    ]:
        assert web_url(bad) is None, bad


def test_snippet_cuts_at_a_word_within_the_limit() -> None:
    text = "word " * 100
    cut = snippet(text)
    assert len(cut) <= 240 and cut.endswith("word…")
    assert snippet("  a\n\n b  ") == "a b"
    assert len(snippet("x" * 500)) == 240


def test_a_relevance_correction_leaves_every_figure_and_is_counted_as_set_aside(
    warehouse: Fixture,
) -> None:
    con = warehouse.con
    (p1,) = con.execute("SELECT post_id FROM _posts WHERE external_id = 'p1'").fetchone() or ()
    row = LabelRow(2, post_id=p1, topic_id="service", relevant=False)
    store_labels(con, [row], source="explore", labelled_by="ana", now=NOW, origin="explore")
    refresh_facts(con)  # as the write cycle that stored the label ends
    d = digest_of(warehouse)
    service = next(t for t in d.topics if t.topic_id == "service")
    assert (service.posts, service.authors, service.engagement) == (4, 3, 3 + 20 + 1 + 0)
    assert (d.coverage.tagged_posts, d.coverage.set_aside) == (6, 1)  # p1 has no other topic
    assert "beiseitegelegte Themen-Treffer (vom Relevanzmodell" in render_text(d)
    assert "durch eine Korrektur): 1;" in render_text(d)
    english = render_text(digest_of(warehouse, language="en"))
    assert "Topic matches set aside as not about their topic" in english
    assert "a correction): 1;" in english
    # without set-aside matches the coverage says nothing about them
    assert "beiseitegelegt" not in render_text(digest_of(warehouse, week="2026-W46"))
