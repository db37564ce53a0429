"""Warm enrichment workers: the one way batches are enriched off the caller's thread.

`enrich_batch` is what the `enrich` flow's task calls; an `EnricherPool` per process (kept by
`shared_pool`) holds worker processes that each build an `Enricher` once from its settings.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import partial
from types import TracebackType
from typing import Any

from earshot.nlp.enricher import Enricher, EnricherSettings
from earshot.nlp.records import Annotation, EnrichResult, Entity, PendingPost, TopicMatch, TopicTags


class EnricherPool:
    """Warm enrichment workers: `n_process` processes that each build an `Enricher` once.

    `submit` hands one batch to a free worker and returns a future, so the caller can read
    and store other batches meanwhile; with `n_process=1` the batch runs in this process.
    Workers are started with "spawn" (never forked from a process holding DuckDB or threads).
    """

    def __init__(
        self, settings: EnricherSettings, n_process: int = 2, *, recycle_after: int | None = None
    ) -> None:
        self.settings = settings
        self.n_process = max(1, n_process)
        self._local: Enricher | None = None
        self._pool: ProcessPoolExecutor | None = None
        if self.n_process == 1:
            self._local = local_enricher(settings)
        else:
            self._pool = ProcessPoolExecutor(
                self.n_process,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(settings,),
                # a fresh worker after so many batches: memory that component caches and the
                # allocator keep goes back to the system, however long the run
                max_tasks_per_child=recycle_after,
            )

    def submit(self, pending: Sequence[PendingPost]) -> Future[EnrichResult]:
        done: Future[EnrichResult] = Future()
        if self._pool is not None:
            rows = self._pool.submit(_enrich_in_worker, [_pending_row(p) for p in pending])
            rows.add_done_callback(partial(_deliver, done))
            return done
        assert self._local is not None
        try:
            with _IN_PROCESS:  # spaCy pipelines are not for two threads at once
                done.set_result(self._local.enrich(pending))
        except Exception as exc:  # handed to the caller through the future, as a pool would
            done.set_exception(exc)
        return done

    def worker_pids(self) -> list[int]:
        """Process ids of the workers (empty when enriching in this process)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return sorted(processes)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> EnricherPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_LOCAL: dict[str, Enricher] = {}
_POOLS: dict[str, EnricherPool] = {}
# Task runners call from several threads (the flow's thread pool, a Dask worker's threads):
# one builds a pool or an Enricher at a time, and one batch runs in-process at a time.
_BUILDING = threading.RLock()
_IN_PROCESS = threading.Lock()


def local_enricher(settings: EnricherSettings, *, built: Enricher | None = None) -> Enricher:
    """This process's `Enricher` for `settings`, built once and kept (one at a time).

    A Dask worker or a pool worker thus pays spaCy's start-up once, not once per batch.
    """
    key = repr(settings)
    with _BUILDING:
        if key not in _LOCAL:
            _LOCAL.clear()
            _LOCAL[key] = built if built is not None else settings.build()
        return _LOCAL[key]


def shared_pool(
    settings: EnricherSettings, n_process: int, *, recycle_after: int | None = None
) -> EnricherPool:
    """This process's warm `EnricherPool` for `settings`; replaces one built for others."""
    key = f"{n_process}:{settings!r}"
    with _BUILDING:
        if key not in _POOLS:
            close_shared_pools()
            _POOLS[key] = EnricherPool(settings, n_process, recycle_after=recycle_after)
        return _POOLS[key]


RECYCLE_AFTER_POSTS = 100_000  # posts a pool worker enriches before a fresh one takes over
# Batches waiting beside the running ones, so that a worker that finishes one takes the next
# at once instead of waiting while this process turns the finished batch's rows back into
# records and its caller hands over the next (~16 ms of this process's time a 500-post batch).
QUEUED_BATCHES = 2


def feeding_threads(n_process: int) -> int:
    """Caller threads (each waits on one batch) that keep `n_process` workers busy: one batch
    per worker and `QUEUED_BATCHES` waiting. What the `enrich` flow's thread pool has.

    100,000 posts, n_process=2 over one process, 4 runs on 2 cores (bench/nlp.py's batches):
    with 2 threads 1.03-1.28x (mean 1.14), 3 threads 1.00-1.43x (1.28), 4 threads 1.07-1.67x
    (1.45).
    """
    return max(n_process, 1) + QUEUED_BATCHES


