"""`earshot export --format parquet`: month partitions that read back as the same rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml
from typer.testing import CliRunner

from listeners.records import Post
from nlp.records import Annotation, TopicMatch
from pipelines.cli import app
from pipelines.config import load_config
from pipelines.jobs import publish_analytics, warehouse
from warehouse.annotations import store_annotations
from warehouse.loads import start_load
from warehouse.sources import insert_posts

runner = CliRunner(env={"COLUMNS": "220"})


def make_config(tmp_path: Path) -> Path:
    path = tmp_path / "listening.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "organisation": "Beispiel GmbH",
                "sources": [{"id": "blog", "kind": "feed", "url": "https://blog.example/feed"}],
                "topics": [{"id": "service", "label": "Service", "terms": {"en": ["service"]}}],
            }
        ),
        encoding="utf-8",
    )
    return path


def post(n: int, published: datetime | None) -> Post:
    return Post(
        platform="feed",
        source_id="blog",
        external_id=f"item-{n}",
        url=f"https://blog.example/{n}",
        author="Dana",
        author_handle=None,
        title=f"Service story {n}",
        text=f"Service 'quoted' story {n}",
        lang_hint="en",
        published_at=published,
        fetched_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        likes=n,
        raw={"id": n, "tags": ["a", "b"]},
    )


def test_export_writes_month_partitions_that_read_back_as_the_same_rows(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    loaded = load_config(config)
    posts = [
        post(1, datetime(2026, 10, 31, 23, 30, tzinfo=UTC)),
        post(2, datetime(2026, 11, 1, 0, 30, tzinfo=UTC)),
        post(3, datetime(2026, 11, 18, 9, 0, tzinfo=UTC)),
        post(4, None),  # no date from the source: its fetch month
    ]
    with warehouse(loaded) as con:
        load = start_load(con, "collect")
        insert_posts(con, posts, load)
        store_annotations(
            con,
            [
                Annotation(
                    p.post_id,
                    "en",
                    0.9,
                    0.5 - i,
                    "positive" if i == 0 else "negative",
                    i % 2 == 0,
                    ("service", f"story{i}"),
                    (TopicMatch("service", None, ("service",)),),
                )
                for i, p in enumerate(posts[:3])
            ],
            pipeline_version="v1",
            load_id=load,
        )
    publish_analytics(loaded)

    out = tmp_path / "archive"
    result = runner.invoke(
        app, ["export", "--format", "parquet", "--out", str(out), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert "4 posts, 3 annotations, 3 post_topics" in result.output
    months = sorted(p.name for p in (out / "posts").iterdir())
    assert months == ["month=2026-10", "month=2026-11"]
    assert sorted(p.name for p in (out / "post_topics").iterdir()) == months
    assert list((out / "posts" / "month=2026-10").glob("*.parquet"))

    con = duckdb.connect(str(loaded.warehouse_path), read_only=True)
    try:
        for table in ("_posts", "_annotations", "_post_topics"):
            folder = out / table.removeprefix("_")
            back = f"read_parquet('{folder}/*/*.parquet', hive_partitioning = true)"
            columns = ", ".join(d[0] for d in con.execute(f"SELECT * FROM {table}").description)
            # the same rows, column for column (raw JSON as text), nothing missing or extra
            for a, b in ((table, back), (back, table)):
                missing = con.execute(
                    f"SELECT count(*) FROM (SELECT {columns} FROM {a} "
                    f"EXCEPT ALL SELECT {columns} FROM {b})"
                ).fetchone()
                assert missing == (0,), (table, a)
        october = con.execute(
            f"SELECT list_sort(list(external_id)) FROM read_parquet('{out}/posts/*/*.parquet', "
            "hive_partitioning = true) WHERE month = '2026-10'"
        ).fetchone()
        assert october == (["item-1"],)  # 23:30 UTC on 31 October: an October post
    finally:
        con.close()

    # again into the same folder: a complete snapshot, not appended twice
    assert runner.invoke(app, ["export", "--out", str(out), "--config", str(config)]).exit_code == 0
    assert len(list((out / "posts").glob("*/*.parquet"))) == 2


def test_export_needs_parquet_and_a_published_copy(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    result = runner.invoke(app, ["export", "--format", "csv", "--config", str(config)])
    assert result.exit_code == 2 and "expected parquet" in result.output
    result = runner.invoke(app, ["export", "--config", str(config)])
    assert result.exit_code == 1
    assert "no analytics copy yet" in result.output
