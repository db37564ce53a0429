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
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listeners import fetch_source
from pipelines import jobs
from pipelines.config import load_config
from warehouse.annotations import next_stale_batch, store_annotations
from warehouse.loads import finish_load, start_load


def collect(config: str) -> None:
    loaded = load_config(config)
    # All feeds share 127.0.0.1 here; the one-request-per-second-per-host politeness would
    # only make every run slower without changing what is stored.
    policy = dataclasses.replace(jobs.http_policy(loaded), min_host_interval_seconds=0.0)
    with (
        jobs.warehouse(loaded) as con,
        jobs.http_client(policy) as client,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        due = jobs.due_sources(con, loaded, jobs.utcnow(), force=True)
        load_id = start_load(con, "collect")
        futures = {
            pool.submit(fetch_source, client, d.spec, d.state, policy=policy): d for d in due
        }
        added = 0
        for future in as_completed(futures):
            d = futures[future]
            result = future.result()
            added += jobs.record_fetch(
                con, result, interval=d.interval, load_id=load_id, attempted_at=jobs.utcnow()
            )
            print(f"stored {result.source_id} {result.status.value}", flush=True)
        finish_load(con, load_id, status="done", rows_added=added)
    print("done", flush=True)


def enrich(config: str) -> None:
    loaded = load_config(config)
    enricher = jobs.build_enricher(loaded)
    version = enricher.version
    batch_size = loaded.config.nlp.batch_size
    with jobs.warehouse(loaded) as con:
        load_id = start_load(con, "enrich")
        annotated = 0
        while batch := next_stale_batch(con, version, batch_size):
            annotations = list(enricher.annotate(batch))
            annotated += store_annotations(
                con, annotations, pipeline_version=version, load_id=load_id
            )
            print(f"batch {annotated}", flush=True)
        finish_load(con, load_id, status="done", rows_added=annotated)
    print("done", flush=True)


if __name__ == "__main__":
    job, path = sys.argv[1], sys.argv[2]
    {"collect": collect, "enrich": enrich}[job](path)
