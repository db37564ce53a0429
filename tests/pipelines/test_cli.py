"""The CLI commands that need no flow run: config errors, sources, sql."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.config import load_config
from pipelines.jobs import publish_analytics, warehouse

runner = CliRunner(env={"COLUMNS": "220"})


def make_config(tmp_path: Path) -> Path:
    path = tmp_path / "listening.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "organisation": "Beispiel GmbH",
                "sources": [
                    {"id": "blog", "kind": "feed", "url": "https://blog.example.org/feed"},
                    {
                        "id": "own",
                        "kind": "feed",
                        "url": "https://us.example.org/feed",
                        "owned": True,
                    },
                ],
                "topics": [
                    {"id": "service", "label": "Service", "terms": {"de": ["Kundenservice"]}}
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_bad_config_exits_non_zero_naming_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "listening.yaml"
    path.write_text("organisation: x\nsources:\n  - id: a\n    kind: feed\n", encoding="utf-8")
    result = runner.invoke(app, ["collect", "--config", str(path)])
    assert result.exit_code == 2
    assert "sources[0].url: required key is missing" in result.output
    assert str(path) in result.output.replace("\n", "")


def test_sources_lists_never_fetched_sources(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sources", "--config", str(make_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "blog" in result.output and "never fetched" in result.output


def test_sql_reads_views_and_cannot_modify(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with warehouse(load_config(config)):
        pass  # creates, migrates and syncs the sources
    result = runner.invoke(app, ["sql", "SELECT 1", "--config", str(config)])
    assert result.exit_code == 1  # no analytics copy published yet: one clear line
    assert "no analytics copy yet" in result.output
    assert "earshot-analytics.duckdb" in result.output.replace("\n", "")
    publish_analytics(load_config(config))
    result = runner.invoke(
        app,
        [
            "sql",
            "SELECT source_id, owned FROM source_health ORDER BY 1",
            "--csv",
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["source_id,owned", "blog,False", "own,True"]
    result = runner.invoke(app, ["sql", "DELETE FROM _sources", "--config", str(config)])
    assert result.exit_code == 1
    assert "read-only" in result.output
    with warehouse(load_config(config)) as con:
        assert con.execute("SELECT count(*) FROM _sources").fetchall() == [(2,)]


@pytest.mark.parametrize(
    "command", ["run", "collect", "enrich", "digest", "serve", "sources", "sql", "export"]
)
def test_every_command_takes_config(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "--config" in result.output
