"""Prefect flows: each reads like a table of contents and calls plain functions.

collect: fetch every due source concurrently, store each result with its state.
enrich:  tag posts lacking annotations of the current pipeline version, in batches.
digest:  build the weekly digest, write it to the outbox, send it when SMTP is configured
         (and retry earlier weeks whose send failed).
alert:   announce volume/negativity spikes per topic by webhook and mail, with a cooldown.
listen:  collect -> enrich.      run: collect -> enrich -> digest.
stream:  read the stream sources (Bluesky Jetstream) until cancelled; a long-running run.

Writers take turns on the warehouse's writer lock one batch at a time (fetching and NLP hold
no lock), and every write cycle ends by publishing the analysts' read-only copy.
"""

from __future__ import annotations

import contextlib
import queue
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import task_run
from prefect.states import Failed, State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from earshot.listeners import fetch_source
from earshot.listeners.dispatch import revalidate_unchanged
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, FetchStatus
from earshot.nlp.enricher import EnricherSettings
from earshot.nlp.records import EnrichResult, PendingPost
from earshot.nlp.workers import close_shared_pools, enrich_batch
from earshot.pipelines import jobs
from earshot.pipelines import stream as streams
from earshot.pipelines.config import LoadedConfig
from earshot.pipelines.learning import relearn_if_labels_changed
from earshot.reports.alerts import AlertOutcome, AlertRules, run_alerts
from earshot.reports.delivery import (
    SmtpSettings,
    build_message,
    retry_failed,
    send_digest,
    write_outbox,
)
from earshot.reports.digest import build_digest
from earshot.reports.render import render_digest
from earshot.warehouse.annotations import StaleCursor, count_stale
from earshot.warehouse.loads import finish_load, start_load
from earshot.warehouse.weeks import last_complete_week, parse_week


@dataclass
class CollectSummary:
    load_id: str
    sources_due: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    posts_added: int = 0
    raw_pruned: int = 0  # posts whose raw JSON passed warehouse.raw_retention_days
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


# What a fetch task returns: the result, or for a failed source a Failed state holding it.
Fetched = FetchResult | State[FetchResult]


def _crashed(task: Any, task_run: Any, state: State[Any]) -> bool:
    # A fetch that returns its source's FAILED result is not retried: the listener already
    # retried what was worth it. Only an exception (a crash inside the listener) is.
    return isinstance(state.data, BaseException)


def _fetch_run_name() -> str:
    return f"fetch-{task_run.parameters['due'].spec.source_id}"


@task(
    cache_policy=NO_CACHE,
    retries=1,
    retry_delay_seconds=2,
    retry_condition_fn=_crashed,
    task_run_name=_fetch_run_name,
)
def fetch(client: httpx.Client, due: jobs.DueSource, policy: HttpPolicy) -> Fetched:
    # Listeners turn every source problem into a FAILED result; a retry here only covers
    # an unexpected crash inside the listener. A failed source ends its task run Failed
    # (visible in the Prefect UI) with the result as its data; the flow goes on.
    result = fetch_source(client, due.spec, due.state, policy=policy)
    if result.status is FetchStatus.FAILED:
        return Failed(message=f"{result.source_id}: {result.error}", data=result)
    return result


@task(cache_policy=NO_CACHE)
def revalidate(due: list[jobs.DueSource], policy: HttpPolicy) -> dict[int, FetchResult]:
    return revalidate_unchanged([(d.spec, d.state) for d in due], policy=policy)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 5, 15])
def store(
    loaded: LoadedConfig, fetched: list[tuple[FetchResult, jobs.DueSource]], load_id: str
) -> int:
    return jobs.store_fetched(loaded, fetched, load_id)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[5, 30])
def publish(loaded: LoadedConfig) -> None:
    copy = jobs.publish_analytics(loaded)
    get_run_logger().info(
        "analytics copy %s published (%.1f MB in %.2f s)",
        copy.path,
        copy.bytes / 1e6,
        copy.seconds,
    )


@task(cache_policy=NO_CACHE)
def annotate(settings: EnricherSettings, batch: list[PendingPost], n_process: int) -> EnrichResult:
    # Locally: a thread handing the batch to this process's warm worker processes.
    # On Dask: a worker enriching it with its own warm Enricher (n_process=1). Inputs and
    # output are plain picklable data; the warehouse is only touched from the flow's process.
    return enrich_batch(settings, batch, n_process)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[1, 5, 15])
