"""The schedules `earshot serve` runs; `prefect.yaml` declares the same deployments for
process workers on the `earshot` work pool (a test checks)."""

from __future__ import annotations

from dataclasses import dataclass

TIMEZONE = "Europe/Berlin"
# The work pool (type `process`) of the deployments, and the queue of jobs that write the
# warehouse (their workers run where its file is).
WORK_POOL = "earshot"
WAREHOUSE_QUEUE = "warehouse"


@dataclass(frozen=True, slots=True)
class Schedule:
    deployment: str
    flow: str  # name of the flow function in earshot.pipelines.flows
    cron: str
    timezone: str = TIMEZONE
    # what a run due while the last is still running does: wait (ENQUEUE), or, for the
    # long-running stream, not start (CANCEL_NEW): the schedule only restarts a stopped stream
    collision_strategy: str = "ENQUEUE"


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("listen-every-30-min", "listen", "*/30 * * * *"),
    Schedule("weekly-digest", "digest", "0 7 * * 1"),
    Schedule("alert-every-15-min", "alert", "*/15 * * * *"),
    # `earshot stream` as a deployment kept running: a run every 5 minutes that is cancelled
    # while the last one still streams (and ends at once when no source is a stream)
    Schedule("bluesky-stream", "stream", "*/5 * * * *", collision_strategy="CANCEL_NEW"),
)
