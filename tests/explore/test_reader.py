"""The app's view of the analytics copy: reopened when a publish replaces it, its memo kept per
copy, a computation being made waited for, and a new copy's pages warmed."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from earshot.explore.deps import memo_key
from earshot.explore.reader import AnalyticsReader
from earshot.explore.topics import topic_context
from earshot.explore.warm import Corrected, Warmer, warm
from earshot.warehouse import open_warehouse
from earshot.warehouse.publish import publish_analytics_copy
from tests.explore.support import site_settings
from tests.reports.history import WEEK


def test_a_new_copy_is_read_and_its_pages_are_warmed(
    history_file: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, _names = history_file
    settings = site_settings(tmp_path, source)
    copy = AnalyticsReader(settings.analytics_path)
    calls: list[int] = []
    try:
        assert copy.memo("n", lambda con: calls.append(1) or 1) == 1
        assert copy.memo("n", lambda con: calls.append(1) or 2) == 1 and calls == [1]
        con = open_warehouse(settings.warehouse_path)
        try:
            con.execute("UPDATE _sources SET last_error = 'new copy' WHERE source_id = 'blog'")
        finally:
            con.close()
        publish_analytics_copy(settings.warehouse_path, settings.analytics_path)
        with copy.cursor() as cur:  # the next read opens the new copy
            row = cur.execute("SELECT last_error FROM _sources WHERE source_id = 'blog'")
            assert row.fetchone() == ("new copy",)
        assert copy.memo("n", lambda con: calls.append(1) or 3) == 3  # the memo went with it
        warm(settings, copy)
        key = memo_key(settings, ("week-page", WEEK))
        assert copy.memo(key, lambda con: "not warmed") != "not warmed"
        # the default week's topic pages at once, each as the topic route computes it alone
        every = copy.peek(memo_key(settings, ("topic-pages", WEEK)))
        assert isinstance(every, dict) and sorted(every) == ["climate", "price", "service"]
        with copy.cursor() as cur:
            for topic_id, context in every.items():
                assert context == topic_context(cur, topic_id, WEEK, settings.now), topic_id
        assert every["price"]["found"].total == 24  # not vacuous
    finally:
        copy.close()


def test_a_slot_being_computed_is_waited_for(
    history_file: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, _names = history_file
    copy = AnalyticsReader(site_settings(tmp_path, source).analytics_path)
    started, release = threading.Event(), threading.Event()
    computed: list[str] = []

    def slow(con: object) -> str:
        computed.append("slow")
        started.set()
        release.wait(timeout=30)
        return "first"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(copy.memo("k", slow)))
    first.start()
    started.wait(timeout=30)
    second = threading.Thread(
        target=lambda: results.append(copy.memo("k", lambda con: computed.append("again") or "x"))
    )
    second.start()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    copy.close()
    assert computed == ["slow"] and results == ["first", "first"]


def _links(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.glob(f".{path.name}.*.open"))


def test_a_new_copy_opens_while_a_request_still_reads_the_old_one(
    history_file: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, _names = history_file
    settings = site_settings(tmp_path, source)
    copy = AnalyticsReader(settings.analytics_path)
    try:
        with copy.cursor() as old:  # a slow request on the first copy, still reading
            con = open_warehouse(settings.warehouse_path)
            try:
                con.execute("UPDATE _sources SET last_error = 'second' WHERE source_id = 'blog'")
            finally:
                con.close()
            publish_analytics_copy(settings.warehouse_path, settings.analytics_path)
            with copy.cursor() as new:  # does not wait for `old`: opened beside it
                sql = "SELECT last_error FROM _sources WHERE source_id = 'blog'"
                assert new.execute(sql).fetchone() == ("second",)
                assert old.execute(sql).fetchone() != ("second",)
            assert len(_links(settings.analytics_path)) == 2
        # the old copy's last reader had it closed (in a thread of its own) and its link removed
        deadline = time.monotonic() + 30
        while len(_links(settings.analytics_path)) > 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(_links(settings.analytics_path)) == 1
    finally:
        copy.close()
    assert _links(settings.analytics_path) == []


def test_a_killed_apps_links_are_removed(
    history_file: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, _names = history_file
    settings = site_settings(tmp_path, source)
    stale = settings.analytics_path.with_name(f".{settings.analytics_path.name}.999999999.1.open")
    os.link(settings.analytics_path, stale)
    AnalyticsReader(settings.analytics_path).close()
    assert not stale.exists()


def test_a_corrections_pages_are_warmed_first_and_a_replaced_copys_not_at_all(
    history_file: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, _names = history_file
    settings = site_settings(tmp_path, source)
    copy = AnalyticsReader(settings.analytics_path)
    order: list[object] = []
    real_memo = copy.memo

    def recording(key: Hashable, compute: Callable[[Any], Any]) -> Any:
        order.append(key)
        return real_memo(key, compute)

    copy.memo = recording  # type: ignore[method-assign]
    try:
        with copy.cursor() as con:
            post_id, topic_id, week = con.execute(
                "SELECT t.post_id, t.topic_id, p.week FROM post_topics t JOIN posts p "
                "USING (post_id) WHERE p.week <> ? ORDER BY 1, 2 LIMIT 1",
                [WEEK],
            ).fetchone()
        warmer = Warmer(settings, copy)
        warmer.prefer(Corrected(post_id, topic_id, back=f"/topics/{topic_id}?week={WEEK}"))
        warmer()
        assert order[:3] == [
            memo_key(settings, ("topic-page", topic_id, WEEK)),  # the page the form came from
            memo_key(settings, ("week-page", week)),  # the corrected post's week
            memo_key(settings, ("topic-page", topic_id, week)),
        ]
        assert memo_key(settings, ("week-page", WEEK)) in order  # then the default week's
        order.clear()
        publish_analytics_copy(settings.warehouse_path, settings.analytics_path)
        warmer()  # on the copy it had open, which a newer copy replaced meanwhile: stops
        assert order == []
    finally:
        copy.close()
