"""Prefect flows: each reads like a table of contents and calls plain functions.

collect: fetch every due source concurrently, store each result with its state.
enrich:  tag posts lacking annotations of the current pipeline version, in batches.
digest:  build the weekly digest, write it to the outbox, send it when SMTP is configured
         (and retry earlier weeks whose send failed).
alert:   announce volume/negativity spikes per topic by webhook and mail, with a cooldown.
listen:  collect -> enrich.      run: collect -> enrich -> digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import duckdb
import httpx
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from listeners import fetch_source
from listeners.http import HttpPolicy
from listeners.records import FetchResult, FetchStatus
from nlp import Annotation, Enricher
from pipelines import jobs
from pipelines.config import load_config
from reports.alerts import AlertOutcome, AlertRules, run_alerts
from reports.delivery import (
    SmtpSettings,
    build_message,
    retry_failed,
    send_digest,
    write_outbox,
)
from reports.digest import build_digest
from reports.render import render_digest
from warehouse.annotations import count_stale, next_stale_batch, store_annotations
from warehouse.loads import finish_load, start_load
from warehouse.metrics import last_complete_week, parse_week


@dataclass
class CollectSummary:
    load_id: str
    sources_due: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    posts_added: int = 0
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class EnrichSummary:
    load_id: str
    pipeline_version: str
    stale_before: int = 0
    annotated: int = 0


@dataclass
class DigestSummary:
    week: str
    folder: str
    sent: bool
    audience_posts: int
    no_source_reachable: bool
    retried: dict[str, str] = field(default_factory=dict)  # earlier week -> 'sent' or error


# --- tasks: small I/O steps ------------------------------------------------------------


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def fetch(client: httpx.Client, due: jobs.DueSource, policy: HttpPolicy) -> FetchResult:
    # Listeners turn every source problem into a FAILED result; a retry here only covers
    # an unexpected crash inside the listener.
    return fetch_source(client, due.spec, due.state, policy=policy)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 5, 15])
def store(
    con: duckdb.DuckDBPyConnection, result: FetchResult, due: jobs.DueSource, load_id: str
) -> int:
    return jobs.record_fetch(
        con, result, interval=due.interval, load_id=load_id, attempted_at=jobs.utcnow()
    )


@task(cache_policy=NO_CACHE)
def annotate(enricher: Enricher, batch: Sequence[tuple[str, str, str | None]]) -> list[Annotation]:
    return list(enricher.annotate(batch))


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 5, 15])
def store_tags(
    con: duckdb.DuckDBPyConnection, annotations: list[Annotation], version: str, load_id: str
) -> int:
    return store_annotations(con, annotations, pipeline_version=version, load_id=load_id)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[10, 60])
def send(
    folder: Path, message: EmailMessage, settings: SmtpSettings, recipients: list[str]
) -> bool:
    return send_digest(folder, message, settings, recipients)


# --- flows ---------------------------------------------------------------------------


@flow(name="collect", task_runner=ThreadPoolTaskRunner(max_workers=8))  # type: ignore[arg-type]
def collect(config: str = "listening.yaml", force: bool = False) -> CollectSummary:
    """Fetch every due source concurrently; store each result with the state that produced it."""
    logger = get_run_logger()
    loaded = load_config(config)
    policy = jobs.http_policy(loaded)
    with jobs.warehouse(loaded) as con, jobs.http_client(policy) as client:
        due = jobs.due_sources(con, loaded, jobs.utcnow(), force=force)
        load_id = start_load(con, "collect")
        summary = CollectSummary(load_id=load_id, sources_due=len(due))
        futures = {fetch.submit(client, d, policy): d for d in due}
        for future in as_completed(list(futures)):
            d = futures[future]
            result = future.result()
            summary.posts_added += store(con, result, d, load_id)
            _count(summary, result)
            if result.status is FetchStatus.FAILED:
                logger.warning("source %s failed: %s", result.source_id, result.error)
        finish_load(
            con,
            load_id,
            status="done",
            rows_added=summary.posts_added,
            details={
                "ok": summary.ok,
                "not_modified": summary.not_modified,
                "failed": summary.failed,
                "errors": summary.errors,
            },
        )
    logger.info(
        "collected %d sources: %d new posts, %d unchanged, %d failed",
        len(due),
        summary.posts_added,
        summary.not_modified,
        summary.failed,
    )
    return summary


@flow(name="enrich")
def enrich(config: str = "listening.yaml") -> EnrichSummary:
    """Tag every post that lacks annotations of the current pipeline version, batch by batch."""
    logger = get_run_logger()
    loaded = load_config(config)
    enricher = jobs.build_enricher(loaded)
    version = enricher.version
    batch_size = loaded.config.nlp.batch_size
    with jobs.warehouse(loaded) as con:
        load_id = start_load(con, "enrich")
        summary = EnrichSummary(load_id, version, stale_before=count_stale(con, version))
        while batch := next_stale_batch(con, version, batch_size):
            summary.annotated += store_tags(con, annotate(enricher, batch), version, load_id)
            logger.info("enriched %d/%d posts", summary.annotated, summary.stale_before)
        finish_load(
            con,
            load_id,
            status="done",
            rows_added=summary.annotated,
            details={"pipeline_version": version},
        )
    return summary


@flow(name="digest")
def digest(config: str = "listening.yaml", week: str | None = None) -> DigestSummary:
    """Build the weekly digest, save it to the outbox and send it when SMTP is configured."""
    logger = get_run_logger()
    loaded = load_config(config)
    cfg = loaded.config
    week = week or last_complete_week(jobs.utcnow(), cfg.timezone)
    parse_week(week)
    with jobs.warehouse(loaded) as con:
        report = build_digest(
            con,
            week=week,
            organisation=cfg.organisation,
            timezone=cfg.timezone,
            language=cfg.digest.language,
            top_n=cfg.digest.top_posts,
        )
    page = render_digest(report)
    folder = write_outbox(
        loaded.outbox, report, page.html, page.text, charts=page.charts, mail_html=page.mail_html
    )
    settings = jobs.smtp_settings(loaded)
    sent = False
    retried: dict[str, str] = {}
    if settings is not None:
        recipients = list(cfg.digest.recipients)
        retried = retry_failed(loaded.outbox, settings, recipients, skip=[week])
        message = build_message(
            report,
            page.mail_html,
            page.text,
            sender=settings.sender,
            recipients=recipients,
            charts=page.charts,
        )
        sent = send(folder, message, settings, recipients)
    logger.info("digest %s written to %s%s", week, folder, " and sent" if sent else "")
    return DigestSummary(
        week=week,
        folder=str(folder),
        sent=sent,
        audience_posts=report.totals.audience_posts,
        no_source_reachable=report.no_source_reachable,
        retried=retried,
    )


@flow(name="alert")
def alert(config: str = "listening.yaml") -> AlertOutcome:
    """Announce topic spikes (volume or negativity) that are not in their cooldown."""
    logger = get_run_logger()
    loaded = load_config(config)
    cfg = loaded.config
    rules = AlertRules(
        window_hours=cfg.alerts.window_hours,
        baseline_windows=cfg.alerts.baseline_windows,
        min_posts=cfg.alerts.min_posts,
        min_z=cfg.alerts.min_z,
        cooldown=timedelta(hours=cfg.alerts.cooldown_hours),
    )
    urls = [
        url
        for i, env in enumerate(cfg.alerts.webhook_url_envs)
        if (url := loaded.secret(f"alerts.webhook_url_envs[{i}]", env))
    ]
    smtp = jobs.smtp_settings(loaded) if cfg.alerts.email else None
    with jobs.warehouse(loaded) as con, httpx.Client(timeout=20) as client:
        outcome = run_alerts(
            con,
            jobs.utcnow(),
            rules=rules,
            organisation=cfg.organisation,
            language=cfg.digest.language,
            client=client,
            webhook_urls=urls,
            smtp=smtp,
            recipients=list(cfg.digest.recipients),
        )
    logger.info(
        "alert: %d spike(s), %d announced, %d in cooldown",
        len(outcome.spikes),
        len(outcome.announced),
        len(outcome.suppressed),
    )
    return outcome


@flow(name="listen")
def listen(config: str = "listening.yaml") -> dict[str, Any]:
    """Collect, then enrich: the half-hourly job."""
    return {"collect": collect(config), "enrich": enrich(config)}


@flow(name="run")
def run(
    config: str = "listening.yaml", week: str | None = None, force: bool = False
) -> dict[str, Any]:
    """The whole loop once: collect -> enrich -> digest."""
    return {
        "collect": collect(config, force=force),
        "enrich": enrich(config),
        "digest": digest(config, week),
    }


def _count(summary: CollectSummary, result: FetchResult) -> None:
    if result.status is FetchStatus.OK:
        summary.ok += 1
    elif result.status is FetchStatus.NOT_MODIFIED:
        summary.not_modified += 1
    else:
        summary.failed += 1
        summary.errors[result.source_id] = result.error or "unknown error"
