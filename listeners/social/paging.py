"""A resumable walk over a newest-first listing paged by cursor (Bluesky, Reddit, Algolia).

State: `mark` is the newest item key of a completed walk, `mark_ids` the ids sharing it.
A walk stops at the first item older than the mark. When the page budget runs out first,
`resume` keeps the cursor and the walk goes on from there next run (then from the top
again), so a burst bigger than the budget is collected over several runs, never skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# One page: its items (newest first) and the cursor for the next (older) page, if any.
Page = tuple[list[Any], str | None]
PageFetcher = Callable[[str | None], Page]


@dataclass
class Walk:
    items: list[Any] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    pages: int = 0


def _pages(fetch_page: PageFetcher, cursor: str | None, budget: int) -> Iterator[tuple[Page, int]]:
    used = 0
    while used < budget:
        page = fetch_page(cursor)
        used += 1
        yield page, used
        cursor = page[1]
        if cursor is None or not page[0]:
            return


def walk_newest_first(
    fetch_page: PageFetcher,
    state: Mapping[str, Any],
    *,
    key: Callable[[Any], str],
    ident: Callable[[Any], str],
    max_pages: int,
    first_run_pages: int = 1,
) -> Walk:
    """Collect items newer than the saved mark; see the module docstring for the state."""
    mark: str | None = state.get("mark")
    mark_ids = set(state.get("mark_ids") or ())
    resume = state.get("resume") if isinstance(state.get("resume"), dict) else None
    walk = Walk()

    def is_new(item: Any) -> bool:
        k = key(item)
        return mark is None or k > mark or (k == mark and ident(item) not in mark_ids)

    def run(cursor: str | None, budget: int) -> tuple[list[Any], str | None, bool]:
        """Items until the mark; the cursor to go on from and whether the mark was reached."""
        got: list[Any] = []
        next_cursor = cursor
        for (items, next_cursor), used in _pages(fetch_page, cursor, budget):
            walk.pages += 1
            for item in items:
                if mark is not None and key(item) < mark:
                    return got, None, True
                if is_new(item):
                    got.append(item)
            if next_cursor is None or not items:
                return got, None, True
            if used == budget:
                break
        return got, next_cursor, False

    budget = max_pages
    if resume is not None:
        got, cursor, done = run(resume.get("cursor"), budget)
        walk.items.extend(got)
        budget -= walk.pages
        if not done:
            resumed = {**resume, "cursor": cursor}
            walk.state = {"mark": mark, "mark_ids": sorted(mark_ids), "resume": resumed}
            return walk
        mark, mark_ids = resume.get("newest"), set(resume.get("newest_ids") or ())
    if budget <= 0:
        walk.state = {"mark": mark, "mark_ids": sorted(mark_ids)}
        return walk
    first_run = mark is None
    got, cursor, done = run(None, first_run_pages if first_run else budget)
    walk.items.extend(got)
    newest = max((key(i) for i in got), default=None)
    if newest is None or (mark is not None and newest < mark):
        walk.state = {"mark": mark, "mark_ids": sorted(mark_ids)}
        return walk
    newest_ids = sorted({ident(i) for i in got if key(i) == newest})
    if mark is not None and newest == mark:
        newest_ids = sorted(set(newest_ids) | mark_ids)
    if done or first_run:
        walk.state = {"mark": newest, "mark_ids": newest_ids}
    else:
        walk.state = {
            "mark": mark,
            "mark_ids": sorted(mark_ids),
            "resume": {"cursor": cursor, "newest": newest, "newest_ids": newest_ids},
        }
    return walk
