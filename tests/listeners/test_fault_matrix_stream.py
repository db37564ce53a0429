"""The fault matrix for the stream: what a Jetstream server can do to `earshot stream`.

Each case runs the real listener against a local WebSocket server that misbehaves on its
first connection(s) and then serves the stream. For every fault: a clear error is reported
for the source (naming the URL and what happened), the listener backs off and reconnects
from its cursor, and in the end the matching posts are stored exactly once. The last case
runs through the warehouse: the source's row shows the failure, then its recovery.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from earshot.listeners.bluesky.stream import JetstreamListener
from earshot.listeners.records import Post, SourceSpec
from earshot.pipelines.cli import app
from earshot.pipelines.config import load_config
from earshot.pipelines.stream import run_streams
from earshot.pipelines.streamlock import stream_holder
from earshot.warehouse.connection import writing
from tests.listeners.jetstream_server import Fault, JetstreamServer, synthetic_events

TOPIC = "the customer service desk"
EVENTS = synthetic_events(120, share=0.1, topic_text=TOPIC, step_us=100_000)
MATCHING = 12


@dataclass(frozen=True)
class StreamFault:
    faults: tuple[Fault, ...]  # what the first connections get
    error: str  # in every reported failure
    malformed: int = 0


FAULTS: dict[str, StreamFault] = {
    "server closes mid-stream": StreamFault(
        (Fault(close_after=20), Fault(close_after=15)),
        "the stream broke off (code 1011: going away (test))",
    ),
    "server sends garbage": StreamFault(
        (Fault(garbage=("{not json", "[]", '{"did":"did:plc:x"}'), close_after=5),),
        "the stream broke off",
        malformed=3,
    ),
    "handshake refused with 503": StreamFault(
        (Fault(status=503), Fault(status=503)),
        "HTTP 503 Service Unavailable on the WebSocket handshake",
    ),
}


class Recorder:
    def __init__(self) -> None:
        self.batches: list[tuple[list[Post], dict[str, Any]]] = []
        self.failures: list[str] = []

    def store(self, posts: Sequence[Post], state: dict[str, Any]) -> None:
        self.batches.append((list(posts), state))

    def stored_ids(self) -> list[str]:
        return [p.post_id for posts, _ in self.batches for p in posts]


def _run(listener: JetstreamListener, until: Callable[[], bool], timeout: float = 20) -> None:
    thread = threading.Thread(target=listener.run)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not until():
            assert time.monotonic() < deadline, f"timed out: {listener.stats}"
            time.sleep(0.05)
    finally:
        listener.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()


def _listener(
    url: str, recorder: Recorder, state: dict[str, Any] | None = None
) -> JetstreamListener:
    spec = SourceSpec("firehose", "bluesky", url, options={"stream_url": url})
    return JetstreamListener(
        spec,
        accept=lambda post: TOPIC in post.text,
        store=recorder.store,
        report_failure=recorder.failures.append,
        state=state or {},
        user_agent="Earshot-test/1",
        batch_seconds=0.2,
        backoff_seconds=0.05,
        max_backoff_seconds=0.4,
        open_timeout_seconds=2,
    )


@pytest.mark.parametrize("name", list(FAULTS))
def test_stream_fault(name: str, caplog: pytest.LogCaptureFixture) -> None:
    case = FAULTS[name]
    recorder = Recorder()
    caplog.set_level(logging.WARNING, logger="earshot.listeners.bluesky.stream")
    with JetstreamServer(EVENTS) as server:
        server.faults = list(case.faults)
        listener = _listener(server.url, recorder)
        _run(listener, lambda: len(set(recorder.stored_ids())) >= MATCHING and not server.faults)
        base = server.url
    ids = recorder.stored_ids()
    assert len(ids) == len(set(ids)) == MATCHING  # every matching post once, in all batches
    assert recorder.failures, "no failure was reported"
    for failure in recorder.failures:
        assert failure.startswith(f"{base}: {case.error}"), failure
        assert "; reconnecting in " in failure
    assert listener.stats.malformed == case.malformed
    malformed_lines = [r for r in caplog.records if "malformed event skipped" in r.getMessage()]
    assert len(malformed_lines) == case.malformed  # one line per bad event, naming it
    # after a failure the stream resumes from the cursor, rewound 5 s
    if case.faults[0].status is None:  # events came before the fault: a cursor to resume at
        assert any("cursor=" in p for p in server.paths[1:]), server.paths
    assert recorder.batches[-1][1]["cursor"] == max(
        int(e.split('"time_us":')[1].split(",")[0]) for e in EVENTS if '"app.bsky.feed.post"' in e
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refused_connection_backs_off_then_reconnects() -> None:
    port = _free_port()
    url = f"ws://127.0.0.1:{port}/subscribe"
    recorder = Recorder()
    listener = _listener(url, recorder)
    thread = threading.Thread(target=listener.run)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(recorder.failures) < 4:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        delays = [
            float(f.rsplit("reconnecting in ", 1)[1].removesuffix(" s")) for f in recorder.failures
        ]
        for n, delay in enumerate(delays[:4]):  # equal jitter: between half and all of 0.05·2ⁿ
            ceiling = min(0.4, 0.05 * 2**n)
            assert ceiling / 2 <= delay <= ceiling, delays
        assert all(
            f == f"{url}: connection refused; reconnecting in {d:.2f} s"
            for f, d in zip(recorder.failures, delays, strict=False)
        )
        with JetstreamServer(EVENTS, port=port):
            while len(set(recorder.stored_ids())) < MATCHING:
                assert time.monotonic() < deadline + 20, listener.stats
                time.sleep(0.05)
    finally:
        listener.stop()
        thread.join(timeout=10)
    assert len(recorder.stored_ids()) == MATCHING


def test_the_source_row_shows_the_failure_and_the_recovery(tmp_path: Path) -> None:
    port = _free_port()
    url = f"ws://127.0.0.1:{port}/subscribe"
    config = tmp_path / "listening.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "organisation": "Test",
                "warehouse": {"path": str(tmp_path / "wh.duckdb")},
                "sources": [
                    {
                        "id": "firehose",
                        "kind": "bluesky",
                        "stream": True,
                        "stream_url": url,
                        "batch_seconds": 0.2,
                    }
                ],
                "topics": [{"id": "desk", "label": "Desk", "terms": {"en": ["service desk"]}}],
            }
        ),
        encoding="utf-8",
    )
    loaded = load_config(config)
    db = tmp_path / "wh.duckdb"

    def row() -> tuple[Any, ...] | None:
        with writing(db, lock_timeout_seconds=10) as con:
            return con.execute(
                "SELECT last_status, last_error, failure_count, "
                "(SELECT count(*) FROM _posts) FROM _sources WHERE source_id = 'firehose'"
            ).fetchone()

    seen: dict[str, Any] = {}
    listeners: list[JetstreamListener] = []

    def drive(started: list[JetstreamListener]) -> None:
        listeners.extend(started)
        deadline = time.monotonic() + 30
        while started[0].stats.failures < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.3)  # the failure's own short write
        seen["failed"] = row()
        seen["holder"] = stream_holder(loaded.warehouse_path, "firehose")
        with JetstreamServer(EVENTS, port=port):
            while started[0].stats.batches < 1 or started[0].stats.matched < MATCHING:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            started[0].stop()

    outcomes = run_streams(loaded, handle_signals=False, started=drive)
    status, error, failures, _posts = seen["failed"]
    assert status == "failed" and failures >= 1
    assert error.startswith(f"{url}: connection refused; reconnecting in ")
    assert row() == ("ok", None, 0, MATCHING)
    assert outcomes[0].stats.matched == MATCHING
    assert (
        seen["holder"] == f"pid={os.getpid()}"
        and stream_holder(loaded.warehouse_path, "firehose") is None
    )
    shown = CliRunner(env={"COLUMNS": "300"}).invoke(app, ["sources", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    line = next(x for x in shown.output.splitlines() if "firehose" in x)
    assert "ok (stream at 2024-11-21 " in line and "s behind)" in line and "stopped" in line
