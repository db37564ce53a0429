"""`collect` and `enrich` without Prefect, for `bench/crash.py` to kill at random moments.

    python bench/crash_jobs.py collect|enrich CONFIG

The same plain functions, in the same order, as `pipelines.flows.collect` / `enrich` (fetch
concurrently on threads, store each result on the calling thread; enrich batch by batch),
so a process starts in about a second instead of Prefect's ~15 s. Prints one flushed line
per stored source or batch, so the caller can tell where a kill landed.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from earshot.listeners import fetch_sources
from earshot.nlp.workers import close_shared_pools, enrich_batch
from earshot.pipelines import http_setup, jobs, tagging
from earshot.pipelines.config import load_config
from earshot.warehouse.annotations import StaleCursor
from earshot.warehouse.loads import finish_load, start_load


def collect(config: str) -> None:
    """The collect flow's steps without Prefect: due sources, fetch, store per result."""
    loaded = load_config(config)
    # All feeds share 127.0.0.1 here; the one-request-per-second-per-host politeness would
    # only make every run slower without changing what is stored.
    policy = dataclasses.replace(http_setup.http_policy(loaded), min_host_interval_seconds=0.0)
    with jobs.warehouse(loaded) as con:
        due = jobs.due_sources(con, loaded, jobs.utcnow(), force=True)
        load_id = start_load(con, "collect")
    by_id = {d.spec.source_id: d for d in due}
    added = 0
    with http_setup.http_client(policy) as client:
        work = [(d.spec, d.state) for d in due]
        for result in fetch_sources(client, work, policy=policy):
            added += jobs.store_fetched(loaded, [(result, by_id[result.source_id])], load_id)
            print(f"stored {result.source_id} {result.status.value}", flush=True)
    with jobs.write_session(loaded) as con:
        jobs.refresh_digest_facts(con)
        finish_load(con, load_id, status="done", rows_added=added)
    print("done", flush=True)


def enrich(config: str) -> None:
    """The enrich flow's steps without Prefect: stale batches, annotate, store per batch."""
    loaded = load_config(config)
    enricher = tagging.build_enricher(loaded)
    cursor = StaleCursor(enricher.analysis_version, enricher.topics_version)
    with jobs.warehouse(loaded) as con:
        load_id = start_load(con, "enrich")
    annotated = 0
    try:
        for batch in jobs.stale_batches(loaded, cursor, loaded.config.nlp.batch_size):
            result = enrich_batch(enricher.settings, batch, 1)
            annotated += jobs.store_enriched_batch(loaded, result, cursor, load_id)
            print(f"batch {annotated}", flush=True)
    finally:
        close_shared_pools()
    with jobs.write_session(loaded) as con:
        jobs.refresh_digest_facts(con)
        finish_load(con, load_id, status="done", rows_added=annotated)
    print("done", flush=True)


if __name__ == "__main__":
    job, path = sys.argv[1], sys.argv[2]
    {"collect": collect, "enrich": enrich}[job](path)
