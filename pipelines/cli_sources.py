"""`earshot sources`: the table of each source's health, times in the organisation's zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from earshot.pipelines.config import LoadedConfig, is_stream
from earshot.pipelines.inspect import history_reach, quota_of
from earshot.pipelines.streamlock import stream_holder


def sources_table(loaded: LoadedConfig, rows: Sequence[dict[str, Any]]) -> Table:
    """Each source (`inspect.source_rows`) with its last status, last success, posts in the
    last 7 days, next attempt, how far back its history reaches (a stream source: where its
    cursor stands and how far behind it was at its last batch, or who streams it now)."""
    zone = loaded.config.timezone
    table = Table(title=f"Sources of {loaded.config.organisation}")
    for column in (
        "source",
        "kind",
        "own",
        "last status",
        f"last success ({zone})",
        "posts 7d",
        f"next attempt ({zone})",
        "failures",
        "last error",
        "history from",
    ):
        table.add_column(column, overflow="fold")
    streams = {
        s.id: (
            f"streaming ({holder})"
            if (holder := stream_holder(loaded.warehouse_path, s.id))
            else "stopped"
        )
        for s in loaded.config.sources
        if is_stream(s)
    }
    for r in rows:
        status = r["last_status"] or "never fetched"
        colour = {"ok": "green", "not_modified": "green", "failed": "red"}.get(status, "yellow")
        quota_note = quota_of(r) + _stream_note(r, zone)
        table.add_row(
            r["source_id"],
            r["kind"],
            "yes" if r["owned"] else "",
            f"[{colour}]{status}[/]{quota_note}",
            _when(r["last_success_at"], zone),
            str(r["posts_last_7_days"]),
            streams.get(r["source_id"]) or _when(r["next_attempt_at"], zone) or "now",
            str(r["failure_count"]),
            r["last_error"] or "",
            history_reach(r, zone),
        )
    return table


def _stream_note(row: dict[str, Any], zone: str) -> str:
    """A stream source's cursor and lag; its last success is its last batch."""
    if row["kind"] != "bluesky" or row.get("stream_cursor_at") is None:
        return ""
    lag = row.get("stream_lag_seconds")
    lag_note = f", {lag:.0f} s behind" if lag is not None else ""
    return f" (stream at {_when(row['stream_cursor_at'], zone)}{lag_note})"


def _when(value: datetime | None, zone: str) -> str:
    """A time in the organisation's zone (the column header names it)."""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") if value else ""
