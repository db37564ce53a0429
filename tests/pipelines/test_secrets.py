"""Secrets never leak: planted credentials are sent where they belong and nowhere else.

Unique values for the SMTP password, a Bluesky app password, a Reddit client secret and a
Mastodon token go into environment variables. Real flows then run against local servers that
refuse them and echo them back in their error bodies (as careless APIs do): collect (401,
429, 500), and a digest sent with SMTP auth, first to a server that refuses the mail, then to
one that takes it. Afterwards every place a secret could land is searched: log records, Prefect's
stored logs, stderr/stdout, every text column of every warehouse table, every file in the
outbox and data folders, and the failures' messages.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from earshot.pipelines import flows, tasks
from tests.listeners.feedserver import FeedServer, Reply, Request
from tests.reports.support import Recorder, free_port

pytestmark = [
    pytest.mark.usefixtures("prefect_harness"),
    # aiosmtpd warns, rightly, about AUTH over plain TCP; this test server is on loopback.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

WEEK = "2026-W47"
SMTP_USER = "earshot-mailer"


def planted() -> dict[str, str]:
    tag = uuid.uuid4().hex
    return {
        "EARSHOT_TEST_SMTP_PASSWORD": f"smtp-pw-{tag}",
        "EARSHOT_TEST_BSKY_HANDLE": "listener.example",
        "EARSHOT_TEST_BSKY_APP_PASSWORD": f"bsky-app-{tag}",
        "EARSHOT_TEST_REDDIT_ID": "reddit-client-id",
        "EARSHOT_TEST_REDDIT_SECRET": f"reddit-secret-{tag}",
        "EARSHOT_TEST_MASTODON_TOKEN": f"mastodon-token-{tag}",
        "EARSHOT_TEST_SMTP_USER": SMTP_USER,
    }


SECRET_NAMES = (
    "EARSHOT_TEST_SMTP_PASSWORD",
    "EARSHOT_TEST_BSKY_APP_PASSWORD",
    "EARSHOT_TEST_REDDIT_SECRET",
    "EARSHOT_TEST_MASTODON_TOKEN",
)


def echo(status: int, *, retry_after: str | None = None) -> Any:
    """An API answer that repeats the credentials it was sent in its error body."""

    def answer(request: Request) -> Reply:
        leaked = {"error": "invalid credentials", "you_sent": request.headers}
        leaked["body"] = request.body.decode(errors="replace")  # type: ignore[assignment]
        return Reply(
            json.dumps(leaked).encode(),
            status=status,
            content_type="application/json",
            retry_after=retry_after,
        )

    return answer


class Smtp:
    """A loopback SMTP server wanting a login with the planted password; `refuse` makes it
    refuse the message at DATA (451), as a full or broken relay does."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.refuse = True
        self.recorder = Recorder()
        self.logins: list[str] = []
        self.port = free_port()
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.check,
            auth_required=True,
            auth_require_tls=False,
            auth_exclude_mechanism=["LOGIN"],
        )

    def check(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            self.password.encode(),
        )
        if ok:
            self.logins.append(mechanism)
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return f"451 4.3.0 try later (you logged in with {self.password})"
        await asyncio.sleep(0)
        return await self.recorder.handle_DATA(server, session, envelope)


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    values = planted()
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    yield values


