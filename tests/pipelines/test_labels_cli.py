"""`earshot labels import/export` and `earshot learn` from the command line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from earshot.pipelines.cli import app, entry_point
from earshot.pipelines.config import load_config
from earshot.pipelines.tagging import build_enricher
from earshot.warehouse import open_warehouse
from tests.pipelines.test_cli import make_config

runner = CliRunner(env={"COLUMNS": "220"})


def test_labels_import_then_export_round_trips(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "text,lang,sentiment,topic,relevant\n"
        '"Der Kundenservice, endlich erreichbar",de,positive,service,true\n'
        "Stellenanzeige Kundenservice,de,,service,false\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["labels", "import", str(labels), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "imported 2 label(s)" in result.output
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["labels", "export", "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert [(r["text"], r["sentiment"], r["topic"], r["relevant"]) for r in exported] == [
        ("Der Kundenservice, endlich erreichbar", "positive", "service", "true"),
        ("Stellenanzeige Kundenservice", "", "service", "false"),
    ]
    assert exported[0]["origin"] == "file" and exported[0]["origin_ref"] == f"{labels}:2"
    result = runner.invoke(app, ["labels", "import", str(out), "--config", str(config)])
    assert result.exit_code == 0, result.output  # an export imports again


def test_a_bad_label_file_is_refused_whole(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "text,sentiment,topic,relevant\ngut,positive,,\nschlecht,negative,gibtsnicht,true\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["labels", "import", str(labels), "--config", str(config)])
    assert result.exit_code == 1
    assert f"{labels}:3: topic: 'gibtsnicht' is not a topic" in result.output.replace("\n", "")
    con = open_warehouse(load_config(config).warehouse_path, read_only=True)
    try:  # the good row was not stored either
        assert con.execute("SELECT count(*) FROM _labels").fetchall() == [(0,)]
    finally:
        con.close()


def test_learn_with_too_few_labels_says_what_it_needs_and_keeps_the_rules(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path)
    labels = tmp_path / "labels.tsv"
    labels.write_text(
        "text\tlang\tsentiment\n"
        + "".join(f"Zug {n} fällt aus\tde\tnegative\n" for n in range(25))
        + "".join(f"Zug {n} fährt\tde\tneutral\n" for n in range(3)),
        encoding="utf-8",
    )
    assert runner.invoke(app, ["labels", "import", str(labels), "-c", str(config)]).exit_code == 0
    result = runner.invoke(app, ["learn", "--config", str(config)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "de sentiment: 28 label(s) (25 negative, 3 neutral, 0 positive)" in text
    assert "needs 17 more neutral, 20 more positive (at least 20 of each class)" in text
    loaded = load_config(config)
    assert not any(loaded.models_path.glob("*.npz"))  # no model; learned.json says from what
    assert build_enricher(loaded).models == {}


def _stored_posts(config: Path, texts: list[str]) -> list[str]:
    """Posts of the config's `blog` feed, annotated (German, no topic); their ids."""
    from datetime import UTC, datetime

    from earshot.listeners.records import Post
    from earshot.nlp.records import Annotation
    from earshot.warehouse.annotations import store_annotations
    from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources

    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    con = open_warehouse(load_config(config).warehouse_path)
    try:
        sync_sources(con, [SourceRow("blog", "feed", "https://blog.example.org/feed", False)])
        posts = [
            Post("feed", "blog", f"i{n}", f"https://blog.example.org/{n}", None, None, None,
                 text, "de", now, now)
            for n, text in enumerate(texts)
        ]  # fmt: skip
        insert_posts(con, posts, load_id="collect-1")
        ids = [pid for (pid,) in con.execute("SELECT post_id FROM _posts ORDER BY url").fetchall()]
        store_annotations(
            con,
            [Annotation(pid, "de", 0.99, 0.0, "neutral", False, (), ()) for pid in ids],
            pipeline_version="v1",
            load_id="enrich-1",
        )
    finally:
        con.close()
    return ids


def test_labels_next_offers_unlabelled_posts_and_imports_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    texts = [f"Der Zug Nummer {n} fährt heute" for n in range(6)]
    ids = _stored_posts(config, texts)
    labels = tmp_path / "labels.csv"
    labels.write_text(f"post_id,sentiment\n{ids[0]},neutral\n", encoding="utf-8")
    assert entry_point(["labels", "import", str(labels), "--config", str(config)]) == 0
    capsys.readouterr()
    assert entry_point(["labels", "next", "--n", "3", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    lines = [line.split("\t") for line in out.splitlines()]
    assert len(lines) == 3 and all(len(fields) == 5 for fields in lines)
    offered = [fields[0] for fields in lines]
    assert ids[0] not in offered and set(offered) <= set(ids[1:])
    assert {fields[3] for fields in lines} == {"sentiment"}  # no topic has relevance labels
    assert {fields[4] for fields in lines} <= set(texts[1:])
    assert "3 post(s) to label" in err
    # what it printed is what a label file names: label them, and they are offered no more
    labels.write_text(
        "post_id,sentiment\n" + "".join(f"{pid},neutral\n" for pid in offered), encoding="utf-8"
    )
    assert entry_point(["labels", "import", str(labels), "--config", str(config)]) == 0
    capsys.readouterr()
    assert entry_point(["labels", "next", "--config", str(config)]) == 0
    out, _ = capsys.readouterr()
    assert sorted(line.split("\t")[0] for line in out.splitlines()) == sorted(
        set(ids[1:]) - set(offered)
    )


def test_labels_next_refuses_a_count_below_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert entry_point(["labels", "next", "--n", "0", "-c", str(make_config(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "--n 0: expected at least 1" in err and len(err.strip().splitlines()) == 1


def test_learn_reports_relevance_per_topic_and_what_it_still_needs(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "text,lang,topic,relevant\n"
        + "".join(f"Kundenservice {n} antwortet nicht,de,service,true\n" for n in range(22))
        + "".join(f"Stellenanzeige Kundenservice {n},de,service,false\n" for n in range(4)),
        encoding="utf-8",
    )
    assert runner.invoke(app, ["labels", "import", str(labels), "-c", str(config)]).exit_code == 0
    result = runner.invoke(app, ["learn", "--config", str(config)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "topic service relevance: 26 label(s) (22 relevant, 4 not relevant)" in text
    assert "needs 16 more not relevant (at least 20 of each class); every match stays" in text
    assert "rules (every match relevant) 0.458 0.846 0.917 0.000" in text
    assert build_enricher(load_config(config)).relevance == {}
