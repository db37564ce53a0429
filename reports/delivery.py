"""Getting the digest out: the outbox folder (always) and SMTP (when configured).

Outbox layout: `<outbox>/<week>/digest.html`, `digest.txt`, the chart PNGs, `digest.eml`, and
`sent.json` once the mail went out; `<outbox>/index.html` lists every week, newest first. A week
with `sent.json` is never sent again; a failed send leaves `failed.json` instead, and
`retry_failed` sends such weeks (their saved `digest.eml`) on the next run.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Literal

from earshot.reports.charts import Chart
from earshot.reports.digest import Digest
from earshot.reports.errors import DeliveryError
from earshot.reports.render import content_id, render_index, subject
from earshot.warehouse.weeks import parse_week

log = logging.getLogger(__name__)

SENT_MARKER = "sent.json"
FAILED_MARKER = "failed.json"
PREVIEW_SENDER = "earshot@localhost"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Literal["starttls", "ssl", "none"]
    username: str | None
    password: str | None = field(repr=False)  # kept out of reprs, logs and error messages
    sender: str
    timeout_seconds: float = 30


def build_message(
    digest: Digest,
    html: str,
    text: str,
    *,
    sender: str,
    recipients: Sequence[str],
    charts: Sequence[Chart] = (),
) -> EmailMessage:
    """The digest mail: multipart/alternative, plain text first, then HTML.

    With `charts`, the HTML part becomes multipart/related with each chart as an inline PNG
    whose Content-ID is `content_id(chart)` (render the HTML with `cid=True`).
    """
    recipients = _recipient_list(recipients)
    message = EmailMessage()
    message["Subject"] = subject(digest)
    message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rpartition("@")[2] or "localhost"
    # An explicit domain: make_msgid's default asks DNS for this host's FQDN, which can hang.
    message["Message-ID"] = make_msgid(idstring=f"earshot.{digest.week}", domain=domain)
    message["Content-Language"] = digest.language
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    if charts:
        html_part = next(p for p in message.iter_parts() if p.get_content_type() == "text/html")
        for chart in charts:
            html_part.add_related(
                chart.png,
                maintype="image",
                subtype="png",
                cid=f"<{content_id(chart)}>",
                filename=chart.name,
                disposition="inline",
            )
    return message


def write_outbox(
    outbox: Path,
    digest: Digest,
    html: str,
    text: str,
    *,
    charts: Sequence[Chart] = (),
    mail_html: str | None = None,
) -> Path:
    """Write the week's digest files (each atomically) and refresh the index; return the folder.

    `html` is the file version (charts as the PNG files written beside it), `mail_html` the
    mail version (charts by Content-ID; default `html`). Also writes `digest.eml`, a preview
    mail without recipients, unless the week was already sent or its send failed: then the
    `.eml` stays the message that went out (or is to be retried).
    """
    parse_week(digest.week)  # the folder name comes from it: nothing but 'YYYY-Www'
    folder = Path(outbox) / digest.week
    folder.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        _atomic_write(folder / Path(chart.name).name, chart.png)
    _atomic_write(folder / "digest.html", html.encode("utf-8"))
    _atomic_write(folder / "digest.txt", text.encode("utf-8"))
    if not (folder / SENT_MARKER).exists() and not (folder / FAILED_MARKER).exists():
        preview = build_message(
            digest,
            mail_html if mail_html is not None else html,
            text,
            sender=PREVIEW_SENDER,
            recipients=(),
            charts=charts,
        )
        save_message(folder, preview)
    _write_index(Path(outbox), digest)
    return folder


def save_message(folder: Path, message: EmailMessage) -> Path:
    """Store the message as `digest.eml` in the week's folder (atomically)."""
    path = Path(folder) / "digest.eml"
    _atomic_write(path, message.as_bytes())
    return path


def deliver(message: EmailMessage, settings: SmtpSettings, recipients: Sequence[str]) -> None:
    """Hand the message to the SMTP server; DeliveryError (naming host:port) when that fails."""
    _send(message, settings, recipients)


def send_digest(
    outbox_folder: Path, message: EmailMessage, settings: SmtpSettings, recipients: Sequence[str]
) -> bool:
    """Send the week's digest once: False when `sent.json` says it already went out.

    The message is saved as `digest.eml` first; `sent.json` is written only after the server
    accepted the mail, so a failure (DeliveryError) leaves the week to be retried.
    """
    folder = Path(outbox_folder)
    marker = folder / SENT_MARKER
    if marker.exists():
        log.info("digest in %s was already sent; not sending it again", folder)
        return False
    folder.mkdir(parents=True, exist_ok=True)
    save_message(folder, message)
    try:
        refused = _send(message, settings, recipients)
    except DeliveryError as exc:
        failure = {"failed_at": datetime.now(UTC).isoformat(), "error": str(exc)}
        _atomic_write(folder / FAILED_MARKER, json.dumps(failure, indent=2).encode("utf-8"))
        raise
    record = {
        "sent_at": datetime.now(UTC).isoformat(),
        "recipients": _recipient_list(recipients),
        "refused": {
            addr: [code, reply.decode(errors="replace")] for addr, (code, reply) in refused.items()
        },
        "message_id": message["Message-ID"],
        "server": f"{settings.host}:{settings.port}",
    }
    _atomic_write(marker, json.dumps(record, indent=2).encode("utf-8"))
    (folder / FAILED_MARKER).unlink(missing_ok=True)
    return True


