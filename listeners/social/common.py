"""Shared by the platform listeners: JSON GET/POST, results, timestamps, counts, options."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from earshot.listeners.errors import ListenerError, ParseError
from earshot.listeners.http import HttpPolicy, HttpResponse, fetch_bytes
from earshot.listeners.records import FetchResult, FetchStatus, SourceSpec

JSON_ACCEPT = {"Accept": "application/json"}


def get_json(
    client: httpx.Client,
    url: str,
    *,
    policy: HttpPolicy,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    content: bytes | None = None,
) -> tuple[Any, HttpResponse]:
    """Fetch `url` and decode its JSON body; a body that is not JSON is a ParseError."""
    response = fetch_bytes(
        client,
        url,
        headers={**JSON_ACCEPT, **(headers or {})},
        policy=policy,
        method=method,
        content=content,
    )
    try:
        return json.loads(response.content), response
    except (ValueError, RecursionError) as exc:
        kind = response.headers.get("content-type", "no content type")
        raise ParseError(url, f"expected JSON, got {kind} that does not decode ({exc})") from exc


def result(
    spec: SourceSpec, posts: list[Any], state: dict[str, Any], http_status: int | None
) -> FetchResult:
    """OK with the new posts (first occurrence of each post_id), NOT_MODIFIED with none."""
    unique = {p.post_id: p for p in reversed(posts)}
    ordered = tuple(reversed(list(unique.values())))
    status = FetchStatus.OK if ordered else FetchStatus.NOT_MODIFIED
    return FetchResult(spec.source_id, status, ordered, state, http_status=http_status)


def parse_iso(value: Any) -> datetime | None:
    """RFC 3339 ('2025-05-05T01:30:17.912Z', also with 6+ fraction digits) as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if "." in text:  # fromisoformat wants at most 6 fraction digits on 3.11
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)]:0<6}{tail[digits:]}" if digits else head + tail
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def from_epoch(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def count(value: Any) -> int | None:
    """An engagement count, or None when the platform did not give one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def text_field(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def require(spec: SourceSpec, key: str) -> str:
    """A kind-specific option the config must have set."""
    value = spec.options.get(key)
    if not isinstance(value, str) or not value:
        raise ListenerError(spec.url, f"the source needs `{key}` for kind {spec.kind!r}")
    return value


def secret(spec: SourceSpec, name: str) -> str | None:
    """A secret the config asks for (via `<name>_env`); missing in the environment is an error."""
    env = spec.options.get(f"{name}_env")
    if not env:
        return None
    value = spec.secrets.get(name)
    if not value:
        raise ListenerError(spec.url, f"environment variable {env} ({name}) is not set")
    return value
