"""Plain functions the flows call: a job's warehouse sessions (the writer lock) and the steps
of collect (due sources, storing fetches) and enrich (stale batches, storing tags).

No Prefect here, so each step can be tested and reused on its own. The HTTP setup is in
`http_setup`, the configured Enricher in `tagging`, learning from labels in `learning`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from earshot.listeners.records import FetchResult, SourceSpec
from earshot.listeners.schedule import plan_next_attempt
from earshot.nlp.records import EnrichResult, PendingPost
from earshot.pipelines.config import (
    ConfigError,
    LoadedConfig,
    SourceConfig,
    is_stream,
    load_config,
)
from earshot.reports.alerts import AlertRules
from earshot.reports.delivery import SmtpSettings
from earshot.warehouse.annotations import StaleCursor, next_stale, store_enriched
from earshot.warehouse.connection import writing
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.publish import Published, publish_analytics_copy
from earshot.warehouse.retention import prune_raw
from earshot.warehouse.sources import (
    FetchRecord,
    SourceRow,
    source_states,
    store_fetches,
    sync_sources,
)
from earshot.warehouse.taxonomy import sync_taxonomy

# A source is due a little before its next attempt, so a schedule firing a few seconds
# early does not skip it for a whole interval.
DUE_SLACK = timedelta(minutes=1)


@contextlib.contextmanager
def warehouse(loaded: LoadedConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    """A job's first write: migrate, sync sources and taxonomy from the config.

    Holds the writer lock for the whole block (see `write_session`): keep it short, or use
    it only to start a job and `write_session` for each batch after.
    """
    cfg = loaded.config
    with writing(
        loaded.warehouse_path,
        lock_timeout_seconds=cfg.warehouse.lock_timeout_seconds,
        migrate=True,
    ) as con:
        sync_sources(
            con,
            [SourceRow(s.id, s.kind, str(s.url), s.owned) for s in cfg.sources],
        )
        sync_taxonomy(
            con,
            [(t.id, t.label, t.bucket) for t in cfg.topics],
            [(b.id, b.label, b.target_share) for b in cfg.buckets],
            timezone=cfg.timezone,
        )
        yield con


@contextlib.contextmanager
def write_session(loaded: LoadedConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    """One batch's write: writer lock + a fresh connection, both released at the block's end.

    Writers (collect, enrich, alert, other processes) take turns on the lock; a writer that
    waits longer than `warehouse.lock_timeout_seconds` fails with `WarehouseLocked` naming
    the lock file and its holder. Do the slow work (fetching, NLP) outside the block.
    The warehouse must already be migrated (open it once with `warehouse` first).
    """
    with writing(
        loaded.warehouse_path,
        lock_timeout_seconds=loaded.config.warehouse.lock_timeout_seconds,
    ) as con:
        yield con


def load_job_config(config: str) -> LoadedConfig:
    """The config a flow run reads. A relative path resolves against `$EARSHOT_HOME` when it
    is set (read here, at run time: on a worker, the worker's own), else the working folder.

    Deployments name `listening.yaml`, and a process worker starts each flow run in a fresh
    temporary folder: `EARSHOT_HOME` says where the checkout with its config is.
    """
    path = Path(config).expanduser()
    home = os.environ.get("EARSHOT_HOME")
    if home and not path.is_absolute():
        path = Path(home).expanduser() / path
    try:
        return load_config(path)
    except ConfigError as exc:
        if not path.exists() and not home:
            raise ConfigError(
                f"{exc} (in {Path.cwd()}; set EARSHOT_HOME to the folder holding it)"
            ) from None
        raise


def publish_analytics(loaded: LoadedConfig) -> Published:
    """Replace the analysts' read-only copy with a snapshot of the warehouse as it is now."""
    return publish_analytics_copy(
        loaded.warehouse_path,
        loaded.analytics_path,
        lock_timeout_seconds=loaded.config.warehouse.lock_timeout_seconds,
    )


def refresh_digest_facts(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute the digest facts of the weeks changed since the last refresh; return the weeks.

    Writers own the facts: collect and enrich end their write cycle with this, digest and alert
    start with it (after `warehouse` synced the config). Readers only check (`require_fresh`).
    """
    return refresh_facts(con)


def apply_retention(con: duckdb.DuckDBPyConnection, loaded: LoadedConfig, now: datetime) -> int:
    """Prune raw JSON older than `warehouse.raw_retention_days`; return the posts pruned."""
    keep_days = loaded.config.warehouse.raw_retention_days
    return 0 if keep_days is None else prune_raw(con, now=now, keep_days=keep_days)


@dataclass(frozen=True, slots=True)
class DueSource:
    spec: SourceSpec
    state: dict[str, object]
    interval: timedelta


def due_sources(
    con: duckdb.DuckDBPyConnection,
    loaded: LoadedConfig,
    now: datetime,
    *,
    force: bool = False,
    only: str | None = None,
) -> list[DueSource]:
    """Configured sources whose next attempt has come (all of them with `force`); with
    `only`, that one source, due or not. Stream sources are never due: `earshot stream`
    reads them."""
    states = source_states(con)
    due: list[DueSource] = []
    for s in loaded.config.sources:
        if (only is not None and s.id != only) or is_stream(s):
            continue
        saved = states.get(s.id)
        next_at = saved.next_attempt_at if saved else None
        if force or only is not None or next_at is None or next_at <= now + DUE_SLACK:
            spec = source_spec(s)
            due.append(DueSource(spec, dict(saved.state) if saved else {}, s.interval))
    return due


def source_spec(source: SourceConfig) -> SourceSpec:
    """What a listener is told of a configured source, its secrets read from the environment."""
    return SourceSpec(
        source.id,
        source.kind,
        str(source.url),
        source.owned,
        source.lang,
        options=source.options(),
        secrets={name: os.environ.get(env) for name, env in source.secret_envs().items()},
    )


def record_fetches(
    con: duckdb.DuckDBPyConnection,
    fetched: Sequence[tuple[FetchResult, DueSource]],
    load_id: str,
    attempted_at: datetime,
) -> int:
    """Store fetch results with their sources' states and next attempts, in one transaction;
    return posts added."""
    ids = [result.source_id for result, _due in fetched]
    failures = dict(
        con.execute(
            "SELECT source_id, failure_count FROM _sources WHERE source_id IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).fetchall()
    )
    records = []
    for result, due in fetched:
        quiet = result.state.get("quiet_runs")
        upcoming = plan_next_attempt(
            result.status,
            int(failures.get(result.source_id) or 0) + 1,
            attempted_at,
            due.interval,
            quiet_runs=quiet if isinstance(quiet, int) else 0,
            retry_after_seconds=result.retry_after_seconds,
        )
        records.append(FetchRecord(result, attempted_at, upcoming))
    return store_fetches(con, records, load_id)


def alert_rules(loaded: LoadedConfig) -> AlertRules:
    """The config's `alerts` thresholds, as `reports.alerts.run_alerts` takes them."""
    alerts = loaded.config.alerts
    return AlertRules(
        window_hours=alerts.window_hours,
        baseline_windows=alerts.baseline_windows,
        min_posts=alerts.min_posts,
        min_z=alerts.min_z,
        cooldown=timedelta(hours=alerts.cooldown_hours),
    )


def webhook_urls(loaded: LoadedConfig) -> list[str]:
    """The alert webhooks' URLs, read from the environment variables the config names (an
    unset one is a `ConfigError` naming its key and variable)."""
    return [
        url
        for i, env in enumerate(loaded.config.alerts.webhook_url_envs)
        if (url := loaded.secret(f"alerts.webhook_url_envs[{i}]", env))
    ]


def smtp_settings(loaded: LoadedConfig) -> SmtpSettings | None:
    """SMTP settings with secrets read from the environment; None when mail is not configured."""
    smtp = loaded.config.digest.smtp
    if smtp is None:
        return None
    return SmtpSettings(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=loaded.secret("digest.smtp.username_env", smtp.username_env),
        password=loaded.secret("digest.smtp.password_env", smtp.password_env),
        sender=smtp.sender,
        timeout_seconds=smtp.timeout_seconds,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def store_fetched(
    loaded: LoadedConfig, fetched: Sequence[tuple[FetchResult, DueSource]], load_id: str
) -> int:
    """Store results that arrived together in one write-lock turn and one transaction (posts
    with their sources' states: all or none, so a retry of the call stores nothing twice);
    return posts added."""
    with write_session(loaded) as con:
        return record_fetches(con, fetched, load_id, utcnow())


def stale_batches(
    loaded: LoadedConfig, cursor: StaleCursor, batch_size: int
) -> Iterator[list[PendingPost]]:
    """The stale posts, one batch (one short read under the write lock) at a time."""
    while True:
        with write_session(loaded) as con:
            batch, cursor = next_stale(con, cursor, batch_size)
        if not batch:
            return
        yield batch


def store_enriched_batch(
    loaded: LoadedConfig, result: EnrichResult, cursor: StaleCursor, load_id: str
) -> int:
    """One short write per batch: annotations, topic tags and the load's progress commit
    together, so a killed run resumes after the last stored batch."""
    with write_session(loaded) as con:
        return store_enriched(
            con,
            result.annotations,
            result.topic_tags,
            pipeline_version=cursor.pipeline_version,
            topics_version=cursor.topics_version,
            load_id=load_id,
        )
