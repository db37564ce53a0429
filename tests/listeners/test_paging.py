"""The resumable newest-first walk, on plain lists."""

from __future__ import annotations

from earshot.listeners.social.paging import Page, walk_newest_first


def pages_of(items: list[int], size: int):  # type: ignore[no-untyped-def]
    ordered = sorted(items, reverse=True)
    calls: list[str | None] = []

    def fetch(cursor: str | None) -> Page:
        calls.append(cursor)
        start = int(cursor or 0)
        chunk = ordered[start : start + size]
        more = start + size < len(ordered)
        return [str(i).zfill(4) for i in chunk], str(start + size) if more else None

    return fetch, calls


def walk(items: list[int], state: dict, size: int = 2, max_pages: int = 10):  # type: ignore[no-untyped-def,type-arg]
    fetch, calls = pages_of(items, size)
    return walk_newest_first(
        fetch, state, key=lambda i: i, ident=lambda i: i, max_pages=max_pages
    ), calls


def test_first_run_takes_one_page_and_sets_the_mark() -> None:
    result, calls = walk(list(range(10)), {})
    assert result.items == ["0009", "0008"] and calls == [None]
    assert result.state == {"mark": "0009", "mark_ids": ["0009"]}


def test_later_runs_stop_at_the_mark_and_nothing_new_is_empty() -> None:
    result, calls = walk(list(range(15)), {"mark": "0009", "mark_ids": ["0009"]})
    # Items sharing the mark's key may follow it, so the walk reads to the first older one.
    assert result.items == ["0014", "0013", "0012", "0011", "0010"] and len(calls) == 4
    again, _ = walk(list(range(15)), result.state)
    assert again.items == [] and again.state["mark"] == "0014"


def test_same_key_items_are_told_apart_by_id() -> None:
    # Two items share the mark's key; only the one not yet seen is new.
    fetch_calls = 0

    def fetch(cursor: str | None) -> Page:
        nonlocal fetch_calls
        fetch_calls += 1
        return [("0005", "b"), ("0005", "a"), ("0004", "z")], None

    state = {"mark": "0005", "mark_ids": ["a"]}
    result = walk_newest_first(fetch, state, key=lambda i: i[0], ident=lambda i: i[1], max_pages=3)
    assert result.items == [("0005", "b")]
    assert result.state == {"mark": "0005", "mark_ids": ["a", "b"]}


def test_a_burst_beyond_the_budget_resumes_without_gaps() -> None:
    items = list(range(30))
    state: dict = {"mark": "0009", "mark_ids": ["0009"]}  # type: ignore[type-arg]
    got: list[str] = []
    for _ in range(6):
        result, _calls = walk(items, state, size=2, max_pages=3)
        got += result.items
        state = result.state
    assert sorted(set(got)) == [str(i).zfill(4) for i in range(10, 30)]
    assert state == {"mark": "0029", "mark_ids": ["0029"]}
