"""What a server's answer means: an HTTP status, a JSON API's error message, a Retry-After."""

from __future__ import annotations

import email.utils
import json
import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import httpx

from earshot.listeners.errors import HttpStatusError, RateLimited
from earshot.listeners.http_body import KIB


def _reason(status: int, response: httpx.Response) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return response.reason_phrase or "error"


# An API's error answer is small: the first bytes of a JSON error body are enough to name it.
_ERROR_BODY_BYTES = 4 * KIB
_ERROR_KEYS = ("error_message", "message", "error_description", "error", "errors")


def error_detail(response: httpx.Response) -> str | None:
    """What a JSON API says went wrong (`{"error_message": ...}`, `{"errors": [...]}`), if it
    says so in a small JSON body; None for anything else (HTML error pages say nothing useful)."""
    if "json" not in response.headers.get("content-type", "").lower():
        return None
    body = b""
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > _ERROR_BODY_BYTES:
                return None
        document = json.loads(body)
    except (httpx.HTTPError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    for key in _ERROR_KEYS:
        value = document.get(key)
        if isinstance(value, dict):  # Google APIs: {"error": {"message", "errors": [{reason}]}}
            value = _google_error(value)
        if isinstance(value, list):
            value = "; ".join(v for v in value if isinstance(v, str))
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:200]
    return None


def _google_error(error: dict[str, Any]) -> str | None:
    """'<message> (<reason>)' of a Google API error object; its message may hold markup."""
    message = error.get("message")
    if not isinstance(message, str):
        return None
    message = re.sub(r"<[^>]*>", "", message)
    details = error.get("errors")
    first = details[0] if isinstance(details, list) and details else None
    reason = first.get("reason") if isinstance(first, dict) else None
    return f"{message} ({reason})" if isinstance(reason, str) and reason else message


def status_error(
    url: str,
    response: httpx.Response,
    wait: float | None,
    *,
    retried: int,
    detail: str | None = None,
) -> HttpStatusError | RateLimited:
    status = response.status_code
    message = f"HTTP {status} {_reason(status, response)}"
    if detail:
        message += f": {detail}"
    if retried:
        message += f" (still after {retried} {'retry' if retried == 1 else 'retries'})"
    if status == 429:
        return RateLimited(url, message, retry_after=wait, status=status)
    return HttpStatusError(url, message, status=status)


def wait_too_long(
    url: str, response: httpx.Response, wait: float, *, longest: float
) -> RateLimited:
    """A 429/503 whose Retry-After is beyond `longest`, the wait we accept in one run."""
    status = response.status_code
    retry_at = datetime.now(UTC) + timedelta(seconds=wait)
    message = (
        f"HTTP {status} {_reason(status, response)}: the server asks us to wait "
        f"{_human_seconds(wait)}, longer than the {longest:g} s "
        f"we wait in one run; retry after {retry_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    return RateLimited(url, message, retry_after=wait, retry_at=retry_at, status=status)


def _human_seconds(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date; None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
