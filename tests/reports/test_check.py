"""`earshot check DRAFT_FILE` on the generated history: same engine as the digest."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from earshot.pipelines.cli import app
from earshot.reports.check import check_draft, draft_text, format_check
from earshot.warehouse import open_warehouse
from earshot.warehouse.facts import needs_refresh
from earshot.warehouse.sources import insert_posts
from tests.reports.history import NOW, WEEK, History, build_history

CONFIG = """
organisation: Stadtwerke
timezone: Europe/Berlin
warehouse:
  path: history.duckdb
buckets:
  - {id: expert, label: Fachwissen, target_share: 0.5}
  - {id: practice, label: Praxis, target_share: 0.5}
topics:
  - id: service
    label: Kundenservice
    bucket: practice
    terms: {de: [Kundenservice, Hotline]}
  - id: price
    label: Preise
    bucket: expert
    terms: {de: [Strompreis, Preiserhöhung]}
  - id: climate
    label: Klima
    terms: {de: [Klimaschutz]}
"""


def test_markdown_is_reduced_to_its_text() -> None:
    md = "# Neue Tarife\n\n**Die Preiserhöhung** kommt: [mehr](https://x.example) #strom\n- Punkt"
    assert draft_text(md) == "Neue Tarife\n\nDie Preiserhöhung kommt: mehr #strom\nPunkt"


def test_check_reports_movement_questions_and_the_risk(tmp_path: Path) -> None:
    h = build_history(tmp_path / "history.duckdb")
    result = check_draft(h.con, topic_ids=["price"], bucket_ids=["expert"], week=WEEK, now=NOW)
    assert [m.topic_id for m in result.topics] == ["price"]
    assert [h.names[q.post_id] for q in result.questions] == ["q30", "q20", "q10", "q-old"]
    assert [b.balance for b in result.buckets] == ["below target"]
    assert result.warnings == ["Preise: on the risk watch in 2026-W47"]
    calm = check_draft(h.con, topic_ids=["service"], bucket_ids=[], week=WEEK, now=NOW)
    assert calm.warnings == []
    h.con.close()


def test_cli_check_reports_the_drafts_topics(tmp_path: Path) -> None:
    build_history(tmp_path / "history.duckdb").con.close()
    (tmp_path / "listening.yaml").write_text(CONFIG, encoding="utf-8")
    draft = tmp_path / "draft.md"
    draft.write_text("# Unsere Preiserhöhung\n\nWarum der Strompreis steigt.\n", encoding="utf-8")
    runner = CliRunner()
    # the CLI uses the real clock; the history's weeks are in the calendar up to today's week
    result = runner.invoke(app, ["check", str(draft), "--config", str(tmp_path / "listening.yaml")])
    assert "The draft touches: Preise, bucket Fachwissen" in result.output, result.output
    assert "Topic Preise" in result.output
    assert "Bucket Fachwissen" in result.output
    calm = tmp_path / "calm.md"
    calm.write_text("Nichts als Wetter.\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(calm), "--config", str(tmp_path / "listening.yaml")])
    assert result.exit_code == 0, result.output
    assert "touches none of the configured topics" in result.output


def test_cli_check_on_stale_facts_says_so_and_writes_nothing(tmp_path: Path) -> None:
    h = build_history(tmp_path / "history.duckdb")
    more = History(h.con)
    more.add("late", 0, topics=("price",))
    insert_posts(h.con, more.posts, "load-3")  # a collect killed before its refresh
    h.con.close()
    (tmp_path / "listening.yaml").write_text(CONFIG, encoding="utf-8")
    draft = tmp_path / "draft.md"
    draft.write_text("Warum der Strompreis steigt.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["check", str(draft), "--config", str(tmp_path / "listening.yaml")]
    )
    assert result.exit_code == 1
    assert "not up to date for 2026-W47" in result.output, result.output
    assert "earshot enrich" in result.output
    con = open_warehouse(tmp_path / "history.duckdb", read_only=True)
    try:
        assert needs_refresh(con)  # the check only read
    finally:
        con.close()


def test_cli_check_speaks_the_digests_language(tmp_path: Path) -> None:
    build_history(tmp_path / "history.duckdb").con.close()
    config = CONFIG.replace(
        "timezone: Europe/Berlin\n", "timezone: Europe/Berlin\ndigest:\n  language: de\n"
    )
    (tmp_path / "listening.yaml").write_text(config, encoding="utf-8")
    draft = tmp_path / "draft.md"
    draft.write_text("# Unsere Preiserhöhung\n\nWarum der Strompreis steigt.\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["check", str(draft), "--config", str(tmp_path / "listening.yaml")])
    assert "Der Entwurf berührt: Preise, Kategorie Fachwissen" in result.output, result.output
    assert "Thema Preise:" in result.output and "Beiträge der Zielgruppe in KW" in result.output
    assert (
        "Kategorie Fachwissen:" in result.output and "Ihrer Beiträge in 4 Wochen" in result.output
    )
    for english in (
        "The draft touches",
        "Topic Preise",
        "audience posts",
        "WARNING",
        "No warnings",
    ):
        assert english not in result.output, english
    calm = tmp_path / "calm.md"
    calm.write_text("Nichts als Wetter.\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(calm), "--config", str(tmp_path / "listening.yaml")])
    assert "Der Entwurf berührt keines der konfigurierten Themen." in result.output


def test_check_warnings_in_german(tmp_path: Path) -> None:
    h = build_history(tmp_path / "history.duckdb")
    result = check_draft(
        h.con, topic_ids=["price"], bucket_ids=["expert"], week=WEEK, now=NOW, language="de"
    )
    assert result.warnings == ["Preise: im Risiko-Radar in KW 47/2026"]
    assert "WARNUNG: Preise: im Risiko-Radar in KW 47/2026" in format_check(
        result, unmatched=False, language="de"
    )
    h.con.close()
