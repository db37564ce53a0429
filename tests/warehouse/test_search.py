"""Full-text search over a real warehouse: stemming, filters, sorting, paging, the index's
incremental refresh and its re-sort, and parameters that never reach SQL as text."""

from __future__ import annotations

from datetime import timedelta

import pytest

from earshot.listeners.records import Post
from earshot.warehouse.connection import transaction
from earshot.warehouse.post_lists import PostFilter, list_posts
from earshot.warehouse.search import SearchError, SearchQuery, search_filter, search_posts
from earshot.warehouse.search_index import refresh_search_index, stems_of
from earshot.warehouse.sources import insert_posts
from tests.reports import history as planted_history
from tests.reports.history import NOW, W47_MONDAY, History
from tests.warehouse.search_support import plant

history_file = planted_history.history_file  # fixtures
history = planted_history.history


def _names(found: list[str], ids: dict[str, str]) -> list[str]:
    back = {v: k for k, v in ids.items()}
    return [back.get(pid, "?") for pid in found]


def _search(h: History, **query: object) -> tuple[int, list[str]]:
    result = search_posts(h.con, SearchQuery(**query), timezone="Europe/Berlin")  # type: ignore[arg-type]
    return result.total, [p.post_id for p in result.posts]


def test_a_word_finds_its_other_inflections_in_german_and_english(history: History) -> None:
    ids = plant(history)
    total, found = _search(history, q="Kundenservice")
    assert sorted(_names(found, ids)) == [
        "de-question",
        "de-service",
        "de-service-2",
        "own-service",
    ]
    assert total == 4
    assert _names(_search(history, q="Häusern")[1], ids) == ["de-houses"]  # plural dative
    assert _names(_search(history, q="wärmepumpe")[1], ids) == ["de-houses"]
    assert _names(_search(history, q="customer complaining")[1], ids) == ["en-customers"]
    assert _search(history, q="Kundenservice Wochenende")[0] == 1  # every word must occur
    assert sorted(_names(_search(history, q="Kundenservice -langsam -abends")[1], ids)) == [
        "de-question",
        "de-service-2",
    ]
    assert stems_of("kundenservices") == ("kundenservic",)


def test_filters_sorting_and_paging(history: History) -> None:
    ids = plant(history)
    names = lambda **q: _names(_search(history, **q)[1], ids)  # noqa: E731
    assert names(q="Kundenservice", sentiment="positive", sort="engagement") == [
        "de-service-2",
        "own-service",
    ]
    assert names(q="Kundenservice", own=True) == ["own-service"]
    assert "own-service" not in names(q="Kundenservice", own=False)
    assert names(q="Kundenservice", question=True) == ["de-question"]
    assert names(q="Kundenservice", source="forum") == ["de-service-2"]
    assert names(q="Kundenservice", lang="en") == []
    assert names(q="slow", lang="en", topic="service") == ["en-customers"]
    assert names(q="Kundenservice", topic="climate") == []
    assert names(q="Kundenservice", week_from="2026-W46", week_to="2026-W46") == ["de-service-2"]
    assert names(q="Kundenservice", source="no-such-source") == []
    # newest first, ties by storage order; pages of 1 add up to the whole list, no overlap
    whole = names(q="Kundenservice", sort="time")
    pages = [names(q="Kundenservice", sort="time", limit=1, offset=i)[0] for i in range(4)]
    assert pages == whole and len(set(whole)) == 4
    assert _search(history, q="Kundenservice", offset=10) == (4, [])
    # without words: the filters alone, over every post (the history's included)
    total, _ = _search(history, lang="de", topic="service", week_from="2026-W47")
    assert total >= 3


def test_bad_parameters_name_themselves(history: History) -> None:
    plant(history)
    for query, param in (
        (SearchQuery(week_from="2026-47"), "week_from"),
        (SearchQuery(sort="likes"), "sort"),  # type: ignore[arg-type]
        (SearchQuery(sentiment="angry"), "sentiment"),
        (SearchQuery(limit=0), "limit"),
        (SearchQuery(offset=-1), "offset"),
    ):
        with pytest.raises(SearchError) as caught:
            search_posts(history.con, query)
        assert caught.value.param == param and str(caught.value).startswith(param)


def test_search_values_never_reach_sql_as_text(history: History) -> None:
    plant(history)
    nasty = "x'); DROP TABLE _posts; --"
    for field in ("q", "source", "lang", "topic"):
        assert search_posts(history.con, SearchQuery(**{field: nasty})).total == 0  # type: ignore[arg-type]
    assert history.con.execute("SELECT count(*) FROM _posts").fetchall()[0][0] > 0


def test_the_index_takes_only_new_posts_and_a_resort_changes_no_answer(history: History) -> None:
    ids = plant(history)
    assert refresh_search_index(history.con).posts == 0  # nothing new: nothing done
    late = Post(
        platform="feed",
        source_id="blog",
        external_id="late",
        url="https://example.org/late",
        author="late",
        author_handle=None,
        title="Kundenservices im Test",
        text="Ein später Beitrag.",
        lang_hint="de",
        published_at=W47_MONDAY + timedelta(hours=30),
        fetched_at=NOW,
    )
    insert_posts(history.con, [late], "load-late")
    before = _search(history, q="Kundenservice")
    assert late.post_id not in before[1]  # not indexed yet: the next refresh takes it
    done = refresh_search_index(history.con, sort_min_rows=0)
    assert done.posts == 1 and done.sorted
    total, found = _search(history, q="kundenservices")
    assert total == before[0] + 1 and found[0] == late.post_id  # the title counts; newest first
    rows = history.con.execute("SELECT count(*) FROM _search_postings").fetchall()[0][0]
    distinct = history.con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT key_id, doc FROM _search_postings)"
    ).fetchall()[0][0]
    assert rows == distinct  # nothing indexed twice
    assert _names(_search(history, q="Häuser")[1], ids) == ["de-houses"]


def test_a_refresh_killed_half_way_resumes_after_its_last_window(history: History) -> None:
    plant(history)
    con = history.con
    with transaction(con):  # forget the index: as after migration 0016 on a stored history
        con.execute("DELETE FROM _search_postings")
        con.execute("UPDATE _settings SET value = '-1' WHERE key = 'search_indexed_rowid'")
    last = con.execute("SELECT max(rowid) FROM _posts").fetchall()[0][0]
    full = refresh_search_index(con, window=50)
    assert full.posts == con.execute("SELECT count(*) FROM _posts").fetchall()[0][0]
    mark = con.execute("SELECT value FROM _settings WHERE key = 'search_indexed_rowid'").fetchall()[
        0
    ][0]
    assert int(mark) == last
    assert _search(history, q="Kundenservice")[0] == 4


def test_search_filter_feeds_the_post_lists(history: History) -> None:
    ids = plant(history)
    page = list_posts(history.con, PostFilter(extra=search_filter(history.con, "Kundenservices")))
    assert sorted(_names([p.post_id for p in page.posts], ids)) == [
        "de-question",
        "de-service",
        "de-service-2",
        "own-service",
    ]
    with pytest.raises(SearchError):
        search_filter(history.con, "  ")
