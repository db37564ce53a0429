"""`earshot labels import/export` and `earshot learn` from the command line."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from earshot.pipelines.cli import app
from earshot.pipelines.config import load_config
from earshot.pipelines.jobs import build_enricher
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
