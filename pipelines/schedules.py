"""The schedules `earshot serve` runs; `prefect.yaml` declares the same (a test checks),
each also as a work-pool variant for process workers (`<deployment>-pool`)."""

from __future__ import annotations

from dataclasses import dataclass

TIMEZONE = "Europe/Berlin"
# The work pool (type `process`) of the variants, and the queue of jobs that write the warehouse.
WORK_POOL = "earshot-process"
WAREHOUSE_QUEUE = "warehouse"


@dataclass(frozen=True, slots=True)
class Schedule:
    deployment: str
    flow: str  # name of the flow function in earshot.pipelines.flows
    cron: str
    timezone: str = TIMEZONE

    @property
    def pool_deployment(self) -> str:
        """The name of its work-pool variant in `prefect.yaml`."""
        return f"{self.deployment}-pool"


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("listen-every-30-min", "listen", "*/30 * * * *"),
    Schedule("weekly-digest", "digest", "0 7 * * 1"),
    Schedule("alert-every-15-min", "alert", "*/15 * * * *"),
)
