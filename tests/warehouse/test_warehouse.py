from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from earshot.listeners.records import FetchResult, FetchStatus, Post
from earshot.nlp.records import Annotation, TopicMatch
from earshot.warehouse import WarehouseError, WarehouseLocked, migrate, open_warehouse
from earshot.warehouse.annotations import count_stale, next_stale_batch, store_annotations
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.loads import finish_load, start_load
from earshot.warehouse.sources import (
    SourceRow,
    insert_posts,
    source_states,
    store_fetch,
    sync_sources,
)
from earshot.warehouse.taxonomy import sync_taxonomy

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def post(n: int, source: str = "blog", **kw: object) -> Post:
    fields: dict[str, object] = {
        "platform": "feed",
        "source_id": source,
        "external_id": f"item-{n}",
        "url": f"https://example.org/{n}",
        "author": f"author{n % 3}",
        "author_handle": None,
        "title": f"Title {n}",
        "text": f"Text über Kundenservice {n}",
        "lang_hint": "de",
        "published_at": NOW - timedelta(hours=n),
        "fetched_at": NOW,
        "likes": n,
        "raw": {"id": n},
    }
    fields.update(kw)
    return Post(**fields)  # type: ignore[arg-type]


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(
        c,
        [
            SourceRow("blog", "feed", "https://example.org/feed", False),
            SourceRow("own", "feed", "https://us.example/feed", True),
        ],
    )
    sync_taxonomy(
        c, [("service", "Service", "expert")], [("expert", "Expert", 1.0)], timezone="Europe/Berlin"
    )
    return c


