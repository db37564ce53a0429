"""Warming a newly opened analytics copy: pages computed in the background before anyone asks
(at 1,000,000 posts a week's digest takes more than a second; from the memo a page takes
milliseconds).

After a correction the pages its user returns to come first: the page the form came from, the
corrected post's week page and its topic pages (`Warmer.prefer`, said before the republish).
Then the default week's start page and topic pages. A warm-up stops as soon as a newer copy
replaced the one it warms, or a republish is under way (a second correction): its pages would
be thrown away with the memo, and the cores are better spent on the republish and the newer
copy's pages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb

from earshot.explore.deps import default_week, memo_key
from earshot.explore.reader import AnalyticsReader
from earshot.explore.settings import ExploreSettings
from earshot.explore.topics import topic_context, topic_pages
from earshot.explore.week import week_context
from earshot.warehouse.weeks import parse_week

MAX_PREFERRED = 8  # corrections whose pages the next copy warms first (a burst: the newest)


@dataclass(frozen=True, slots=True)
class Page:
    """A memoised page: the week page of `week`, or the topic page of `topic_id` in `week`
    (`every_topic`: all topic pages of `week`, computed at once)."""

    week: str
    topic_id: str | None = None
    every_topic: bool = False


@dataclass(frozen=True, slots=True)
class Corrected:
    """What a correction's user returns to: its post (and topic), and the page it came from."""

    post_id: str
    topic_id: str | None = None
    back: str | None = None


def warm(
    settings: ExploreSettings,
    copy: AnalyticsReader,
    first: Sequence[Corrected] = (),
    replacing: Callable[[], bool] = lambda: False,
) -> None:
    """Compute into the memo the pages `first` names, then the default week's, until the copy
    is replaced (or `replacing()` says a republish is under way); a failure is said once and
    costs nothing else (the page itself will say what is wrong)."""
    opened = copy.opened_stamp
    week = default_week(settings)

    def run(pages: list[Page], known: set[str]) -> bool:
        """Compute `pages` (unknown topics left out); False once the copy is being replaced."""
        for page in pages:
            if replacing() or (opened is not None and copy.current_stamp() != opened):
                return False  # a newer copy replaces this one: its own warm-up will start
            if page.topic_id is None or page.topic_id in known:
                _compute(settings, copy, page, sorted(known))
        return True

    try:
        with copy.cursor() as con:
            topics = [
                r[0] for r in con.execute("SELECT topic_id FROM topics ORDER BY 1").fetchall()
            ]
        known = set(topics)
        # the pages the forms came from first: the browser is on its way to them
        backs = [_page_of_path(c.back, week) for c in first if c.back]
        done = [p for p in dict.fromkeys(backs) if p is not None]
        if not run(done, known):
            return
        with copy.cursor() as con:
            pages = [p for c in first for p in _pages_of(con, c)]
        # the default week's topic pages at once: their shown posts read together
        pages += [Page(week), Page(week, every_topic=True)]
        run([p for p in dict.fromkeys(pages) if p not in done], known)
    except Exception as exc:
        print(f"explore: preparing the pages of {week}: {exc}", flush=True)


class Warmer:
    """The app's warm-up, run each time a new copy was opened (`AnalyticsReader.on_open`)."""

    def __init__(
        self,
        settings: ExploreSettings,
        copy: AnalyticsReader,
        replacing: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings, self.copy, self.replacing = settings, copy, replacing
        self._lock = threading.Lock()
        self._first: list[Corrected] = []

    def prefer(self, corrected: Corrected) -> None:
        """Warm the pages of `corrected` first on the next copy opened (its republish's)."""
        with self._lock:
            self._first = [*self._first, corrected][-MAX_PREFERRED:]

    def __call__(self) -> None:
        with self._lock:
            first, self._first = self._first, []
        # the newest correction's pages first
        warm(self.settings, self.copy, first[::-1], self.replacing)


def _pages_of(con: duckdb.DuckDBPyConnection, corrected: Corrected) -> list[Page]:
    """The corrected post's week page and its topics' pages (the corrected topic first)."""
    row = con.execute("SELECT week FROM posts WHERE post_id = ?", [corrected.post_id]).fetchone()
    if row is None or row[0] is None:
        return []
    week = str(row[0])
    pages = [Page(week)]
    if corrected.topic_id is not None:
        pages.append(Page(week, corrected.topic_id))
    tagged = con.execute(
        "SELECT DISTINCT topic_id FROM post_topics WHERE post_id = ? ORDER BY 1",
        [corrected.post_id],
    ).fetchall()
    return pages + [Page(week, r[0]) for r in tagged]


def _page_of_path(back: str, default: str) -> Page | None:
    """The memoised page a path of this app shows (`/`, `/topics/<id>`), or None."""
    parts = urlsplit(back)
    week = (parse_qs(parts.query).get("week") or [default])[0] or default
    try:
        parse_week(week)
    except ValueError:
        return None
    if parts.path == "/":
        return Page(week)
    if parts.path.startswith("/topics/") and parts.path.count("/") == 2:
        return Page(week, unquote(parts.path.removeprefix("/topics/")))
    return None


def _compute(
    settings: ExploreSettings, copy: AnalyticsReader, page: Page, topics: list[str]
) -> None:
    """The page's context into the memo, under the key its route reads (every topic page of
    a week: under the key the topic route looks at first)."""
    if page.every_topic:
        copy.memo(
            memo_key(settings, ("topic-pages", page.week)),
            lambda con: topic_pages(con, page.week, topics, settings.now),
        )
    elif page.topic_id is None:
        copy.memo(
            memo_key(settings, ("week-page", page.week)),
            lambda con: week_context(con, settings, page.week),
        )
    else:
        topic_id = page.topic_id
        copy.memo(
            memo_key(settings, ("topic-page", topic_id, page.week)),
            lambda con: topic_context(con, topic_id, page.week, settings.now),
        )
