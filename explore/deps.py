"""What every route needs: the settings, a cursor on the analytics copy, the week asked for
(or the default: the last complete week), and the shared refusals (400/404 naming the field)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Hashable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import duckdb
from fastapi import HTTPException
from starlette.requests import Request

from earshot.explore.reader import AnalyticsReader
from earshot.explore.settings import ExploreSettings
from earshot.warehouse.weeks import last_complete_week, parse_week

T = TypeVar("T")


def settings_of(request: Request) -> ExploreSettings:
    settings: ExploreSettings = request.app.state.settings
    return settings


@contextlib.contextmanager
def reader(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the current analytics copy, closed after the block."""
    copy: AnalyticsReader = request.app.state.reader
    with copy.cursor() as cur:
        yield cur


def memo(request: Request, key: Hashable, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """`compute(cursor)` once per analytics copy and `key` (and per 5 minutes of the clock, for
    what depends on "now": whether a week is complete)."""
    copy: AnalyticsReader = request.app.state.reader
    return copy.memo(memo_key(settings_of(request), key), compute)


def peek(request: Request, key: Hashable) -> object | None:
    """What `memo` already holds for `key` on the current copy, or None."""
    copy: AnalyticsReader = request.app.state.reader
    return copy.peek(memo_key(settings_of(request), key))


def memo_key(settings: ExploreSettings, key: Hashable) -> Hashable:
    clock = None if settings.now is not None else int(time.time() // 300)
    return (key, clock)


def default_week(settings: ExploreSettings) -> str:
    """The last complete week (in the organisation's zone) as of `settings.now` or the clock."""
    return last_complete_week(settings.now or datetime.now(UTC), settings.timezone)


def bad(field: str, message: str) -> HTTPException:
    """A 400 naming the parameter: `{"detail": "<field>: <message>", "field": <field>}`."""
    return HTTPException(status_code=400, detail=f"{field}: {message}")


def not_found(field: str, message: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{field}: {message}")


def chosen_week(request: Request, week: str | None, field: str = "week") -> str:
    """`week` checked (400 naming the parameter), or the last complete week."""
    settings = settings_of(request)
    if week is None or week == "":
        return default_week(settings)
    try:
        parse_week(week)
    except ValueError as exc:
        raise bad(field, str(exc)) from None
    return week


def week_list(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every week of the calendar, newest first, for the week picker."""
    rows = con.execute(
        "SELECT week, ends_at <= coalesce(?::TIMESTAMPTZ, now()) FROM weeks "
        "ORDER BY week_start DESC",
        [now],
    ).fetchall()
    return [{"week": w, "complete": bool(c)} for w, c in rows]


def known_topic(con: duckdb.DuckDBPyConnection, topic_id: str, field: str = "topic") -> str:
    """The topic's label, or 404 naming the parameter."""
    row = con.execute("SELECT label FROM topics WHERE topic_id = ?", [topic_id]).fetchone()
    if row is None:
        raise not_found(field, f"no topic {topic_id!r}")
    return str(row[0])
