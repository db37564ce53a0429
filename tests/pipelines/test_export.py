"""`earshot export`: the documented views as Parquet or CSV that read back as the same rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import yaml
from typer.testing import CliRunner

from earshot.listeners.records import Post
from earshot.nlp.records import Annotation, TopicMatch
from earshot.pipelines.cli import app
from earshot.pipelines.config import load_config
from earshot.pipelines.jobs import publish_analytics, refresh_digest_facts, warehouse
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.export import EXPORTED_VIEWS, POST_VIEWS
from earshot.warehouse.loads import start_load
from earshot.warehouse.sources import insert_posts

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


def published(tmp_path: Path) -> tuple[Path, Path]:
    """A published analytics copy with four posts (one without a date), three of them
    annotated and tagged, and the digest facts built; returns (config, copy)."""
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
        refresh_digest_facts(con)
    publish_analytics(loaded)
    return config, loaded.analytics_path


def columns(con: duckdb.DuckDBPyConnection, view: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {view}").fetchall()]


def same_rows(con: duckdb.DuckDBPyConnection, a: str, b: str, cols: str) -> bool:
    """`a` and `b` hold the same rows (as multisets) in `cols`."""
    for x, y in ((a, b), (b, a)):
        extra = con.execute(
            f"SELECT count(*) FROM (SELECT {cols} FROM {x} EXCEPT ALL SELECT {cols} FROM {y})"
        ).fetchone()
        if extra != (0,):
            return False
    return True


def test_export_writes_the_views_in_month_partitions_that_read_back_as_the_same_rows(
    tmp_path: Path,
) -> None:
    config, copy = published(tmp_path)
    out = tmp_path / "archive"
    result = runner.invoke(
        app, ["export", "--format", "parquet", "--out", str(out), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert "exported 4 posts, 3 post_topics, 0 post_entities" in result.output
    months = sorted(p.name for p in (out / "posts").iterdir())
    assert months == ["month=2026-10", "month=2026-11"]
    assert sorted(p.name for p in (out / "post_topics").iterdir()) == months
    # the views only: no internal table, no raw JSON
    assert sorted(p.name.split(".")[0] for p in out.iterdir()) == sorted(EXPORTED_VIEWS)

    con = duckdb.connect(str(copy), read_only=True)
    try:
        assert "raw" not in dict(columns(con, "posts"))
        for view in EXPORTED_VIEWS:
            cols = ", ".join(f'"{name}"' for name, _ in columns(con, view))
            if view in POST_VIEWS:
                files = list((out / view).glob("*/*.parquet"))
                total = con.execute(f"SELECT count(*) FROM {view}").fetchone()
                if total == (0,):  # e.g. no entities without a trained pipeline
                    assert files == [], view
                    continue
                back = f"read_parquet('{out / view}/*/*.parquet', hive_partitioning = true)"
            else:
                back = f"read_parquet('{out / view}.parquet')"
            assert same_rows(con, view, back, cols), view  # column for column, nothing missing
        october = con.execute(
            f"SELECT list_sort(list(url)) FROM read_parquet('{out}/posts/*/*.parquet', "
            "hive_partitioning = true) WHERE month = '2026-10'"
        ).fetchone()
        assert october == (["https://blog.example/1"],)  # 23:30 UTC on 31 October: an October post
        tags = con.execute(
            f"SELECT month, count(*) FROM read_parquet('{out}/post_topics/*/*.parquet', "
            "hive_partitioning = true) GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        assert tags == [("2026-10", 1), ("2026-11", 2)]  # in the month of their post
    finally:
        con.close()

    # again into the same folder: a complete snapshot, not appended twice
    assert runner.invoke(app, ["export", "--out", str(out), "--config", str(config)]).exit_code == 0
    assert len(list((out / "posts").glob("*/*.parquet"))) == 2


def test_export_as_csv_reads_back_with_a_header_and_lists_as_json(tmp_path: Path) -> None:
    config, copy = published(tmp_path)
    out = tmp_path / "csv"
    result = runner.invoke(
        app, ["export", "--format", "csv", "--out", str(out), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "posts").iterdir()) == ["month=2026-10", "month=2026-11"]
    header = (out / "weeks.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "week,week_start,starts_at,ends_at,complete,posts"
    con = duckdb.connect(str(copy), read_only=True)
    try:
        for view in EXPORTED_VIEWS:
            # every value as the text DuckDB writes it; lists as JSON arrays
            cols = ", ".join(
                f'to_json("{name}")::VARCHAR' if kind.endswith("[]") else f'"{name}"::VARCHAR'
                for name, kind in columns(con, view)
            )
            names = ", ".join(f'"{name}"' for name, _ in columns(con, view))
            if view in POST_VIEWS:
                if con.execute(f"SELECT count(*) FROM {view}").fetchone() == (0,):
                    continue
                back = f"read_csv('{out / view}/*/*.csv', all_varchar = true, header = true)"
            else:
                back = f"read_csv('{out / view}.csv', all_varchar = true, header = true)"
            back = f"(SELECT {names} FROM {back})"
            exported = f"(SELECT {cols} FROM {view})"
            assert same_rows(con, exported, back, "*"), view
        terms = pd.read_csv(out / "posts" / "month=2026-11" / "data_0.csv")["key_terms"]
        assert sorted(json.loads(t) for t in terms.dropna()) == [
            ["service", "story1"],
            ["service", "story2"],
        ]
    finally:
        con.close()


def test_export_needs_a_known_format_and_a_published_copy(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    result = runner.invoke(app, ["export", "--format", "xlsx", "--config", str(config)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Export failed: --format: unknown format 'xlsx'; expected parquet or csv"
    ]
    result = runner.invoke(app, ["export", "--format", "csv", "--config", str(config)])
    assert result.exit_code == 1
    assert "no analytics copy yet" in result.output
