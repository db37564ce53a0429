"""When to poll a source next: its interval when healthy, longer while it stays quiet
(like Miniflux's entry-frequency scheduler), backing off while it fails, and never before
the time a server asked us to wait with Retry-After."""

from __future__ import annotations

from datetime import datetime, timedelta

from earshot.listeners.records import FetchStatus

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


# After this many fetches in a row without a new post, the interval doubles, and again
# after as many more, up to MAX_QUIET_FACTOR times the configured interval.
QUIET_RUNS_PER_DOUBLING = 4
MAX_QUIET_FACTOR = 8


def adaptive_interval(interval: timedelta, quiet_runs: int) -> timedelta:
    """A source that rarely changes is polled less: 1x, 2x, 4x, 8x its interval."""
    factor = min(2 ** (max(quiet_runs, 0) // QUIET_RUNS_PER_DOUBLING), MAX_QUIET_FACTOR)
    return interval * factor


def plan_next_attempt(
    status: FetchStatus,
    failure_count: int,
    now: datetime,
    interval: timedelta,
    *,
    quiet_runs: int = 0,
    retry_after_seconds: float | None = None,
) -> datetime:
    """`next_attempt` with adaptive polling and the server's Retry-After respected."""
    if status is not FetchStatus.FAILED:
        interval = adaptive_interval(interval, quiet_runs)
    upcoming = next_attempt(status, failure_count, now, interval)
    if retry_after_seconds:
        upcoming = max(upcoming, now + timedelta(seconds=retry_after_seconds))
    return upcoming