def test_migrations_are_recorded_once_with_checksums(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    c = open_warehouse(path)
    files = sorted(
        p.name for p in (Path(migrate.__code__.co_filename).parent / "migrations").glob("*.sql")
    )
    rows = c.execute(
        "SELECT version, name, length(checksum) FROM _migrations ORDER BY version"
    ).fetchall()
    assert rows[0] == (1, "0001_initial.sql", 64)
    assert [r[1] for r in rows] == files
    assert migrate(c) == []  # nothing pending the second time
    c.close()
    c = open_warehouse(path)
    assert c.execute("SELECT count(*) FROM _migrations").fetchall()[0] == (len(files),)


def test_changed_migration_is_refused(tmp_path: Path) -> None:
    c = open_warehouse(tmp_path / "w.duckdb")
    c.execute("UPDATE _migrations SET checksum = 'abc' WHERE version = 1")
    with pytest.raises(WarehouseError, match=r"0001_initial\.sql was changed"):
        migrate(c)


def test_insert_is_idempotent_and_rows_know_their_load(con: duckdb.DuckDBPyConnection) -> None:
    first = start_load(con, "collect")
    assert insert_posts(con, [post(1), post(2), post(2)], first) == 2
    second = start_load(con, "collect")
    assert insert_posts(con, [post(1), post(2), post(3)], second) == 1
    rows = con.execute("SELECT post_id, load_id FROM _posts ORDER BY external_id").fetchall()
    assert [r[1] for r in rows] == [first, first, second]
    assert rows[0][0] == post(1).post_id
    finish_load(con, second, status="done", rows_added=1)
    assert con.execute(
        "SELECT status, rows_added FROM _loads WHERE load_id = ?", [second]
    ).fetchall()[0] == ("done", 1)


def test_store_fetch_saves_posts_and_state_together(con: duckdb.DuckDBPyConnection) -> None:
    load = start_load(con, "collect")
    ok = FetchResult("blog", FetchStatus.OK, (post(1),), {"etag": '"v1"'}, http_status=200)
    assert (
        store_fetch(
            con, ok, load_id=load, attempted_at=NOW, next_attempt_at=NOW + timedelta(minutes=30)
        )
        == 1
    )
    state = source_states(con)["blog"]
    assert state.state == {"etag": '"v1"'} and state.failure_count == 0

    failed = FetchResult("blog", FetchStatus.FAILED, error="https://example.org/feed: HTTP 503")
    store_fetch(con, failed, load_id=load, attempted_at=NOW, next_attempt_at=NOW)
    store_fetch(con, failed, load_id=load, attempted_at=NOW, next_attempt_at=NOW)
    health = con.execute(
        "SELECT last_status, last_error, failure_count, posts_total FROM source_health "
        "WHERE source_id = 'blog'"
    ).fetchall()[0]
    assert health == ("failed", "https://example.org/feed: HTTP 503", 2, 1)
    assert source_states(con)["blog"].state == {"etag": '"v1"'}  # failure keeps the old state


def test_failed_store_rolls_back_posts_and_state(con: duckdb.DuckDBPyConnection) -> None:
    load = start_load(con, "collect")
    result = FetchResult("blog", FetchStatus.OK, (post(1),), {"etag": '"v2"'})
    with pytest.raises(duckdb.Error):
        # a NULL attempt time violates nothing, but an unknown column type does: force an error
        store_fetch(
            con,
            result,
            load_id=load,
            attempted_at="not a time",  # type: ignore[arg-type]
            next_attempt_at=NOW,
        )
    assert con.execute("SELECT count(*) FROM _posts").fetchall()[0] == (0,)
    assert source_states(con)["blog"].state == {}


def test_enrichment_selects_only_stale_posts(con: duckdb.DuckDBPyConnection) -> None:
    load = start_load(con, "collect")
    insert_posts(con, [post(1), post(2), post(3)], load)
    assert count_stale(con, "v1") == 3
    batch = next_stale_batch(con, "v1", 2)
    assert len(batch) == 2 and batch[0][1].startswith("Title")
    ann = [
        Annotation(
            pid,
            "de",
            0.99,
            -0.5,
            "negative",
            True,
            ("kundenservice",),
            (TopicMatch("service", "expert", ("Kundenservice",)),),
        )
        for pid, _text, _hint in batch
    ]
    store_annotations(con, ann, pipeline_version="v1", load_id=load)
    assert count_stale(con, "v1") == 1
    assert count_stale(con, "v2") == 3  # a new pipeline version re-tags everything
    store_annotations(con, ann, pipeline_version="v1", load_id=load)  # replacing is idempotent
    assert con.execute("SELECT count(*) FROM _post_topics").fetchall()[0] == (2,)


def test_analyst_views(con: duckdb.DuckDBPyConnection) -> None:
    load = start_load(con, "collect")
    # Sunday 23:30 UTC is already Monday in Berlin: ISO week 2026-W48, not W47.
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    insert_posts(con, [post(1, published_at=late), post(2), post(3, source="own")], load)
    pids = [p.post_id for p in (post(1), post(2), post(3, source="own"))]
    store_annotations(
        con,
        [
            Annotation(
                pid, "de", 1.0, s, lbl, False, (), (TopicMatch("service", "expert", ("x",)),)
            )
            for pid, s, lbl in zip(
                pids, [-0.6, 0.4, 0.1], ["negative", "positive", "neutral"], strict=True
            )
        ],
        pipeline_version="v1",
        load_id=load,
    )
    cols = [d[0] for d in con.execute("SELECT * FROM posts LIMIT 0").description]
    for c in (
        "post_id",
        "platform",
        "source_id",
        "url",
        "author",
        "title",
        "text",
        "lang",
        "published_at",
        "likes",
        "reposts",
        "replies",
        "sentiment",
        "is_question",
        "is_own",
    ):
        assert c in cols
    refresh_facts(con)  # topic_weekly reads the digest facts, refreshed by each write cycle
    weekly = con.execute(
        "SELECT week, topic_id, posts, authors, avg_sentiment, negative_share, engagement "
        "FROM topic_weekly ORDER BY week"
    ).fetchall()
    # the own post is not audience conversation
    assert weekly == [
        ("2026-W47", "service", 1, 1, 0.4, 0.0, 2),
        ("2026-W48", "service", 1, 1, -0.6, 1.0, 1),
    ]
    assert con.execute("SELECT is_own FROM posts WHERE source_id = 'own'").fetchall()[0] == (True,)


def test_removed_source_is_deactivated_not_deleted(con: duckdb.DuckDBPyConnection) -> None:
    sync_sources(con, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    assert con.execute("SELECT source_id, active FROM _sources ORDER BY source_id").fetchall() == [
        ("blog", True),
        ("own", False),
    ]


def test_locked_warehouse_fails_with_a_clear_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    open_warehouse(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('ready', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseLocked, match=str(path)):
            open_warehouse(path, lock_timeout_seconds=0.5)
    finally:
        holder.kill()
        holder.wait()


def test_a_load_left_running_by_a_dead_process_is_marked_aborted(
    con: duckdb.DuckDBPyConnection,
) -> None:
    killed = start_load(con, "collect")
    insert_posts(con, [post(1)], killed)  # then the process died: no finish_load
    start_load(con, "collect")
    assert con.execute("SELECT status FROM _loads WHERE load_id = ?", [killed]).fetchall() == [
        ("aborted",)
    ]
    assert con.execute("SELECT count(*) FROM _posts").fetchall() == [(1,)]  # nothing lost


def test_source_sync_writes_only_what_changed(con: duckdb.DuckDBPyConnection) -> None:
    blog = SourceRow("blog", "feed", "https://example.org/feed", False)
    sync_sources(con, [blog])
    con.execute("UPDATE _sources SET state = '{\"etag\": \"x\"}' WHERE source_id = 'blog'")
    sync_sources(con, [blog, SourceRow("new", "feed", "https://example.org/new", True)])
    # A source removed and named again comes back active, with its state kept.
    sync_sources(con, [SourceRow("blog", "feed", "https://example.org/feed2", False)])
    sync_sources(con, [SourceRow("own", "feed", "https://example.org/own", True), blog])
    rows = con.execute(
        "SELECT source_id, url, owned, active, state->>'etag' FROM _sources ORDER BY source_id"
    ).fetchall()
    assert rows == [
        ("blog", "https://example.org/feed", False, True, "x"),
        ("new", "https://example.org/new", True, False, None),
        ("own", "https://example.org/own", True, True, None),
    ]
