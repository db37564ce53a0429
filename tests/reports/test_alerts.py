"""The alert flow's engine against a real local webhook receiver and the loopback SMTP server."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from earshot.reports.alerts import AlertRules, run_alerts
from earshot.reports.delivery import SmtpSettings
from earshot.warehouse import open_warehouse
from earshot.warehouse.sources import SourceRow, sync_sources
from earshot.warehouse.taxonomy import sync_taxonomy
from tests.reports.history import W47_MONDAY, History
from tests.reports.support import SmtpServer

NOW = W47_MONDAY + timedelta(hours=12)
RULES = AlertRules(window_hours=24, baseline_windows=28, cooldown=timedelta(hours=6))


class Receiver:
    """An incoming-webhook stand-in: records JSON bodies, answers `status`."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def spiky(tmp_path: Path) -> Iterator[History]:
    """'service': one post a day for 28 days, then 10 in the last 12 h, 8 of them negative.
    'price': one a day throughout (steady). 'climate': 2 in the last 12 h, none before (few)."""
    con = open_warehouse(tmp_path / "alerts.duckdb")
    sync_sources(con, [SourceRow("blog", "feed", "https://blog.example.org/feed", False)])
    sync_taxonomy(
        con,
        [("service", "Kundenservice", None), ("price", "Preise", None), ("climate", "Klima", None)],
        [],
        timezone="Europe/Berlin",
    )
    h = History(con)
    for day in range(1, 29):
        h.add(f"s-{day}", 0, topics=("service",), hour=-24 * day)
        h.add(f"p-{day}", 0, topics=("price",), hour=-24 * day + 1)
    for i in range(10):
        h.add(
            f"spike-{i}",
            0,
            topics=("service",),
            label="negative" if i < 8 else "neutral",
            hour=1 + i % 10,
        )
    h.add("p-now", 0, topics=("price",), hour=2)
    h.add("c-1", 0, topics=("climate",), hour=3)
    h.add("c-2", 0, topics=("climate",), hour=4)
    h.store()
    yield h
    con.close()


def smtp_for(server: SmtpServer) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", server.port, "none", None, None, "earshot@example.org", 5)


def test_one_spike_is_one_alert_per_channel_until_the_cooldown_passes(
    spiky: History, receiver: Receiver, smtp_server: SmtpServer
) -> None:
    with httpx.Client(timeout=5) as client:

        def run(now: Any) -> Any:
            return run_alerts(
                spiky.con,
                now,
                rules=RULES,
                organisation="Stadtwerke",
                language="en",
                client=client,
                webhook_urls=[receiver.url],
                smtp=smtp_for(smtp_server),
                recipients=["lead@example.org"],
            )

        first = run(NOW)
        assert sorted((s.topic_id, s.kind) for s in first.spikes) == [
            ("service", "negative"),
            ("service", "volume"),
        ]
        assert first.errors == {}
        assert len(receiver.bodies) == 1 and len(smtp_server.recorder.messages) == 1
        text = receiver.bodies[0]["text"]
        assert "Kundenservice" in text and "Preise" not in text and "Klima" not in text
        assert "10 posts in the last 24 h" in text
        mail = email.message_from_bytes(
            smtp_server.recorder.messages[0].content, policy=email.policy.default
        )
        assert "Kundenservice" in str(mail["Subject"])

        again = run(NOW + timedelta(minutes=15))  # the next scheduled run: still the same spike
        assert len(again.spikes) == 2 and again.announced == [] and len(again.suppressed) == 2
        assert len(receiver.bodies) == 1 and len(smtp_server.recorder.messages) == 1

        later = run(NOW + timedelta(hours=6, minutes=15))  # cooldown over, spike still there
        assert len(later.announced) == 2
        assert len(receiver.bodies) == 2
    logged = spiky.con.execute(
        "SELECT count(*), list(DISTINCT channels[1]) FROM _alerts"
    ).fetchone()
    assert logged is not None and logged[0] == 4


def test_a_failing_webhook_is_retried_on_the_next_run(spiky: History, receiver: Receiver) -> None:
    receiver.status = 500
    with httpx.Client(timeout=5) as client:
        failed = run_alerts(
            spiky.con,
            NOW,
            rules=RULES,
            organisation="X",
            language="de",
            client=client,
            webhook_urls=[receiver.url],
        )
        assert failed.announced == []
        assert "HTTP 500" in failed.errors["webhook0"]
        assert "secret-token" not in failed.errors["webhook0"]  # the URL path is a secret
        receiver.status = 204
        retried = run_alerts(
            spiky.con,
            NOW + timedelta(minutes=15),
            rules=RULES,
            organisation="X",
            language="de",
            client=client,
            webhook_urls=[receiver.url],
        )
    assert len(retried.announced) == 2 and len(receiver.bodies) == 2
    assert (
        "Kundenservice" in receiver.bodies[1]["text"] and "Beiträge" in receiver.bodies[1]["text"]
    )


def test_no_alert_on_a_quiet_warehouse(spiky: History) -> None:
    quiet = run_alerts(
        spiky.con, NOW + timedelta(days=3), rules=RULES, organisation="X", language="en"
    )
    assert quiet.spikes == []