def write_config(tmp_path: Path, api: FeedServer, smtp_port: int) -> str:
    config = {
        "organisation": "Beispiel GmbH",
        "http": {"timeout_seconds": 5, "retries": 1, "backoff_seconds": 0.01},
        "sources": [
            {
                "id": "masto",
                "kind": "mastodon",
                "instance": api.base_url,
                "query": "kundenservice",
                "token_env": "EARSHOT_TEST_MASTODON_TOKEN",
            },
            {
                "id": "sky",
                "kind": "bluesky",
                "query": "kundenservice",
                "service": api.base_url,
                "handle_env": "EARSHOT_TEST_BSKY_HANDLE",
                "app_password_env": "EARSHOT_TEST_BSKY_APP_PASSWORD",
            },
            {
                "id": "red",
                "kind": "reddit",
                "query": "kundenservice",
                "client_id_env": "EARSHOT_TEST_REDDIT_ID",
                "client_secret_env": "EARSHOT_TEST_REDDIT_SECRET",
                "token_url": api.url("/api/v1/access_token"),
                "oauth_api_url": api.base_url,
            },
        ],
        "digest": {
            "language": "en",
            "outbox": "outbox",
            "recipients": ["lead@example.org"],
            "smtp": {
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "none",
                "sender": "earshot@example.org",
                "username_env": "EARSHOT_TEST_SMTP_USER",
                "password_env": "EARSHOT_TEST_SMTP_PASSWORD",
                "timeout_seconds": 5,
            },
        },
    }
    path = tmp_path / "listening.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def warehouse_text(path: Path) -> str:
    """Every VARCHAR/JSON value of every table and view column, as one string."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type IN ('VARCHAR', 'JSON') OR data_type LIKE '%[]' "
            "OR data_type LIKE 'STRUCT%' OR data_type LIKE 'MAP%'"
        ).fetchall()
        assert columns, "no text column found: the search would prove nothing"
        parts = []
        for schema, table, column in columns:
            rows = con.execute(
                f'SELECT CAST("{column}" AS VARCHAR) FROM "{schema}"."{table}"'
            ).fetchall()
            parts.extend(str(v) for (v,) in rows if v is not None)
        return "\n".join(parts)
    finally:
        con.close()


def files_text(*folders: Path) -> str:
    parts = []
    for folder in folders:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                data = file.read_bytes()
                parts.append(data.decode("utf-8", errors="replace"))
                parts.append(data.decode("latin-1"))
    return "\n".join(parts)


async def prefect_logs() -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import LogSort

    async with get_client() as client:  # this test's runs are the newest
        logs = await client.read_logs(limit=200, sort=LogSort.TIMESTAMP_DESC)
    assert any("source masto failed" in log.message for log in logs)
    return "\n".join(log.message for log in logs)


def test_planted_secrets_appear_nowhere(
    tmp_path: Path,
    secrets: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    # The send task's own retries wait 10 s and 60 s: the refusal is the point here.
    monkeypatch.setattr(tasks, "send", tasks.send.with_options(retries=0))
    smtp = Smtp(secrets["EARSHOT_TEST_SMTP_PASSWORD"])
    smtp.controller.start()
    failures: list[str] = []
    try:
        with FeedServer() as api:
            api.handle("/api/v2/search", echo(401))
            api.handle("/xrpc/com.atproto.server.createSession", echo(429, retry_after="7200"))
            api.handle("/api/v1/access_token", echo(500))
            config = write_config(tmp_path, api, smtp.port)

            collected = flows.collect(config)
            failures += collected.errors.values()
            assert collected.failed == 3, collected.errors

            # The secrets really went out, to the servers meant to get them.
            sent = json.dumps([r.headers | {"body": r.body.decode()} for r in api.api_requests])
            assert secrets["EARSHOT_TEST_MASTODON_TOKEN"] in sent
            assert secrets["EARSHOT_TEST_BSKY_APP_PASSWORD"] in sent
            basic = f"{secrets['EARSHOT_TEST_REDDIT_ID']}:{secrets['EARSHOT_TEST_REDDIT_SECRET']}"
            assert base64.b64encode(basic.encode()).decode() in sent

        # The digest: refused at DATA after a good login, then the next run delivers it.
        with pytest.raises(Exception) as refused:
            flows.digest(config, week=WEEK)
        failures += [str(refused.value), repr(refused.value)]
        failures += [str(c) for c in _causes(refused.value)]
        assert "451" in str(refused.value)
        failed_json = (tmp_path / "outbox" / WEEK / "failed.json").read_text(encoding="utf-8")
        assert "451" in failed_json  # the failure is recorded next to the waiting mail
        failures.append(failed_json)
        smtp.refuse = False
        delivered = flows.digest(config, week="2026-W48")
        assert delivered.sent and delivered.retried == {WEEK: "sent"}
        assert len(smtp.recorder.messages) == 2 and smtp.logins
    finally:
        smtp.controller.stop()

    out, err = capfd.readouterr()
    places = {
        "log records": "\n".join(
            f"{r.getMessage()} {r.exc_text or ''} {r.args!r}"
            for r in caplog.records
            if r.name != "mail.log"  # the test SMTP server's own log: the far side's
        ),
        "Prefect logs": asyncio.run(prefect_logs()),
        "stdout/stderr": out + err,
        "warehouse": warehouse_text(tmp_path / "data" / "earshot.duckdb"),
        "files (outbox, data)": files_text(tmp_path / "outbox", tmp_path / "data"),
        "exceptions and source errors": "\n".join(failures),
    }
    assert "401" in places["warehouse"] and "429" in places["warehouse"]  # errors were stored
    leaks = [
        f"{name} in {place}: {_around(text, secrets[name])}"
        for place, text in places.items()
        for name in SECRET_NAMES
        if secrets[name] in text
    ]
    assert leaks == []


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _around(text: str, secret: str) -> str:
    at = text.index(secret)
    return text[max(at - 150, 0) : at + len(secret) + 20]
