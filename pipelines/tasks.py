"""Prefect tasks: the small I/O steps the flows call (fetch, store, annotate, publish, send),
each with its retries, and how a collect reads its fetches as they arrive.

A task only wraps a plain function (`jobs`, `listeners`, `nlp.workers`, `reports.delivery`);
the flows in `flows` decide the order.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from prefect import get_run_logger, task
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
from earshot.nlp.workers import enrich_batch, feeding_threads
from earshot.pipelines import jobs
from earshot.pipelines.config import LoadedConfig
from earshot.reports.delivery import SmtpSettings, send_digest
from earshot.warehouse.annotations import StaleCursor

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


def nlp_task_runner(dask_address: str | None, processes: int) -> TaskRunner[Any]:
    """Dask's task runner when a scheduler is configured, else threads (feeding local workers)."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    return ThreadPoolTaskRunner(max_workers=feeding_threads(processes))


def as_arrived(futures: list[PrefectFuture[Fetched]]) -> Iterator[list[PrefectFuture[Fetched]]]:
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


def fetch_result(future: PrefectFuture[Fetched], due: jobs.DueSource) -> FetchResult:
    """The fetch's result; a failed source's result is its Failed state's data, and a crash
    (retried and still raising) becomes a FAILED result too: one source never stops a run."""
    value = future.result(raise_on_failure=False)
    if isinstance(value, FetchResult):
        return value
    return FetchResult(
        due.spec.source_id, FetchStatus.FAILED, state=dict(due.state), error=f"crashed: {value!r}"
    )
