"""ISO weeks ('2026-W47'): parsing, neighbours and their time range in the organisation's zone."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> tuple[int, int]:
    """'2026-W47' -> (2026, 47); a clear ValueError otherwise."""
    m = _WEEK.match(week)
    if not m:
        raise ValueError(f"week {week!r}: expected an ISO week like 2026-W47")
    year, num = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, num, 1)
    except ValueError as exc:
        raise ValueError(f"week {week!r}: {year} has no week {num}") from exc
    return year, num


def iso_week(day: date) -> str:
    year, num, _ = day.isocalendar()
    return f"{year}-W{num:02d}"


def week_start(week: str) -> date:
    """The Monday of an ISO week (the `week_start` of the digest facts)."""
    year, num = parse_week(week)
    return date.fromisocalendar(year, num, 1)


def previous_week(week: str) -> str:
    return iso_week(week_start(week) - timedelta(days=7))


def last_complete_week(now: datetime, timezone: str) -> str:
    """The ISO week before the one `now` falls in, in the organisation's time zone."""
    local = now.astimezone(ZoneInfo(timezone)).date()
    return iso_week(local - timedelta(days=7))


def week_bounds(week: str, timezone: str) -> tuple[datetime, datetime]:
    """Start (Monday 00:00) and end (next Monday 00:00) of an ISO week, zone-aware."""
    start = datetime.combine(week_start(week), datetime.min.time())
    start = start.replace(tzinfo=ZoneInfo(timezone))
    return start, start + timedelta(days=7)
