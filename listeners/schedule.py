"""When to poll a source next: its interval when healthy, backing off while it fails."""

from __future__ import annotations

from datetime import datetime, timedelta

from listeners.records import FetchStatus

MAX_BACKOFF = timedelta(days=1)


def next_attempt(
    status: FetchStatus, failure_count: int, now: datetime, interval: timedelta
) -> datetime:
    """Next attempt after a fetch; `failure_count` counts consecutive failures including this one.

    A failing source waits interval, 2x, 4x ... up to a day, and is never forgotten.
    """
    if status is not FetchStatus.FAILED:
        return now + interval
    factor = 2 ** max(failure_count - 1, 0)
    return now + min(interval * factor, max(MAX_BACKOFF, interval))
