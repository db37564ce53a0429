"""Errors of the reports package.

ReportError           anything the reports package refuses or fails to do
 ├── DeliveryError    the digest could not be handed to the SMTP server (names host:port)
 └── AlertError       a spike alert could not be posted to a webhook
"""

from __future__ import annotations


class ReportError(Exception):
    """A reports problem, with what it concerns in the message."""


class DeliveryError(ReportError):
    """Sending the digest failed; the message names the server and the cause, never secrets."""

    def __init__(self, host: str, port: int, cause: str) -> None:
        self.host = host
        self.port = port
        self.cause = cause
        super().__init__(f"cannot deliver the digest via {host}:{port}: {cause}")

    def __reduce__(self) -> tuple[type[DeliveryError], tuple[str, int, str]]:
        # Pickle-safe (Prefect may serialise task exceptions): rebuild from the parts.
        return (DeliveryError, (self.host, self.port, self.cause))


class AlertError(ReportError):
    """A notification channel (webhook or mail) refused or failed an alert."""
