from __future__ import annotations

import email
import email.policy
import json
import pickle
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from earshot.reports.delivery import SmtpSettings, build_message, deliver, send_digest, write_outbox
from earshot.reports.digest import Digest, build_digest
from earshot.reports.errors import DeliveryError
from earshot.reports.render import render_html, render_text
from tests.reports.support import (
    NOW,
    PASSWORD,
    USERNAME,
    WEEK,
    Fixture,
    Recorder,
    SmtpServer,
    free_port,
)

AUTH_WITHOUT_TLS = pytest.mark.filterwarnings(
    "ignore:Requiring AUTH while not requiring TLS:UserWarning"
)

RECIPIENTS = ["lead@example.org", "team@example.org"]


def digest_of(fx: Fixture, language: str = "en", week: str = WEEK) -> Digest:
    return build_digest(
        fx.con,
        week=week,
        organisation="Stadtwerke",
        timezone="Europe/Berlin",
        language=language,
        now=NOW,
    )


def message_of(d: Digest, recipients: list[str] = RECIPIENTS) -> EmailMessage:
    return build_message(
        d, render_html(d), render_text(d), sender="earshot@example.org", recipients=recipients
    )


def settings_for(port: int, **kw: object) -> SmtpSettings:
    fields: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "username": None,
        "password": None,
        "sender": "earshot@example.org",
        "timeout_seconds": 5,
    }
    fields.update(kw)
    return SmtpSettings(**fields)  # type: ignore[arg-type]


def test_message_is_text_then_html(warehouse: Fixture) -> None:
    d = digest_of(warehouse, "de")
    msg = message_of(d)
    assert msg["Subject"] == "Earshot-Wochenbericht KW 47/2026: eine ruhige Woche — Stadtwerke"
    assert msg["To"] == "lead@example.org, team@example.org"
    assert msg["Message-ID"].endswith("@example.org>")
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content() == render_text(d)
    assert parts[1].get_content() == render_html(d)


def test_deliver_over_real_smtp(warehouse: Fixture, smtp_server: SmtpServer) -> None:
    d = digest_of(warehouse)
    deliver(message_of(d), settings_for(smtp_server.port), RECIPIENTS)
    [got] = smtp_server.recorder.messages
    assert got.mail_from == "earshot@example.org"
    assert got.rcpt_tos == RECIPIENTS
    received = email.message_from_bytes(got.content, policy=email.policy.default)
    assert received["Subject"] == "Earshot digest 2026-W47: a quiet week — Stadtwerke"
    assert received.get_content_type() == "multipart/alternative"
    plain, html = received.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert "Kundenservice" in plain.get_content() and "Topics by volume" in html.get_content()


def test_a_week_is_sent_once(warehouse: Fixture, smtp_server: SmtpServer, tmp_path: Path) -> None:
    d = digest_of(warehouse)
    html, text = render_html(d), render_text(d)
    folder = write_outbox(tmp_path / "outbox", d, html, text)
    settings = settings_for(smtp_server.port)
    msg = message_of(d)
    assert send_digest(folder, msg, settings, RECIPIENTS) is True
    assert send_digest(folder, message_of(d), settings, RECIPIENTS) is False
    assert len(smtp_server.recorder.messages) == 1
    sent = json.loads((folder / "sent.json").read_text())
    assert sent["recipients"] == RECIPIENTS
    assert sent["message_id"] == msg["Message-ID"]
    assert sent["sent_at"].startswith("20")
    # the .eml is the message that went out
    assert (folder / "digest.eml").read_bytes() == msg.as_bytes()


