"""Labels: files read with every refusal naming file, line and column; all rows stored or
none; a stored post's label wins in `posts`; learning sees the newest label per text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from earshot.nlp.records import Annotation
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.facts import dirty_weeks, refresh_facts
from earshot.warehouse.labels import (
    LabelFileError,
    LabelRow,
    labelled_texts,
    read_label_file,
    store_labels,
)
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources
from earshot.warehouse.taxonomy import sync_taxonomy
from tests.warehouse.feed_posts import feed_post

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(c, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    sync_taxonomy(c, [("bahn", "Bahn", None)], [], timezone="Europe/Berlin")
    posts = [
        feed_post(n, text, published_at=NOW, fetched_at=NOW)
        for n, text in enumerate(["Der Zug war pünktlich.", "Wieder Stellwerksstörung."])
    ]
    insert_posts(c, posts, load_id="collect-1")
    return c


def post_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [pid for (pid,) in con.execute("SELECT post_id FROM _posts ORDER BY url").fetchall()]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_and_tsv_are_read_with_their_lines(tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "labels.csv",
        'text,lang,sentiment,topic,relevant\n"Zug fällt aus,\nschon wieder",de,negative,,\n'
        "\nDie Bahn baut,,neutral,bahn,TRUE\n",
    )
    rows = read_label_file(csv_file)
    assert rows == [
        LabelRow(2, text="Zug fällt aus,\nschon wieder", lang="de", sentiment="negative"),
        LabelRow(5, text="Die Bahn baut", sentiment="neutral", topic_id="bahn", relevant=True),
    ]
    tsv_file = write(tmp_path / "labels.tsv", 'url\tsentiment\nhttps://x.org/"1"\tpositive\n')
    assert read_label_file(tsv_file) == [LabelRow(2, url='https://x.org/"1"', sentiment="positive")]


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ("text,sentiment\nok,negativ\n", ":2: sentiment: 'negativ': expected one of"),
        ("text,mood\nok,bad\n", ":1: mood: unknown column"),
        ("lang,sentiment\nde,neutral\n", ":1: needs a column text, post_id or url"),
        ("text,sentiment,lang\na,neutral,de\nb,neutral,german\n", ":3: lang: 'german'"),
        ("text,topic,relevant\na,bahn,vielleicht\n", ":2: relevant: 'vielleicht'"),
        ("text,topic,relevant\na,bahn,\n", ":2: relevant: topic and relevant go together"),
        ("text,sentiment\na,neutral,extra\n", ":2: 3 fields, the header has 2"),
        ("text,sentiment\n,neutral\n", ":2: needs a text, post_id or url"),
    ],
)
def test_bad_rows_are_refused_naming_file_line_and_column(
    tmp_path: Path, content: str, where: str
) -> None:
    path = write(tmp_path / "bad.csv", content)
    with pytest.raises(LabelFileError) as caught:
        read_label_file(path)
    assert str(caught.value).startswith(str(path) + where)


def test_germeval_is_read_as_it_is(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dev.tsv",
        'http://x.org/a\\_b\tRe: "Zug" fällt ""aus""\ttrue\tnegative\tAllgemein#Haupt:negative\n'
        "http://x.org/c\tPressemitteilung\tfalse\tneutral\n\n",
    )
    rows = read_label_file(path, "germeval2017", topic="bahn")
    assert rows[0] == LabelRow(
        1, 'Re: "Zug" fällt ""aus""', None, "http://x.org/a_b", "de", "negative", "bahn", True
    )
    assert rows[1].relevant is False and rows[1].line == 2
    assert read_label_file(path, "germeval2017")[1].topic_id is None
    write(path, "http://x.org/a\tText\tja\tnegative\n")
    with pytest.raises(LabelFileError, match=r"dev.tsv:1: relevance: 'ja'"):
        read_label_file(path, "germeval2017", topic="bahn")


def test_nothing_is_stored_when_one_row_is_bad(con: duckdb.DuckDBPyConnection) -> None:
    first, _ = post_ids(con)
    rows = [
        LabelRow(2, post_id=first, sentiment="positive"),
        LabelRow(3, text="Eigener Text", sentiment="neutral"),
        LabelRow(4, post_id="nope", sentiment="negative"),
    ]
    with pytest.raises(LabelFileError, match=r"^f.csv:4: post_id: no stored post 'nope'"):
        store_labels(con, rows, source="f.csv", labelled_by="ana", now=NOW)
    with pytest.raises(LabelFileError, match=r"^f.csv:2: topic: 'zug' is not a topic"):
        store_labels(
            con,
            [LabelRow(2, text="x", topic_id="zug", relevant=True)],
            source="f.csv",
            labelled_by="ana",
            now=NOW,
        )
    with pytest.raises(LabelFileError, match=r"^f.csv:7: url: no stored post has the URL"):
        store_labels(
            con,
            [LabelRow(7, url="https://example.org/unknown", sentiment="neutral")],
            source="f.csv",
            labelled_by="ana",
            now=NOW,
        )
    assert con.execute("SELECT count(*) FROM _labels").fetchall() == [(0,)]
    assert store_labels(con, rows[:2], source="f.csv", labelled_by="ana", now=NOW) == 2
    assert con.execute(
        "SELECT post_id, text, sentiment, labelled_by, origin, origin_ref FROM labels "
        "ORDER BY label_id"
    ).fetchall() == [
        (first, "Der Zug war pünktlich.", "positive", "ana", "file", "f.csv:2"),
        (None, "Eigener Text", "neutral", "ana", "file", "f.csv:3"),
    ]


def test_a_stored_posts_label_wins_in_posts_and_marks_its_week(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first, second = post_ids(con)
    store_annotations(
        con,
        [Annotation(pid, "de", 0.99, 0.4, "positive", False, (), ()) for pid in (first, second)],
        pipeline_version="v1",
        load_id="enrich-1",
    )
    refresh_facts(con)
    store_labels(
        con,
        [LabelRow(2, url="https://example.org/1", sentiment="negative")],
        source="f.csv",
        labelled_by="ana",
        now=NOW,
    )
    assert dirty_weeks(con)  # the digest facts of its week are recomputed
    rows = dict(con.execute("SELECT post_id, (sentiment, sentiment_label) FROM posts").fetchall())
    assert rows[second] == (-1.0, "negative")  # named by its URL
    assert rows[first] == (0.4, "positive")


def test_learning_sees_the_newest_label_per_text_and_kind(
    con: duckdb.DuckDBPyConnection,
) -> None:
    first, _ = post_ids(con)
    store_labels(
        con,
        [
            LabelRow(2, text="Zug weg", lang="de", sentiment="neutral"),
            LabelRow(3, text="Zug weg", sentiment="negative", topic_id="bahn", relevant=True),
            LabelRow(4, post_id=first, sentiment="positive"),
        ],
        source="a.csv",
        labelled_by="ana",
        now=NOW,
    )
    seen = [(t.text, t.sentiment, t.topic_id, t.relevant, t.lang) for t in labelled_texts(con)]
    assert seen == [
        ("Zug weg", "negative", None, None, None),
        ("Zug weg", None, "bahn", True, None),
        ("Der Zug war pünktlich.", "positive", None, None, None),
    ]
