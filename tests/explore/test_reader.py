"""The app's view of the analytics copy: reopened when a publish replaces it, its memo kept per
copy, a computation being made waited for, and a new copy's pages warmed."""

from __future__ import annotations

import threading
from pathlib import Path

from earshot.explore.deps import memo_key
from earshot.explore.reader import AnalyticsReader
from earshot.explore.warm import warm
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
        topic = memo_key(settings, ("topic-page", "price", WEEK))
        assert copy.memo(topic, lambda con: "not warmed") != "not warmed"
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