def store_tags(
    loaded: LoadedConfig, result: EnrichResult, cursor: StaleCursor, load_id: str
) -> int:
    return jobs.store_enriched_batch(loaded, result, cursor, load_id)


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[10, 60])
def send(
    folder: Path, message: EmailMessage, settings: SmtpSettings, recipients: list[str]
) -> bool:
    return send_digest(folder, message, settings, recipients)


# --- flows ---------------------------------------------------------------------------


@flow(name="collect", task_runner=ThreadPoolTaskRunner(max_workers=8))  # type: ignore[arg-type]
def collect(
    config: str = "listening.yaml",
    force: bool = False,
    publish_copy: bool = True,
    source: str | None = None,
) -> CollectSummary:
    """Fetch every due source concurrently; store each result with the state that produced it.
    With `source` (an id), fetch only that source, due or not.

    Then prune raw JSON past its retention and (with `publish_copy`) publish the analytics copy.
    """
    logger = get_run_logger()
    loaded = jobs.load_job_config(config)
    policy = jobs.http_policy(loaded)
    with jobs.warehouse(loaded) as con:
        due = jobs.due_sources(con, loaded, jobs.utcnow(), force=force, only=source)
        load_id = start_load(con, "collect")
    summary = CollectSummary(load_id=load_id, sources_due=len(due))
    # Fetching holds no lock; the results that arrived meanwhile are stored in one short write.
    # Feeds that answer 304 to one pooled round of conditional GETs cost nothing more.
    unchanged = revalidate(due, policy)
    if unchanged:
        store(loaded, [(r, due[n]) for n, r in unchanged.items()], load_id)
        summary.not_modified += len(unchanged)
    with jobs.http_client(policy) as client:
        futures = {
            fetch.submit(client, d, policy): d for n, d in enumerate(due) if n not in unchanged
        }
        for arrived in _as_arrived(list(futures)):
            fetched = [(_fetched(future, futures[future]), futures[future]) for future in arrived]
            summary.posts_added += store(loaded, fetched, load_id)
            for result, _due in fetched:
                _count(summary, result)
                if result.status is FetchStatus.FAILED:
                    logger.warning("source %s failed: %s", result.source_id, result.error)
    with jobs.write_session(loaded) as con:
        summary.raw_pruned = jobs.apply_retention(con, loaded, jobs.utcnow())
        jobs.refresh_digest_facts(con)
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
                "raw_pruned": summary.raw_pruned,
            },
        )
    if publish_copy:
        publish(loaded)
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
    """Tag every post whose annotations or topic tags are stale, batch by batch.

    With `nlp.dask_address` set, the NLP tasks run on that Dask cluster; otherwise on
    `nlp.processes` local worker processes. Reads and writes stay in this process.
    """
    loaded = jobs.load_job_config(config)
    runner = nlp_task_runner(loaded.config.nlp.dask_address, loaded.config.nlp.processes)
    return enrich_batches.with_options(task_runner=runner)(config)


@flow(name="enrich-batches")
def enrich_batches(config: str = "listening.yaml") -> EnrichSummary:
    """`enrich` on the task runner it chose: read, annotate (in parallel), store, per batch."""
    logger = get_run_logger()
    loaded = jobs.load_job_config(config)
    relearned = relearn_if_labels_changed(loaded)  # quiet (None) when the labels did not change
    if relearned is not None:
        logger.info("labels changed: relearned (%s)", relearned.summary())
    nlp = loaded.config.nlp
    enricher = jobs.build_enricher(loaded)
    cursor = StaleCursor(enricher.analysis_version, enricher.topics_version)
    with jobs.warehouse(loaded) as con:
        load_id = start_load(con, "enrich")
        jobs.record_tagging(con, enricher)
        stale = count_stale(con, cursor.pipeline_version, cursor.topics_version)
    summary = EnrichSummary(load_id, enricher.version, stale_before=stale)
    # A run of a couple of batches is not worth starting worker processes for; on Dask
    # each worker enriches in its own process, `processes` batches at a time.
    workers = 1 if nlp.dask_address or stale <= 2 * nlp.batch_size else nlp.processes
    window = max(nlp.processes, 2)  # batches in flight while one is stored
    in_flight: deque[PrefectFuture[EnrichResult]] = deque()
    try:
        for batch in jobs.stale_batches(loaded, cursor, nlp.batch_size):
            in_flight.append(annotate.submit(enricher.settings, batch, workers))
            if len(in_flight) > window:
                result = in_flight.popleft().result()
                summary.annotated += store_tags(loaded, result, cursor, load_id)
                logger.info("enriched %d/%d posts", summary.annotated, summary.stale_before)
        while in_flight:
            result = in_flight.popleft().result()
            summary.annotated += store_tags(loaded, result, cursor, load_id)
    finally:
        close_shared_pools()
    with jobs.write_session(loaded) as con:
        jobs.refresh_digest_facts(con)
        finish_load(
            con,
            load_id,
            status="done",
            rows_added=summary.annotated,
            details={
                "pipeline_version": cursor.pipeline_version,
                "topics_version": cursor.topics_version,
            },
        )
    publish(loaded)
    return summary