def pending_weeks(outbox: Path) -> list[str]:
    """Weeks whose send failed (`failed.json`, no `sent.json`), oldest first."""
    found: list[tuple[tuple[int, int], str]] = []
    root = Path(outbox)
    if not root.is_dir():
        return []
    for child in root.iterdir():
        if (child / FAILED_MARKER).exists() and not (child / SENT_MARKER).exists():
            try:
                found.append((parse_week(child.name), child.name))
            except ValueError:
                continue
    return [week for _, week in sorted(found)]


def retry_failed(
    outbox: Path, settings: SmtpSettings, recipients: Sequence[str], *, skip: Sequence[str] = ()
) -> dict[str, str]:
    """Send again every week whose earlier send failed, from its saved `digest.eml`.

    Returns week -> 'sent' or the error; a week failing again keeps `failed.json` (updated)
    and does not stop the others. `skip` names weeks the caller sends itself.
    """
    outcome: dict[str, str] = {}
    for week in pending_weeks(outbox):
        if week in skip:
            continue
        folder = Path(outbox) / week
        message = email.message_from_bytes(
            (folder / "digest.eml").read_bytes(), policy=email.policy.default
        )
        if not isinstance(message, EmailMessage):  # policy.default always makes one
            raise TypeError(f"{folder / 'digest.eml'}: not an e-mail message")
        try:
            send_digest(folder, message, settings, recipients)
            outcome[week] = "sent"
        except DeliveryError as exc:
            log.warning("retrying the digest of %s failed: %s", week, exc)
            outcome[week] = str(exc)
    return outcome


# --- internals ------------------------------------------------------------------------------


def _recipient_list(recipients: Sequence[str]) -> list[str]:
    if isinstance(recipients, str):  # a lone address would otherwise become its letters
        return [recipients]
    return [r.strip() for r in recipients if r.strip()]


def _send(
    message: EmailMessage, settings: SmtpSettings, recipients: Sequence[str]
) -> dict[str, tuple[int, bytes]]:
    """Send; return the recipients the server refused (when it accepted at least one)."""
    rcpts = _recipient_list(recipients)
    if not rcpts:
        raise DeliveryError(settings.host, settings.port, "no recipients")
    # The error is raised outside the `except` blocks, with no cause or context attached:
    # smtplib's exceptions may quote a server reply that echoes the password (tracebacks in
    # logs print every chained exception), and `_describe` already names the failure.
    failure: str | None = None
    try:
        smtp = _connect(settings)
    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
        failure = _describe(exc, settings)
    if failure is not None:
        raise DeliveryError(settings.host, settings.port, failure)
    refused: dict[str, tuple[int, bytes]] = {}
    try:
        try:
            if settings.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(message, from_addr=settings.sender, to_addrs=rcpts)
        except (smtplib.SMTPException, OSError) as exc:
            failure = _describe(exc, settings)
    finally:
        _close(smtp)
    if failure is not None:
        raise DeliveryError(settings.host, settings.port, failure)
    refused = {
        addr: (code, _scrub(reply.decode(errors="replace"), settings).encode())
        for addr, (code, reply) in refused.items()
    }
    if refused:
        log.warning("%s:%s refused some recipients: %s", settings.host, settings.port, refused)
    return refused


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout_seconds,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)


def _close(smtp: smtplib.SMTP) -> None:
    # After a successful send a failing QUIT changes nothing: the server has the mail.
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _describe(exc: BaseException, settings: SmtpSettings) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "all recipients refused: " + ", ".join(sorted(exc.recipients))
    elif isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        detail = f"server answered {exc.smtp_code} {text}"
    else:
        detail = str(exc) or "no detail"
    return _scrub(f"{type(exc).__name__}: {detail}", settings)


def _scrub(text: str, settings: SmtpSettings) -> str:
    """`text` with the SMTP password masked (a server reply may quote it back)."""
    return text.replace(settings.password, "***") if settings.password else text


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_index(outbox: Path, digest: Digest) -> None:
    """Rewrite `<outbox>/index.html` from the week folders present, newest first."""
    weeks: list[tuple[tuple[int, int], str]] = []
    for child in outbox.iterdir():
        if child.is_dir() and (child / "digest.html").exists():
            try:
                weeks.append((parse_week(child.name), child.name))
            except ValueError:  # not a week folder
                continue
    weeks.sort(reverse=True)
    html = render_index(
        [week for _, week in weeks], organisation=digest.organisation, language=digest.language
    )
    _atomic_write(outbox / "index.html", html.encode("utf-8"))
