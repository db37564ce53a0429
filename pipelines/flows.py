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

from collections import deque
from typing import Any

import httpx
from prefect import flow, get_run_logger
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner

from earshot.listeners.records import FetchStatus
from earshot.nlp.records import EnrichResult
from earshot.nlp.workers import close_shared_pools, feeding_threads
from earshot.pipelines import http_setup, jobs, tagging, tasks
from earshot.pipelines import stream as streams
from earshot.pipelines.learning import relearn_if_labels_changed
from earshot.pipelines.summaries import CollectSummary, DigestSummary, EnrichSummary
from earshot.reports.alerts import AlertOutcome, run_alerts
from earshot.reports.delivery import build_message, retry_failed, write_outbox
from earshot.reports.digest import build_digest
from earshot.reports.render import render_digest
from earshot.warehouse.annotations import StaleCursor, count_stale
from earshot.warehouse.loads import finish_load, start_load
from earshot.warehouse.weeks import last_complete_week, parse_week


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
    policy = http_setup.http_policy(loaded)
    with jobs.warehouse(loaded) as con:
        due = jobs.due_sources(con, loaded, jobs.utcnow(), force=force, only=source)
        load_id = start_load(con, "collect")
    summary = CollectSummary(load_id=load_id, sources_due=len(due))
    # Fetching holds no lock; the results that arrived meanwhile are stored in one short write.
    # Feeds that answer 304 to one pooled round of conditional GETs cost nothing more.
    unchanged = tasks.revalidate(due, policy)
    if unchanged:
        tasks.store(loaded, [(r, due[n]) for n, r in unchanged.items()], load_id)
        summary.not_modified += len(unchanged)
    with http_setup.http_client(policy) as client:
        futures = {
            tasks.fetch.submit(client, d, policy): d
            for n, d in enumerate(due)
            if n not in unchanged
        }
        for arrived in tasks.as_arrived(list(futures)):
            fetched = [
                (tasks.fetch_result(future, futures[future]), futures[future]) for future in arrived
            ]
            summary.posts_added += tasks.store(loaded, fetched, load_id)
            for result, _due in fetched:
                summary.count(result)
                if result.status is FetchStatus.FAILED:
                    logger.warning("source %s failed: %s", result.source_id, result.error)
                elif result.warning:
                    logger.warning("source %s: %s", result.source_id, result.warning)
    with jobs.write_session(loaded) as con:
        summary.raw_pruned = jobs.apply_retention(con, loaded, jobs.utcnow())
        jobs.refresh_digest_facts(con)
        finish_load(
            con,
            load_id,
            status="done",
            rows_added=summary.posts_added,
            details=summary.load_details(),
        )
    if publish_copy:
        tasks.publish(loaded)
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
    runner = tasks.nlp_task_runner(loaded.config.nlp.dask_address, loaded.config.nlp.processes)
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
    enricher = tagging.build_enricher(loaded)
    cursor = StaleCursor(enricher.analysis_version, enricher.topics_version)
    with jobs.warehouse(loaded) as con:
        load_id = start_load(con, "enrich")
        tagging.record_tagging(con, enricher)
        stale = count_stale(con, cursor.pipeline_version, cursor.topics_version)
    summary = EnrichSummary(load_id, enricher.version, stale_before=stale)
    # A run of a couple of batches is not worth starting worker processes for; on Dask
    # each worker enriches in its own process, `processes` batches at a time.
    workers = 1 if nlp.dask_address or stale <= 2 * nlp.batch_size else nlp.processes
    window = feeding_threads(nlp.processes)  # batches in flight while one is stored
    in_flight: deque[PrefectFuture[EnrichResult]] = deque()
    try:
        for batch in jobs.stale_batches(loaded, cursor, nlp.batch_size):
            in_flight.append(tasks.annotate.submit(enricher.settings, batch, workers))
            if len(in_flight) > window:
                result = in_flight.popleft().result()
                summary.annotated += tasks.store_tags(loaded, result, cursor, load_id)
                logger.info("enriched %d/%d posts", summary.annotated, summary.stale_before)
        while in_flight:
            result = in_flight.popleft().result()
            summary.annotated += tasks.store_tags(loaded, result, cursor, load_id)
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
    tasks.publish(loaded)
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
        sent = tasks.send(folder, message, settings, recipients)
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
    smtp = jobs.smtp_settings(loaded) if cfg.alerts.email else None
    with jobs.warehouse(loaded) as con, httpx.Client(timeout=20) as client:
        jobs.refresh_digest_facts(con)
        outcome = run_alerts(
            con,
            jobs.utcnow(),
            rules=jobs.alert_rules(loaded),
            organisation=cfg.organisation,
            language=cfg.digest.language,
            client=client,
            webhook_urls=jobs.webhook_urls(loaded),
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