@flow(name="digest")
def digest(config: str = "listening.yaml", week: str | None = None) -> DigestSummary:
    """Build the weekly digest, save it to the outbox and send it when SMTP is configured."""
    logger = get_run_logger()
    loaded = jobs.load_job_config(config)
    cfg = loaded.config
    week = week or last_complete_week(jobs.utcnow(), cfg.timezone)
    parse_week(week)
    with jobs.warehouse(loaded) as con:
        jobs.refresh_digest_facts(con)
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
        audience_posts=report.coverage.audience_posts,
        no_source_reachable=report.no_source_reachable,
        retried=retried,
    )


@flow(name="alert")
def alert(config: str = "listening.yaml") -> AlertOutcome:
    """Announce topic spikes (volume or negativity) that are not in their cooldown."""
    logger = get_run_logger()
    loaded = jobs.load_job_config(config)
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
        jobs.refresh_digest_facts(con)
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
    for channel, error in outcome.errors.items():  # the CLI prints them; this is for the UI
        logger.warning("alert channel %s failed: %s", channel, error)
    return outcome


@flow(name="stream")
def stream(config: str = "listening.yaml", source: str | None = None) -> dict[str, Any]:
    """Read the stream sources (or the one `source`) until the run is cancelled or the
    process gets SIGTERM; each stores its last batch first. Without a stream source in the
    config it ends at once (the deployment is harmless where none is configured)."""
    logger = get_run_logger()
    loaded = jobs.load_job_config(config)
    if not streams.stream_sources(loaded, source):
        logger.info("no stream source in %s: nothing to stream", loaded.path)
        return {}
    outcomes = streams.run_streams(loaded, source)
    return {o.source_id: streams.figures(o.stats) for o in outcomes}


@flow(name="listen")
def listen(config: str = "listening.yaml") -> dict[str, Any]:
    """Collect, then enrich: the half-hourly job (enrich publishes the analytics copy)."""
    return {"collect": collect(config, publish_copy=False), "enrich": enrich(config)}


@flow(name="run")
def run(
    config: str = "listening.yaml", week: str | None = None, force: bool = False
) -> dict[str, Any]:
    """The whole loop once: collect -> enrich (publishes the analytics copy) -> digest."""
    return {
        "collect": collect(config, force=force, publish_copy=False),
        "enrich": enrich(config),
        "digest": digest(config, week),
    }


def nlp_task_runner(dask_address: str | None, processes: int) -> TaskRunner[Any]:
    """Dask's task runner when a scheduler is configured, else threads (feeding local workers)."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    return ThreadPoolTaskRunner(max_workers=max(processes, 2))


def _as_arrived(futures: list[PrefectFuture[Fetched]]) -> Iterator[list[PrefectFuture[Fetched]]]:
    """Yield finished futures in groups: each group is all that finished since the last."""
    finished: queue.SimpleQueue[PrefectFuture[Fetched]] = queue.SimpleQueue()
    for future in futures:
        future.add_done_callback(finished.put)
    remaining = len(futures)
    while remaining:
        group = [finished.get()]
        with contextlib.suppress(queue.Empty):
            while True:
                group.append(finished.get_nowait())
        remaining -= len(group)
        yield group


def _fetched(future: PrefectFuture[Fetched], due: jobs.DueSource) -> FetchResult:
    """The fetch's result; a failed source's result is its Failed state's data, and a crash
    (retried and still raising) becomes a FAILED result too: one source never stops a run."""
    value = future.result(raise_on_failure=False)
    if isinstance(value, FetchResult):
        return value
    return FetchResult(
        due.spec.source_id, FetchStatus.FAILED, state=dict(due.state), error=f"crashed: {value!r}"
    )


def _count(summary: CollectSummary, result: FetchResult) -> None:
    if result.status is FetchStatus.OK:
        summary.ok += 1
    elif result.status is FetchStatus.NOT_MODIFIED:
        summary.not_modified += 1
    else:
        summary.failed += 1
        summary.errors[result.source_id] = result.error or "unknown error"
