"""`enrich` on a real Dask cluster (prefect-dask's DaskTaskRunner) gives the single-process tags."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from distributed import Client, LocalCluster

from earshot.pipelines import flows
from earshot.warehouse import open_warehouse
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources
from tests.warehouse.feed_posts import feed_post

pytestmark = pytest.mark.usefixtures("prefect_harness")

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
TEXTS = [
    ("Der Kundenservice war heute super freundlich, danke!", "de"),
    ("Die Kundenservice-Hotline hat mich warten lassen. Furchtbar.", "de"),
    ("Wann kommt der nächste Newsletter?", "de"),
    ("I love the new newsletter, great tips", "en"),
    ("Is cold outreach dead? How do you do lead generation?", "en"),
    ("The customer experience was terrible!!!", "en"),
    ("Nothing to see here, just a sunny day #weekend", "en"),
]
FIELDS = "post_id, pipeline_version, lang, lang_score, sentiment, sentiment_label, is_question"


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as local:
        yield local


def warehouse_with_posts(folder: Path, **nlp: Any) -> str:
    """A config in `folder` and its warehouse holding the same 21 posts as every other."""
    folder.mkdir()
    config = {
        "organisation": "Beispiel GmbH",
        "timezone": "Europe/Berlin",
        "sources": [{"id": "forum", "kind": "feed", "url": "https://forum.example.de/feed"}],
        "buckets": [{"id": "practice", "label": "Praxis", "target_share": 1.0}],
        "topics": [
            {
                "id": "customer-service",
                "label": "Kundenservice",
                "bucket": "practice",
                "terms": {"de": ["Kundenservice"], "en": ["customer experience"]},
            },
            {
                "id": "newsletter",
                "label": "Newsletter",
                "bucket": "practice",
                "terms": {"de": ["Newsletter"], "en": ["newsletter"]},
            },
            {
                "id": "sales",
                "label": "Vertrieb",
                "bucket": "practice",
                "terms": {"en": ["cold outreach", "lead generation"]},
            },
        ],
        "nlp": {"batch_size": 8, **nlp},  # three batches: work for both workers
        "digest": {"language": "de", "outbox": "outbox"},
    }
    path = folder / "listening.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    con = open_warehouse(folder / "data" / "earshot.duckdb")
    try:
        sync_sources(con, [SourceRow("forum", "feed", "https://forum.example.de/feed", False)])
        posts = [
            feed_post(
                n,
                f"{text} ({n})",
                lang=lang,
                published_at=NOW - timedelta(hours=n),
                fetched_at=NOW,
                source_id="forum",
                site="https://forum.example.de/t",
            )
            for n, (text, lang) in enumerate(TEXTS * 3)
        ]
        insert_posts(con, posts, load_id="collect-1")
    finally:
        con.close()
    return str(path)


def stored(config: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    con = duckdb.connect(str(Path(config).parent / "data" / "earshot.duckdb"), read_only=True)
    try:
        annotations = con.execute(f"SELECT {FIELDS}, key_terms FROM _annotations ORDER BY 1")
        rows = annotations.fetchall()
        tags = con.execute(
            "SELECT post_id, topic_id, matched_terms, pipeline_version FROM _post_topics "
            "ORDER BY 1, 2"
        ).fetchall()
        return rows, tags
    finally:
        con.close()


def test_enrich_on_dask_equals_the_single_process_run(
    tmp_path: Path, cluster: LocalCluster
) -> None:
    single = warehouse_with_posts(tmp_path / "single", processes=1)
    on_dask = warehouse_with_posts(tmp_path / "dask", dask_address=cluster.scheduler_address)

    local = flows.enrich(single)
    distributed = flows.enrich(on_dask)

    assert local.annotated == distributed.annotated == len(TEXTS) * 3
    assert local.pipeline_version == distributed.pipeline_version
    annotations, tags = stored(single)
    assert len(annotations) == len(TEXTS) * 3 and tags
    assert stored(on_dask) == (annotations, tags)
    # the NLP really ran on the cluster's worker processes, each with its own warm Enricher
    with Client(cluster) as client:
        built = client.run(_enrichers_built)
    assert len(built) == 2 and sum(built.values()) >= 1


def _enrichers_built() -> int:
    from earshot.nlp import workers

    return len(workers._LOCAL)
