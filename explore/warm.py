"""Warming a newly opened analytics copy: the start page and the default week's topic pages
are computed in the background before anyone asks (at 1,000,000 posts a week's digest takes
seconds; from the memo a page takes milliseconds)."""

from __future__ import annotations

from earshot.explore.deps import default_week, memo_key
from earshot.explore.reader import AnalyticsReader
from earshot.explore.settings import ExploreSettings
from earshot.explore.topics import topic_context
from earshot.explore.week import week_context


def warm(settings: ExploreSettings, copy: AnalyticsReader) -> None:
    """Compute the default week's pages into the memo; a failure is said once and costs
    nothing else (the page itself will say what is wrong)."""
    week = default_week(settings)
    try:
        copy.memo(
            memo_key(settings, ("week-page", week)), lambda con: week_context(con, settings, week)
        )
        with copy.cursor() as con:
            topics = [
                r[0] for r in con.execute("SELECT topic_id FROM topics ORDER BY 1").fetchall()
            ]
        for topic_id in topics:
            copy.memo(
                memo_key(settings, ("topic-page", topic_id, week)),
                lambda con, t=topic_id: topic_context(con, t, week, settings.now),  # type: ignore[misc]
            )
    except Exception as exc:
        print(f"explore: preparing the pages of {week}: {exc}", flush=True)
