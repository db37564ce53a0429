"""`earshot stream` as a real process against a local Jetstream: SIGKILLed mid-way, restarted,
stopped with SIGTERM; the stored posts are exactly the matching events, once each."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from earshot.listeners.records import make_post_id
from earshot.pipelines.config import load_config
from earshot.pipelines.jobs import due_sources, warehouse
from earshot.warehouse.connection import writing
from tests.listeners.jetstream_server import JetstreamServer, synthetic_events

ROOT = Path(__file__).resolve().parents[2]
TOPIC_TEXT = "Our customer service never answers"


def _config(tmp_path: Path, url: str, *, batch_seconds: float) -> Path:
    config = {
        "organisation": "Test",
        "warehouse": {"path": str(tmp_path / "wh.duckdb"), "lock_timeout_seconds": 20},
        "sources": [
            {
                "id": "firehose",
                "kind": "bluesky",
                "stream": True,
                "stream_url": url,
                "batch_seconds": batch_seconds,
            },
            {"id": "blog", "kind": "feed", "url": "http://127.0.0.1:9/feed.xml"},
        ],
        "topics": [{"id": "service", "label": "Service", "terms": {"en": ["customer service"]}}],
    }
    path = tmp_path / "listening.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONFAULTHANDLER": "1"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "earshot.pipelines.cli", "stream", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stored(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    with writing(db, lock_timeout_seconds=20) as con:
        try:
            rows = con.execute("SELECT post_id, external_id FROM _posts").fetchall()
        except Exception:  # not migrated yet
            return []
    return [(r[0], r[1]) for r in rows]


def _saved_state(db: Path) -> dict[str, object]:
    with writing(db, lock_timeout_seconds=20) as con:
        row = con.execute("SELECT state FROM _sources WHERE source_id = 'firehose'").fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def _until(check: Callable[[], bool], what: str, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; log:\n{log.read_text()}")
        time.sleep(0.2)


def test_stream_survives_sigkill_with_nothing_missed_or_doubled(tmp_path: Path) -> None:
    # 800 events 20 ms apart in stream time (16 s), one post in ten names the topic
    events = synthetic_events(800, share=0.1, topic_text=TOPIC_TEXT, step_us=20_000)
    expected = {
        make_post_id("bluesky", f"at://{e['did']}/app.bsky.feed.post/{e['commit']['rkey']}")
        for e in map(json.loads, events)
        if TOPIC_TEXT in str(e["commit"]["record"].get("text", ""))
    }
    assert len(expected) == 80
    post_times = [
        e["time_us"] for e in map(json.loads, events) if e["commit"]["collection"].endswith("post")
    ]
    db, log = tmp_path / "wh.duckdb", tmp_path / "stream.log"
    with JetstreamServer(events, pace_seconds=0.002) as server:
        server.hold_after = 300  # of 480 post events: the kill comes mid-way, whatever the load
        config = _config(tmp_path, server.url, batch_seconds=0.3)
        first = _start(config, log)
        try:
            _until(lambda: len(_stored(db)) >= 10, "a first stored batch", log)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        finally:
            first.kill()
        at_kill = {pid for pid, _ in _stored(db)}
        cursor = _saved_state(db)["cursor"]
        assert at_kill and at_kill < expected
        assert isinstance(cursor, int)

        # The restart resumes from the saved cursor, rewound 5 s; a long batch interval: the
        # rest is stored only by the final batch SIGTERM asks for.
        config = _config(tmp_path, server.url, batch_seconds=600)
        server.release.set()
        second = _start(config, log)
        try:
            _until(lambda: len(server.paths) >= 2, "the second connection", log)
            rest = sum(1 for t in post_times if t >= cursor - 5_000_000)
            try:
                _until(
                    lambda: server.sent_per_connection[-1] >= rest,
                    f"the rest of the stream ({rest} events; sent {server.sent_per_connection})",
                    log,
                    timeout=20,
                )
            except AssertionError:
                second.send_signal(signal.SIGABRT)
                second.wait()
                raise AssertionError(log.read_text()[-6000:]) from None
            assert {pid for pid, _ in _stored(db)} == at_kill  # nothing new before the stop
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0, log.read_text()
        finally:
            second.kill()
        assert f"cursor={cursor - 5_000_000}" in server.paths[-1]
    stored = _stored(db)
    assert len(stored) == len({pid for pid, _ in stored})  # once each
    assert {pid for pid, _ in stored} == expected  # nothing missed, nothing else
    assert _saved_state(db)["cursor"] == json.loads(events[-1])["time_us"]
    assert "stream firehose: " in log.read_text()


def test_collect_leaves_stream_sources_to_earshot_stream(tmp_path: Path) -> None:
    loaded = load_config(_config(tmp_path, "ws://127.0.0.1:9/subscribe", batch_seconds=10))
    with warehouse(loaded) as con:
        due = due_sources(con, loaded, __import__("datetime").datetime.now().astimezone())
    assert [d.spec.source_id for d in due] == ["blog"]


def test_stream_command_refuses_a_source_that_is_not_a_stream(tmp_path: Path) -> None:
    config = _config(tmp_path, "ws://127.0.0.1:9/subscribe", batch_seconds=10)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "earshot.pipelines.cli",
            "stream",
            "-c",
            str(config),
            "--source",
            "blog",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert done.returncode == 2
    assert "--source 'blog' is not a stream source" in done.stderr
    assert "prefect" not in done.stderr.lower()


@pytest.mark.parametrize("kind", ["stream with actor"])
def test_stream_config_errors_name_the_key(tmp_path: Path, kind: str) -> None:
    from earshot.pipelines.config import ConfigError

    path = tmp_path / "bad.yaml"
    path.write_text(
        "organisation: T\nsources:\n  - {id: s, kind: bluesky, stream: true, actor: bsky.app}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"bad\.yaml: sources\[0\]: a stream .* drop `actor`"):
        load_config(path)


@pytest.mark.usefixtures("prefect_harness")
def test_the_stream_flow_ends_at_once_without_a_stream_source(tmp_path: Path) -> None:
    from earshot.pipelines import flows

    config = tmp_path / "listening.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "organisation": "Test",
                "warehouse": {"path": str(tmp_path / "wh.duckdb")},
                "sources": [{"id": "blog", "kind": "feed", "url": "http://127.0.0.1:9/f.xml"}],
            }
        ),
        encoding="utf-8",
    )
    assert flows.stream(str(config)) == {}


def test_collect_refuses_a_stream_source(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from earshot.pipelines.cli import app

    config = _config(tmp_path, "ws://127.0.0.1:9/subscribe", batch_seconds=10)
    result = CliRunner(env={"COLUMNS": "300"}).invoke(
        app, ["collect", "--config", str(config), "--source", "firehose"]
    )
    assert result.exit_code == 2
    assert "'firehose' is a stream source: `earshot stream --source firehose`" in result.output
