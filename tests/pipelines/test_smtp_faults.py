"""SMTP down or refusing, through the real digest flow: the week's mail stays in the outbox
and goes out with the next run, once; nothing is sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from earshot.pipelines import flows, tasks
from tests.reports.support import Recorder, free_port

pytestmark = pytest.mark.usefixtures("prefect_harness")

WEEK, NEXT_WEEK = "2026-W46", "2026-W47"


class Refusing(Recorder):
    """Accepts mail once `refuse_at` is None; else refuses at RCPT or DATA with `code`."""

    def __init__(self, refuse_at: str | None, code: str) -> None:
        super().__init__()
        self.refuse_at = refuse_at
        self.code = code

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse_at == "rcpt":
            return f"{self.code} mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_at == "data":
            return f"{self.code} message refused"
        return await super().handle_DATA(server, session, envelope)


def write_config(tmp_path: Path, port: int) -> str:
    config = {
        "organisation": "Beispiel GmbH",
        "digest": {
            "language": "en",
            "outbox": "outbox",
            "recipients": ["lead@example.org"],
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "sender": "earshot@example.org",
                "timeout_seconds": 5,
            },
        },
    }
    path = tmp_path / "listening.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


@pytest.fixture
def fast_send(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The send task retries after 10 s and 60 s; the failure itself is what is tested here.
    monkeypatch.setattr(tasks, "send", tasks.send.with_options(retries=0))
    yield


@pytest.mark.parametrize(
    ("fault", "refuse_at", "code", "expected"),
    [
        ("server down", None, "", "refused"),
        ("550 at RCPT", "rcpt", "550", "all recipients refused"),
        ("451 at RCPT", "rcpt", "451", "all recipients refused"),
        ("554 at DATA", "data", "554", "554"),
        ("452 at DATA", "data", "452", "452"),
    ],
)
@pytest.mark.usefixtures("fast_send")
def test_the_digest_waits_in_the_outbox_until_the_next_run(
    tmp_path: Path, fault: str, refuse_at: str | None, code: str, expected: str
) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    handler = Refusing(refuse_at, code)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    if fault != "server down":
        controller.start()
    try:
        with pytest.raises(Exception, match=f"127.0.0.1:{port}") as failed:
            flows.digest(config, week=WEEK)
        assert expected in str(failed.value).lower(), str(failed.value)
        folder = tmp_path / "outbox" / WEEK
        assert (folder / "digest.eml").exists() and (folder / "failed.json").exists()
        assert not (folder / "sent.json").exists()
        assert handler.messages == []

        handler.refuse_at = None  # the server is back, or accepts again
        if fault == "server down":
            controller.start()
        summary = flows.digest(config, week=NEXT_WEEK)
        assert summary.sent and summary.retried == {WEEK: "sent"}
        assert (folder / "sent.json").exists() and not (folder / "failed.json").exists()
        assert len(handler.messages) == 2  # the waiting week, then this one

        again = flows.digest(config, week="2026-W48")  # never twice
        assert again.retried == {} and len(handler.messages) == 3
    finally:
        if controller.loop.is_running():
            controller.stop()
