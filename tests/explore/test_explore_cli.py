"""`earshot explore` refuses what it cannot serve in one line, before serving anything."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from earshot.pipelines.cli import entry_point


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "listening.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "organisation": "Beispiel",
                "sources": [{"id": "blog", "kind": "feed", "url": "https://blog.example.org/feed"}],
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--host", "0.0.0.0"], 2, "--host 0.0.0.0: not a loopback address; set EARSHOT_EXPLORE"),
        (["--port", "70000"], 2, "--port 70000: expected 1 to 65535"),
        ([], 1, "earshot-analytics.duckdb: no analytics copy yet"),
    ],
)
def test_explore_refuses_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    status: int,
    message: str,
) -> None:
    monkeypatch.delenv("EARSHOT_EXPLORE_TOKEN", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    code = entry_point(["explore", "--config", str(_config(tmp_path)), "--no-browser", *args])
    err = capsys.readouterr().err
    assert code == status
    assert message in err and len(err.strip().splitlines()) == 1
