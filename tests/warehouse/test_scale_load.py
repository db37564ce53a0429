"""The synthetic posts of bench/synth.py and the bulk (Arrow) loading path they go through."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from bench.synth import WEEKS, Synth, write_warehouse
from earshot.warehouse import digest_queries, open_warehouse
from earshot.warehouse.sources import POST_SCHEMA, insert_post_batches, insert_posts, posts_table


@pytest.fixture(scope="module")
def synth() -> Synth:
    return Synth(3000, seed=11)


def test_synthetic_rows_carry_the_ids_and_content_keys_posts_compute(synth: Synth) -> None:
    table = synth.batch(0, 3000).posts
    posts = synth.posts(3000)
    assert table.schema == POST_SCHEMA
    assert [p.post_id for p in posts] == table.column("post_id").to_pylist()
    assert [p.content_key for p in posts] == table.column("content_key").to_pylist()
    assert synth.batch(0, 3000).posts.equals(table)  # deterministic for a seed


def test_synthetic_posts_look_like_a_market(synth: Synth) -> None:
    batch = synth.batch(0, 3000)
    posts = batch.posts
    assert set(pc.unique(posts.column("lang_hint")).to_pylist()) >= {"de", "en"}
    keys = posts.column("content_key")
    assert 0 < posts.num_rows - len(pc.unique(keys)) < posts.num_rows * 0.1  # a few copies
    owned = {s.source_id for s in synth.sources() if s.owned}
    own = pc.is_in(posts.column("source_id"), pa.array(sorted(owned)))
    assert 0 < pc.sum(own).as_py() < posts.num_rows * 0.2
    times = posts.column("published_at")
    span = pc.max(times).as_py() - pc.min(times).as_py()
    assert WEEKS * 7 - 2 <= span.days < WEEKS * 7
    likes = [x for x in posts.column("likes").to_pylist() if x is not None]
    assert max(likes) > 20 * sorted(likes)[len(likes) // 2]  # a long tail
    assert any("?" in t for t in posts.column("text").to_pylist())
    # enrichment rows point at the batch's posts; each tag's matched term is in the post
    ids = set(posts.column("post_id").to_pylist())
    assert set(batch.annotations.column("post_id").to_pylist()) <= ids
    text = dict(
        zip(posts.column("post_id").to_pylist(), posts.column("text").to_pylist(), strict=True)
    )
    tags = batch.post_topics.to_pylist()
    assert len({(t["post_id"], t["topic_id"]) for t in tags}) == len(tags)
    assert all(t["matched_terms"][0].lower() in text[t["post_id"]].lower() for t in tags)


def test_bulk_load_is_idempotent_and_keeps_the_first_of_a_repeated_id(
    tmp_path: Path, synth: Synth
) -> None:
    table = synth.batch(0, 500).posts
    con = open_warehouse(tmp_path / "w.duckdb")
    assert insert_post_batches(con, table, "load-1") == 500
    assert insert_post_batches(con, table, "load-2") == 0
    assert insert_post_batches(con, list(table.to_batches(max_chunksize=100)), "load-3") == 0
    more = synth.batch(500, 10).posts
    twice = pa.concat_tables([more, more.slice(0, 3).set_column(8, "text", pa.array(["x"] * 3))])
    assert insert_post_batches(con, twice, "load-4") == 10
    stored = con.execute(
        "SELECT count(*), count(DISTINCT post_id), count(*) FILTER (WHERE text = 'x') FROM _posts"
    ).fetchall()
    assert stored == [(510, 510, 0)]
    assert con.execute(
        "SELECT load_id, count(*) FROM _posts GROUP BY ALL ORDER BY 1"
    ).fetchall() == [("load-1", 500), ("load-4", 10)]


def test_post_records_and_arrow_rows_load_the_same(tmp_path: Path, synth: Synth) -> None:
    posts = synth.posts(200)
    a = open_warehouse(tmp_path / "a.duckdb")
    b = open_warehouse(tmp_path / "b.duckdb")
    assert insert_posts(a, posts + posts[:5], "load") == 200
    assert insert_posts(a, posts, "load") == 0
    assert insert_post_batches(b, synth.batch(0, 200).posts, "load") == 200
    query = "SELECT * EXCLUDE (raw), CAST(raw AS VARCHAR) FROM _posts ORDER BY post_id"
    assert a.execute(query).fetchall() == b.execute(query).fetchall()
    assert posts_table([], "load").num_rows == 0


def test_bulk_load_names_a_missing_column(tmp_path: Path, synth: Synth) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    table = synth.batch(0, 10).posts.drop_columns(["content_key"])
    with pytest.raises(ValueError, match=r"load-9: missing column\(s\) \['content_key'\]"):
        insert_post_batches(con, table, "load-9")


def test_synthetic_warehouse_answers_the_digest_views(tmp_path: Path) -> None:
    path = tmp_path / "synth.duckdb"
    counts = write_warehouse(path, Synth(4000, seed=3), batch_rows=1500)
    assert counts["posts"] == 4000
    assert 0 < counts["annotations"] <= 4000 < counts["post_topics"] + 4000
    con = duckdb.connect(str(path), read_only=True)
    weeks = con.execute("SELECT count(DISTINCT week) FROM post_weeks").fetchall()[0][0]
    assert WEEKS <= weeks <= WEEKS + 1  # the zone shifts a few posts into the next week
    movement = con.execute(
        "SELECT count(*) FROM topic_movement WHERE week = '2026-W47' AND posts > 0"
    ).fetchall()[0][0]
    assert movement == 8  # every topic of the example's taxonomy is talked about
    # the digest's week-restricted metrics give the figures of the views they restate
    week = "2026-W47"
    cov = digest_queries.coverage(con, week)
    view = con.execute(
        "SELECT audience_rows, audience_posts, duplicates, own_posts, enriched_posts, "
        "rated_posts, tagged_posts, questions FROM week_coverage WHERE week = ?",
        [week],
    ).fetchall()[0]
    assert (cov.audience_rows, cov.audience_posts, cov.duplicates, cov.own_posts) == view[:4]
    assert (cov.enriched_posts, cov.rated_posts, cov.tagged_posts, cov.questions) == view[4:]
    weekly = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT topic_id, posts, authors, engagement FROM topic_movement WHERE week = ?", [week]
        ).fetchall()
    }
    assert {
        t.topic_id: (t.posts, t.authors, t.engagement)
        for t in digest_queries.topic_movements(con, week)
    } == weekly
    per_source = dict(
        con.execute(
            "SELECT p.source_id, count(*) FROM _posts p JOIN post_weeks w USING (post_id) "
            "WHERE w.week = ? GROUP BY ALL",
            [week],
        ).fetchall()
    )
    assert {s.source_id: s.posts_in_week for s in digest_queries.source_coverage(con, week)} == {
        s: per_source.get(s, 0) for s in (r.source_id for r in Synth(4000, seed=3).sources())
    }
