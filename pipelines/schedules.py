"""The schedules `earshot serve` runs; `prefect.yaml` declares the same (a test checks)."""

from __future__ import annotations

from dataclasses import dataclass

TIMEZONE = "Europe/Berlin"


@dataclass(frozen=True, slots=True)
class Schedule:
    deployment: str
    flow: str  # name of the flow function in pipelines/flows.py
    cron: str
    timezone: str = TIMEZONE


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("listen-every-30-min", "listen", "*/30 * * * *"),
    Schedule("weekly-digest", "digest", "0 7 * * 1"),
    Schedule("alert-every-15-min", "alert", "*/15 * * * *"),
)
