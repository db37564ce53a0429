"""The CLI commands that need no flow run: config errors, sources, sql."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from earshot.pipelines.cli import app
from earshot.pipelines.config import load_config
from earshot.pipelines.jobs import publish_analytics, refresh_digest_facts, warehouse

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
    with warehouse(load_config(config)) as con:
        refresh_digest_facts(con)  # creates, migrates, syncs the sources: a write cycle
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


def _no_prefect(args: list[str]) -> tuple[int, str, bool]:
    """Run the CLI in a fresh interpreter; (exit code, output, whether Prefect got imported)."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from earshot.pipelines.cli import app\n"
        f"result = CliRunner().invoke(app, {args!r})\n"
        "print(result.exit_code, 'prefect' in sys.modules)\n"
        "print(result.output, end='')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"COLUMNS": "220"}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert time.monotonic() - start < 10, "a bad argument must be refused at once"
    status, output = done.stdout.split("\n", 1)
    exit_code, imported = status.split()
    return int(exit_code), output, imported == "True"


@pytest.mark.parametrize(
    ("args", "value"),
    [(["digest", "--week", "2026-47"], "2026-47"), (["run", "--week", "lastweek"], "lastweek")],
)
def test_a_bad_week_is_refused_before_prefect_starts(
    tmp_path: Path, args: list[str], value: str
) -> None:
    exit_code, output, imported = _no_prefect([*args, "--config", str(make_config(tmp_path))])
    assert exit_code == 2
    assert output.strip().splitlines() == [
        f"Error: --week: week {value!r}: expected an ISO week like 2026-W47"
    ]
    assert not imported


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["sql", "--limit", "abc", "SELECT 1"], "earshot sql: Invalid value for '--limit'"),
        (["sql"], "earshot sql: Missing argument 'query'."),
        (["bogus"], "earshot: No such command 'bogus'."),
    ],
)
def test_the_console_script_says_a_usage_error_in_one_line(args: list[str], says: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"} | {"COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "earshot.pipelines.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(says), line
    assert line.endswith(f"(see `{says.split(':')[0]} --help`)")


def test_an_unknown_source_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    config = str(make_config(tmp_path))
    exit_code, output, imported = _no_prefect(["collect", "--source", "nope", "--config", config])
    assert exit_code == 2 and not imported
    assert len(output.strip().splitlines()) == 1
    assert "'nope'" in output and "known: blog, own" in output
    result = runner.invoke(app, ["collect", "--source", "blgo", "--config", config])
    assert result.exit_code == 2
    assert "did you mean blog?" in result.output


def test_sql_shows_forty_rows_and_says_how_many_there_are(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with warehouse(load_config(config)) as con:
        refresh_digest_facts(con)
    publish_analytics(load_config(config))
    many = "SELECT range AS n, repeat('x', 500) AS long FROM range(100) ORDER BY n"

    def shown(*options: str) -> tuple[list[str], str]:
        result = runner.invoke(app, ["sql", many, "--config", str(config), *options])
        assert result.exit_code == 0, result.output
        cells = [line.split("│")[1].strip() for line in result.stdout.splitlines()[3:-1]]
        return cells, result.stderr.strip()

    cells, note = shown()
    assert cells == [str(n) for n in range(40)]
    assert note == "40 of 100 rows; --limit N, --all or --csv for more"
    cells, note = shown("--limit", "5")
    assert cells == ["0", "1", "2", "3", "4"] and note.startswith("5 of 100 rows;")
    cells, note = shown("--all")
    assert len(cells) == 100 and note == "100 of 100 rows"
    table = runner.invoke(app, ["sql", many, "--config", str(config), "--limit", "1"]).stdout
    assert "x" * 59 + "…" in table and "x" * 60 not in table  # long cells cut in the table
    csv_rows = runner.invoke(app, ["sql", many, "--config", str(config), "--csv"]).stdout
    lines = csv_rows.splitlines()
    assert len(lines) == 101 and lines[1] == "0," + "x" * 500  # ... never in CSV
    refused = runner.invoke(app, ["sql", many, "--config", str(config), "--limit", "-1"])
    assert refused.exit_code == 2 and "--limit -1" in refused.output


def test_sources_shows_times_in_the_configured_zone(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with warehouse(load_config(config)) as con:
        con.execute(
            "UPDATE _sources SET last_status = 'ok', "
            "last_success_at = TIMESTAMPTZ '2026-11-20 12:00:00+00' WHERE source_id = 'blog'"
        )
    result = runner.invoke(app, ["sources", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "last success (Europe/Berlin)" in result.output
    assert "2026-11-20 13:00" in result.output  # 12:00 UTC is 13:00 in Berlin in November


def test_prefect_telemetry_is_off_unless_the_user_chose(tmp_path: Path) -> None:
    code = (
        "import os, yaml\n"
        "from earshot.pipelines.prefect_env import prepare_prefect\n"
        "prepare_prefect()\n"
        "loggers = yaml.safe_load(open(os.environ['PREFECT_LOGGING_CONFIG_PATH']))['loggers']\n"
        "print(os.environ['PREFECT_SERVER_ANALYTICS_ENABLED'], os.environ['DO_NOT_TRACK'],\n"
        "      loggers['prefect.flow_runs'], loggers['prefect.task_runs'], sep='|')\n"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK")
        and not k.startswith("PREFECT_LOGGING")
    }
    base["PREFECT_HOME"] = str(tmp_path)  # no logging.yml of the user's there

    def settings(**env: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=base | env
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().split("|")

    # Telemetry off; flow and task run logs go to the API handler only, at their own level.
    api_only = str({"level": "${PREFECT_LOGGING_LEVEL}", "handlers": ["api"], "propagate": False})
    assert settings() == ["false", "1", api_only, api_only]
    assert settings(PREFECT_SERVER_ANALYTICS_ENABLED="true", DO_NOT_TRACK="0")[:2] == ["true", "0"]