def batches_per_worker(batch_size: int) -> int:
    """`EnricherPool(recycle_after=...)` for batches of `batch_size` posts."""
    return max(1, RECYCLE_AFTER_POSTS // max(batch_size, 1))


def enrich_batch(
    settings: EnricherSettings, pending: Sequence[PendingPost], n_process: int = 1
) -> EnrichResult:
    """Enrich one batch with this process's warm workers (`n_process` > 1) or in-process.

    What the `enrich` flow's task calls: on the local runner from a thread of the flow's
    process, on a Dask worker (with `n_process=1`) with that worker's own `Enricher`.
    """
    pool = shared_pool(settings, n_process, recycle_after=batches_per_worker(len(pending)))
    return pool.submit(pending).result()


def close_shared_pools() -> None:
    """Stop the workers of `shared_pool` (their memory is freed until the next call)."""
    with _BUILDING:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()


_WORKER: list[Enricher] = []  # a pool worker's own `Enricher`


def _start_worker(settings: EnricherSettings) -> None:
    _WORKER[:] = [local_enricher(settings)]


def _enrich_in_worker(pending: list[PendingRow]) -> ResultRows:
    return _result_rows(_WORKER[0].enrich([PendingPost(*row) for row in pending]))


# Batches cross to the workers and back as plain tuples: (un)pickling frozen slots dataclasses
# cost ~15 µs of this process's CPU and ~20 µs of a worker's per post, tuples ~9 and ~6 µs
# with the records rebuilt (500-post batches; enriching a post costs ~160 µs). At n_process=2
# this process's share comes off the same two cores the workers run on.
PendingRow = tuple[str, str, str | None, str | None, bool]  # `PendingPost`'s fields in order
TopicRow = tuple[str, str | None, tuple[str, ...], float | None]  # `TopicMatch`'s fields
AnnotationRow = tuple[Any, ...]  # `Annotation`'s fields in order, its records as tuples
# `TopicTags`'s fields
TagsRow = tuple[str, tuple[TopicRow, ...], tuple[TopicRow, ...], tuple[str, ...] | None]
ResultRows = tuple[list[AnnotationRow], list[TagsRow]]


def _pending_row(p: PendingPost) -> PendingRow:
    return (p.post_id, p.text, p.lang_hint, p.lang, p.topics_stale)


def _topic_rows(topics: tuple[TopicMatch, ...]) -> tuple[TopicRow, ...]:
    return tuple((t.topic_id, t.bucket_id, t.matched_terms, t.relevance) for t in topics)


def _result_rows(result: EnrichResult) -> ResultRows:
    annotations = [
        (
            a.post_id,
            a.lang,
            a.lang_score,
            a.sentiment,
            a.sentiment_label,
            a.is_question,
            a.key_terms,
            _topic_rows(a.topics),
            tuple((e.label, e.text, e.start_char, e.end_char) for e in a.entities),
            _topic_rows(a.rejected_topics),
            a.topic_parts,
        )
        for a in result.annotations
    ]
    return annotations, [
        (t.post_id, _topic_rows(t.topics), _topic_rows(t.rejected_topics), t.topic_parts)
        for t in result.topic_tags
    ]


def _annotation(row: AnnotationRow) -> Annotation:
    (
        post_id,
        lang,
        lang_score,
        score,
        label,
        is_question,
        key_terms,
        topics,
        entities,
        rejected,
        parts,
    ) = row
    return Annotation(
        post_id,
        lang,
        lang_score,
        score,
        label,
        is_question,
        key_terms,
        tuple(TopicMatch(*t) for t in topics),
        tuple(Entity(*e) for e in entities),
        tuple(TopicMatch(*t) for t in rejected),
        parts,
    )


def _from_rows(rows: ResultRows) -> EnrichResult:
    annotations, tags = rows
    return EnrichResult(
        tuple(map(_annotation, annotations)),
        tuple(
            TopicTags(
                pid,
                tuple(TopicMatch(*t) for t in topics),
                tuple(TopicMatch(*t) for t in rejected),
                parts,
            )
            for pid, topics, rejected, parts in tags
        ),
    )


def _deliver(done: Future[EnrichResult], rows: Future[ResultRows]) -> None:
    """Hand a worker's rows on to the caller's future as an `EnrichResult`."""
    if rows.cancelled():
        done.cancel()
        return
    try:
        done.set_result(_from_rows(rows.result()))
    except BaseException as exc:  # the worker's error (or a broken pool), as the pool gives it
        done.set_exception(exc)
