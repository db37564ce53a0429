"""Spike alerts: a topic's volume or negativity jumps against its baseline -> one notification.

Detection is `warehouse.spikes.topic_spikes` (the same tests as the digest's "what moved",
on short windows). Notification goes to incoming webhooks (Slack and Teams both accept a JSON
body with a `text` field) and by mail. The cooldown holds per (topic, kind): a spike that is
still running is not announced again until the cooldown has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import duckdb
import httpx

from earshot.reports.delivery import SmtpSettings, deliver
from earshot.reports.errors import AlertError, DeliveryError
from earshot.reports.i18n import format_decimal, format_percent, strings
from earshot.warehouse.alerts import recently_alerted, record_alert
from earshot.warehouse.spikes import Spike, topic_spikes


@dataclass(frozen=True, slots=True)
class AlertRules:
    window_hours: int = 24
    baseline_windows: int = 28
    min_posts: int = 5
    min_z: float = 3.0
    cooldown: timedelta = timedelta(hours=24)


@dataclass
class AlertOutcome:
    spikes: list[Spike] = field(default_factory=list)  # everything detected
    announced: list[Spike] = field(default_factory=list)  # sent (not in cooldown)
    suppressed: list[Spike] = field(default_factory=list)  # held back by the cooldown
    errors: dict[str, str] = field(default_factory=dict)  # channel -> error


def alert_lines(spikes: Sequence[Spike], language: str, window_hours: int) -> list[str]:
    s = strings(language)
    lines = []
    for spike in spikes:
        z = format_decimal(spike.z, language, signed=True)
        if spike.kind == "volume":
            lines.append(
                s["alert_volume"].format(
                    topic=spike.label,
                    posts=spike.posts,
                    hours=window_hours,
                    baseline=format_decimal(spike.baseline, language),
                    z=z,
                )
            )
        else:
            lines.append(
                s["alert_negative"].format(
                    topic=spike.label,
                    value=format_percent(spike.value, language),
                    hours=window_hours,
                    baseline=format_percent(spike.baseline, language),
                    z=z,
                )
            )
    return lines


def alert_subject(spikes: Sequence[Spike], organisation: str, language: str) -> str:
    topics = ", ".join(dict.fromkeys(s.label for s in spikes))
    return strings(language)["alert_subject"].format(
        topics=" ".join(topics.split()), organisation=" ".join(organisation.split())
    )


def webhook_payload(
    spikes: Sequence[Spike], *, organisation: str, language: str, window_hours: int
) -> dict[str, Any]:
    """A JSON body Slack and Teams incoming webhooks both accept (`text`), plus the data."""
    lines = alert_lines(spikes, language, window_hours)
    return {
        "text": alert_subject(spikes, organisation, language) + "\n" + "\n".join(lines),
        "earshot": [
            {"topic": s.topic_id, "kind": s.kind, "posts": s.posts, "value": s.value, "z": s.z}
            for s in spikes
        ],
    }


def post_webhook(client: httpx.Client, url: str, payload: dict[str, Any]) -> None:
    """POST the payload; AlertError (naming the host, never the secret path) on failure."""
    host = httpx.URL(url).host
    try:
        response = client.post(url, json=payload)
    except httpx.HTTPError as exc:
        raise AlertError(f"webhook at {host}: {type(exc).__name__}") from exc
    if response.status_code >= 300:
        raise AlertError(f"webhook at {host} answered HTTP {response.status_code}")


def alert_message(
    spikes: Sequence[Spike],
    *,
    organisation: str,
    language: str,
    window_hours: int,
    sender: str,
    recipients: Sequence[str],
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = alert_subject(spikes, organisation, language)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring="earshot.alert", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(alert_lines(spikes, language, window_hours)) + "\n")
    return message


def run_alerts(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    *,
    rules: AlertRules,
    organisation: str,
    language: str,
    client: httpx.Client | None = None,
    webhook_urls: Sequence[str] = (),
    smtp: SmtpSettings | None = None,
    recipients: Sequence[str] = (),
) -> AlertOutcome:
    """Detect spikes, announce those outside the cooldown, and log what was announced.

    A spike is logged (and so enters its cooldown) when at least one channel took it, or when
    no channel is configured; when every channel failed it is not, so the next run retries.
    """
    outcome = AlertOutcome()
    outcome.spikes = topic_spikes(
        con,
        now,
        window_hours=rules.window_hours,
        baseline_windows=rules.baseline_windows,
        min_posts=rules.min_posts,
        min_z=rules.min_z,
    )
    held = recently_alerted(con, now, rules.cooldown)
    fresh = [s for s in outcome.spikes if (s.topic_id, s.kind) not in held]
    outcome.suppressed = [s for s in outcome.spikes if (s.topic_id, s.kind) in held]
    if not fresh:
        return outcome
    delivered: list[str] = []
    for i, url in enumerate(webhook_urls):
        if client is None:
            raise ValueError("webhook URLs given without an HTTP client")
        payload = webhook_payload(
            fresh, organisation=organisation, language=language, window_hours=rules.window_hours
        )
        try:
            post_webhook(client, url, payload)
            delivered.append(f"webhook{i}")
        except AlertError as exc:
            outcome.errors[f"webhook{i}"] = str(exc)
    if smtp is not None and recipients:
        message = alert_message(
            fresh,
            organisation=organisation,
            language=language,
            window_hours=rules.window_hours,
            sender=smtp.sender,
            recipients=recipients,
        )
        try:
            deliver(message, smtp, recipients)
            delivered.append("email")
        except DeliveryError as exc:
            outcome.errors["email"] = str(exc)
    configured = bool(webhook_urls) or (smtp is not None and bool(recipients))
    if delivered or not configured:
        for spike in fresh:
            record_alert(
                con,
                topic_id=spike.topic_id,
                kind=spike.kind,
                fired_at=now,
                posts=spike.posts,
                baseline=spike.baseline,
                z=spike.z,
                channels=delivered,
                details={"value": spike.value, "errors": outcome.errors},
            )
        outcome.announced = fresh
    return outcome  # channel errors are in `outcome.errors`: the caller says them, once
