"""`earshot backfill`: fill one source's history back to a date, page by page, resumably.

A plain job (no Prefect): the listener walks the platform back (`listeners.backfill`), each
page's posts and the walk's progress are stored in one short write (`warehouse.backfills`),
and the run ends by refreshing the digest facts of the weeks it filled and publishing the
analysts' copy. The source's incremental state (what `collect` goes on from) is not touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from earshot.listeners.backfill import cannot_go_back, earliest, walk
from earshot.listeners.errors import ListenerError
from earshot.listeners.records import SourceSpec
from earshot.listeners.social.backfill import Window
from earshot.pipelines import http_setup, jobs
from earshot.pipelines.config import LoadedConfig
from earshot.warehouse.backfills import finish_backfill, open_backfill, store_backfill_page


class BackfillRefused(ValueError):
    """The backfill cannot run as asked (unknown source, a kind that cannot go back, dates)."""


@dataclass
class BackfillSummary:
    """What one run did. `done`: the history reaches `since`; else `error` says what stopped
    it, and the next run with the same source goes on from the last stored page."""

    source_id: str
    since: datetime
    until: datetime
    resumed: bool
    pages: int = 0
    posts_added: int = 0
    done: bool = False
    error: str | None = None
    load_id: str = ""
    reached: datetime | None = None  # the oldest time this run's pages showed
    exhausted: bool = False  # the listing ended before `since` (see `BackfillPage`)


def parse_day(value: str, *, zone: str, option: str, end: bool = False) -> datetime:
    """`2026-09-01` as the start of that day in the organisation's zone (with `end`, the start
    of the next day: `--until` includes its day); a full ISO time is taken as it is."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(), ZoneInfo(zone))
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BackfillRefused(f"{option} {value!r}: expected a date like 2026-09-01") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))


def backfill_spec(loaded: LoadedConfig, source_id: str) -> SourceSpec:
    """The source's listener spec; `BackfillRefused` when it is unknown or cannot go back."""
    source = next((s for s in loaded.config.sources if s.id == source_id), None)
    if source is None:
        known = ", ".join(s.id for s in loaded.config.sources)
        raise BackfillRefused(f"no source {source_id!r} in {loaded.path} (known: {known})")
    spec = jobs.source_spec(source)
    reason = cannot_go_back(spec)
    if reason is not None:
        raise BackfillRefused(f"{source_id}: {reason}")
    return spec


def check_range(since: datetime, until: datetime | None, now: datetime) -> None:
    if since >= now:
        raise BackfillRefused(f"--since {since:%Y-%m-%d}: not in the past")
    if until is not None and until <= since:
        raise BackfillRefused(f"--until {until:%Y-%m-%d}: not after --since {since:%Y-%m-%d}")


def run_backfill(
    loaded: LoadedConfig,
    spec: SourceSpec,
    since: datetime,
    until: datetime | None,
) -> BackfillSummary:
    """Walk the source back to `since` (from `until`, default now), storing page by page.

    An unfinished backfill of the same source and range goes on from its saved progress. A
    source problem (a `ListenerError`: refused, rate-limited, unparseable) ends the run with
    what was stored kept and the message in the summary; anything else propagates, the pages
    stored so far likewise kept.
    """
    now = jobs.utcnow()
    with jobs.warehouse(loaded) as con:  # migrated, sources synced
        backfill = open_backfill(con, spec.source_id, since, until, now=now)
    summary = BackfillSummary(
        spec.source_id, backfill.since, backfill.until, backfill.resumed, load_id=backfill.load_id
    )
    window = Window(backfill.since, backfill.until)
    policy = http_setup.http_policy(loaded)
    try:
        with http_setup.http_client(policy) as client:
            pages = walk(client, spec, backfill.progress, policy=policy, window=window, now=now)
            for page in pages:
                with jobs.write_session(loaded) as con:
                    added = store_backfill_page(
                        con, backfill, page.posts, page.progress,
                        reached=page.reached, exhausted=page.exhausted,
                    )  # fmt: skip
                summary.pages += 1
                summary.posts_added += added
                summary.exhausted = summary.exhausted or page.exhausted
                if page.reached and (summary.reached is None or page.reached < summary.reached):
                    summary.reached = page.reached
            summary.done = True  # the walk ended: it reached `since` or the listing's end
    except ListenerError as exc:
        summary.error = str(exc)
    finally:
        with jobs.write_session(loaded) as con:
            finish_backfill(con, backfill, done=summary.done, rows_added=summary.posts_added)
            jobs.refresh_digest_facts(con)
    jobs.publish_analytics(loaded)
    return summary


@dataclass(frozen=True, slots=True)
class BackfillRequest:
    spec: SourceSpec
    since: datetime
    until: datetime | None


def plan(loaded: LoadedConfig, source_id: str, since: str, until: str | None) -> BackfillRequest:
    """Check the command's arguments (before anything is fetched); `BackfillRefused` if bad."""
    spec = backfill_spec(loaded, source_id)
    zone = loaded.config.timezone
    start = parse_day(since, zone=zone, option="--since")
    end = parse_day(until, zone=zone, option="--until", end=True) if until else None
    now = jobs.utcnow()
    check_range(start, end, now)
    oldest = earliest(spec, now)
    if oldest is not None and start < oldest:
        raise BackfillRefused(
            f"--since {start:%Y-%m-%d}: {source_id} ({spec.kind}) reaches back only to "
            f"{oldest:%Y-%m-%d} (the platform keeps 3 months)"
        )
    return BackfillRequest(spec, start, end)


def describe(summary: BackfillSummary) -> str:
    """The run in one line, for the command line."""
    went_on = "resumed, " if summary.resumed else ""
    head = (
        f"backfill {summary.source_id} {summary.since:%Y-%m-%d}..{summary.until:%Y-%m-%d}: "
        f"{went_on}{summary.pages} page(s), {summary.posts_added} new post(s)"
    )
    if summary.done and summary.exhausted:
        end = f" at {summary.reached:%Y-%m-%d}" if summary.reached else ""
        return f"{head}; the platform's listing ends{end}: it serves nothing older"
    if summary.done:
        return f"{head}; history reaches {summary.since:%Y-%m-%d}"
    return f"{head}; stopped: {summary.error} (run it again to go on)"