def test_failed_send_is_retried_by_the_next_run(warehouse: Fixture, tmp_path: Path) -> None:
    d = digest_of(warehouse)
    folder = write_outbox(tmp_path / "outbox", d, render_html(d), render_text(d))
    server = SmtpServer("127.0.0.1", free_port(), Recorder())
    settings = settings_for(server.port)
    with pytest.raises(DeliveryError, match=rf"127\.0\.0\.1:{server.port}") as info:
        send_digest(folder, message_of(d), settings, RECIPIENTS)
    assert "refused" in str(info.value).lower()  # the cause: nothing listens there
    assert not (folder / "sent.json").exists()
    assert (folder / "digest.eml").exists()  # the mail waits in the outbox
    server.start()
    try:
        assert send_digest(folder, message_of(d), settings, RECIPIENTS) is True
    finally:
        server.stop()
    assert len(server.recorder.messages) == 1
    assert (folder / "sent.json").exists()


def test_starttls_required_but_not_offered_fails_clearly(
    warehouse: Fixture, smtp_server: SmtpServer
) -> None:
    settings = settings_for(smtp_server.port, security="starttls")
    with pytest.raises(DeliveryError, match="STARTTLS") as info:
        deliver(message_of(digest_of(warehouse)), settings, RECIPIENTS)
    assert f"127.0.0.1:{smtp_server.port}" in str(info.value)
    assert smtp_server.recorder.messages == []


def test_password_never_appears_in_errors(warehouse: Fixture, smtp_server: SmtpServer) -> None:
    password = "hunter2-secret"
    settings = settings_for(smtp_server.port, username="earshot", password=password)
    assert password not in repr(settings)
    # The server offers no AUTH: login fails, and the error must not carry the password.
    with pytest.raises(DeliveryError) as info:
        deliver(message_of(digest_of(warehouse)), settings, RECIPIENTS)
    assert "AUTH" in str(info.value)
    assert password not in str(info.value) and password not in repr(info.value)
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)


def test_outbox_index_lists_weeks_newest_first(warehouse: Fixture, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    (outbox / "notes").mkdir(parents=True)  # not a week: ignored
    for week in ["2026-W47", "2026-W46", "2025-W52"]:  # not written in order
        d = digest_of(warehouse, week=week)
        folder = write_outbox(outbox, d, render_html(d), render_text(d))
        assert folder == outbox / week
        assert (folder / "digest.html").read_text() == render_html(d)
        assert (folder / "digest.txt").read_text() == render_text(d)
        assert (folder / "digest.eml").exists()
    index = (outbox / "index.html").read_text()
    hrefs = re.findall(r'<a href="([^"]+)"', index)
    assert hrefs == ["2026-W47/digest.html", "2026-W46/digest.html", "2025-W52/digest.html"]
    assert not list(outbox.rglob("*.tmp"))  # atomic writes leave no temporary files


def test_outbox_keeps_the_sent_message(
    warehouse: Fixture, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    d = digest_of(warehouse)
    folder = write_outbox(tmp_path / "outbox", d, render_html(d), render_text(d))
    msg = message_of(d)
    send_digest(folder, msg, settings_for(smtp_server.port), RECIPIENTS)
    write_outbox(tmp_path / "outbox", d, render_html(d), render_text(d))  # a rerun
    assert (folder / "digest.eml").read_bytes() == msg.as_bytes()


@AUTH_WITHOUT_TLS
def test_login_when_a_username_is_given(warehouse: Fixture, auth_smtp_server: SmtpServer) -> None:
    msg = message_of(digest_of(warehouse))
    anonymous = settings_for(auth_smtp_server.port)
    with pytest.raises(DeliveryError, match="530"):  # the server insists on AUTH
        deliver(msg, anonymous, RECIPIENTS)
    wrong = settings_for(auth_smtp_server.port, username=USERNAME, password="wrong-guess")
    with pytest.raises(DeliveryError, match="535") as info:
        deliver(msg, wrong, RECIPIENTS)
    assert "wrong-guess" not in str(info.value)
    assert auth_smtp_server.recorder.messages == []
    deliver(
        msg, settings_for(auth_smtp_server.port, username=USERNAME, password=PASSWORD), RECIPIENTS
    )
    assert len(auth_smtp_server.recorder.messages) == 1
