"""The one shared HTTP client factory and a bounded, polite GET for every listener.

Listeners never build their own client: `build_client(policy)` sets User-Agent, timeouts,
redirect limits and a per-host concurrency cap; `fetch_bytes` adds retries with backoff,
`Retry-After`, a body size limit, and turns every httpx failure into a `FetchError`.
Redirects to private or link-local addresses are refused (see `listeners.addresses`).
"""

from __future__ import annotations

import contextlib
import email.utils
import errno
import json
import random
import re
import socket
import ssl
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import httpx

from earshot.listeners.addresses import RedirectGuard, check_redirect
from earshot.listeners.errors import (
    BodyTooLarge,
    ConnectError,
    DnsError,
    FetchError,
    HttpStatusError,
    RateLimited,
    Timeout,
    TooManyRedirects,
)

KIB = 1024
MIB = 1024 * 1024


@dataclass(frozen=True)
class HttpPolicy:
    """How politely and how boundedly we talk to the web; one per collect run."""

    user_agent: str = "Earshot/0.1 (+https://github.com/earshot)"
    timeout_seconds: float = 20.0  # connect/read/write/pool
    max_body_bytes: int = 10 * MIB  # after decompression
    max_redirects: int = 5
    retries: int = 2  # on connect errors/timeouts and on `retry_statuses`
    backoff_seconds: float = 1.0  # backoff * 2**attempt * random(0.5..1.5)
    max_retry_after_seconds: float = 60.0  # honour Retry-After up to this, beyond it fail
    max_per_host: int = 2  # concurrent requests to one host through one client
    max_seconds_per_attempt: float = 120.0  # wall time to read one body (a slow drip is cut)
    retry_statuses: frozenset[int] = field(default=frozenset({429, 502, 503, 504}))
    min_host_interval_seconds: float = 0.0  # least time between two request starts to one host
    # Per-host exceptions to `min_host_interval_seconds`, by host name ("www.reddit.com").
    host_intervals: Mapping[str, float] = field(default_factory=dict, hash=False)
    redirect_guard: RedirectGuard = field(default_factory=RedirectGuard)  # SSRF: no private hops

    def interval_for(self, url: str) -> float:
        """The least time between two request starts to the host of `url`."""
        if self.host_intervals:
            host = (urlsplit(url).hostname or "").rstrip(".")
            if host in self.host_intervals:
                return max(self.host_intervals[host], 0.0)
        return max(self.min_host_interval_seconds, 0.0)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A fully read response: `url` is the final URL after redirects."""

    status_code: int
    headers: Mapping[str, str]  # an httpx.Headers: case-insensitive
    content: bytes
    url: str


class _HostSlots:
    """A semaphore per host, so concurrent fetches do not hammer one server."""

    def __init__(self, per_host: int, interval_for: Callable[[str], float]) -> None:
        self._per_host = max(per_host, 1)
        self._interval_for = interval_for
        self._lock = threading.Lock()
        self._by_host: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    def wait_turn(self, url: str) -> None:
        """Sleep until this host may see another request (the policy's minimum interval)."""
        interval = self._interval_for(url)
        if not interval:
            return
        host = urlsplit(url).netloc.lower()
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + interval
        if start > now:
            time.sleep(start - now)

    def for_url(self, url: str) -> threading.BoundedSemaphore:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            slot = self._by_host.get(host)
            if slot is None:
                slot = self._by_host[host] = threading.BoundedSemaphore(self._per_host)
            return slot


# Clients built by `build_client` carry their host slots here; a foreign client has none.
_HOST_SLOTS: weakref.WeakKeyDictionary[httpx.Client, _HostSlots] = weakref.WeakKeyDictionary()


def build_client(policy: HttpPolicy) -> httpx.Client:
    """The shared client: use it as a context manager and pass it to every listener."""
    client = httpx.Client(
        follow_redirects=True,
        max_redirects=policy.max_redirects,
        timeout=httpx.Timeout(policy.timeout_seconds),
        headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
        event_hooks={"request": [_guard_redirect]},
    )
    _HOST_SLOTS[client] = _HostSlots(policy.max_per_host, policy.interval_for)
    return client


def fetch_bytes(
    client: httpx.Client,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    policy: HttpPolicy,
    method: str = "GET",
    content: bytes | None = None,
) -> HttpResponse:
    """GET `url` (or `method` with `content`, e.g. a login POST) and read its body,
    retrying transient failures per `policy`.

    Returns 2xx and 304 responses (304 with an empty body); raises a `FetchError` for
    everything else once retries are used up.
    """
    slots = _HOST_SLOTS.get(client)
    for attempt in range(policy.retries + 1):
        last_attempt = attempt == policy.retries
        delay = _backoff(policy, attempt)
        try:
            slot = slots.for_url(url) if slots else contextlib.nullcontext()
            if slots:
                slots.wait_turn(url)
            stream = client.stream(
                method,
                url,
                headers=dict(headers or {}),
                content=content,
                extensions={_GUARD: (url, policy.redirect_guard)},  # redirects inherit it
            )
            with slot, stream as response:
                status = response.status_code
                if status in policy.retry_statuses:
                    wait = _retry_after_seconds(response.headers.get("retry-after"))
                    if wait is not None and wait > policy.max_retry_after_seconds:
                        raise _wait_too_long(url, response, wait, policy)
                    if last_attempt:
                        raise _status_error(url, response, wait, retried=policy.retries)
                    delay = max(delay, wait or 0.0)
                elif status == 304:
                    # Reading the (empty) body lets the connection go back to the pool; an
                    # unread response closes it, and a reconnect per 304 triples its cost.
                    response.read()
                    return HttpResponse(304, response.headers, b"", str(response.url))
                elif not 200 <= status < 300:
                    detail = _error_detail(response)
                    raise _status_error(url, response, None, retried=0, detail=detail)
                else:
                    content = _read_limited(response, url, policy)
                    return HttpResponse(status, response.headers, content, str(response.url))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = _translate(url, exc, policy)
            if last_attempt or not _is_transient(exc, error):
                raise error from exc
        time.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


# Request extension carrying (first URL, guard) of a `fetch_bytes` call to `_guard_redirect`.
_GUARD = "earshot_redirect_guard"


def _guard_redirect(request: httpx.Request) -> None:
    """Event hook, before every request and every redirect hop: refuse private hops."""
    origin = request.extensions.get(_GUARD)
    if origin is None:
        return
    first_url, guard = origin
    check_redirect(
        urlsplit(first_url).hostname or "",
        request.url.host,
        guard,
        where=first_url,
        target_url=str(request.url),
    )


def format_size(n: int) -> str:
    """10485760 -> '10 MiB', 65536 -> '64 KiB', 1000 -> '1000 bytes'."""
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= KIB and n % KIB == 0:
        return f"{n // KIB} KiB"
    return f"{n} bytes"


def _backoff(policy: HttpPolicy, attempt: int) -> float:
    return policy.backoff_seconds * 2**attempt * random.uniform(0.5, 1.5)


def _read_limited(response: httpx.Response, url: str, policy: HttpPolicy) -> bytes:
    limit = policy.max_body_bytes
    deadline = time.monotonic() + policy.max_seconds_per_attempt
    too_large = BodyTooLarge(
        url,
        f"body exceeds {format_size(limit)} limit",
        limit=limit,
        http_status=response.status_code,
    )
    declared = response.headers.get("content-length", "")
    # Without content-encoding the declared length is the body size: refuse before reading.
    encoded = response.headers.get("content-encoding")
    if not encoded and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    total = 0
    for chunk in _decoded_chunks(response):
        total += len(chunk)
        if total > limit:
            raise too_large
        if time.monotonic() > deadline:
            raise Timeout(
                url,
                f"body still arriving after {policy.max_seconds_per_attempt:g} s "
                f"({format_size(total)} so far); the server is too slow",
            )
        chunks.append(chunk)
    return b"".join(chunks)


# Decompressed bytes handed over at a time: httpx inflates each network read whole, so one
# 64 KiB read of a gzip bomb became ~64 MiB in memory before the size limit could look at it.
_INFLATE_STEP = 64 * KIB


def _decoded_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body, decompressed in steps of at most `_INFLATE_STEP` bytes (gzip/deflate)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        yield from response.iter_raw()
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        yield from response.iter_bytes()  # stacked or other codings: httpx decodes them
        return
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    first = True
    try:
        for raw in response.iter_raw():
            if first and encoding == "deflate" and raw and (raw[0] & 0x0F) != 8:
                inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # deflate without zlib header
            first = False
            data = raw
            while data and not inflate.eof:
                if out := inflate.decompress(data, _INFLATE_STEP):
                    yield out
                data = inflate.unconsumed_tail
        if tail := inflate.flush():
            yield tail
    except zlib.error as exc:
        raise httpx.DecodingError(str(exc), request=response.request) from exc


def _reason(status: int, response: httpx.Response) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return response.reason_phrase or "error"


# An API's error answer is small: the first bytes of a JSON error body are enough to name it.
_ERROR_BODY_BYTES = 4 * KIB
_ERROR_KEYS = ("error_message", "message", "error_description", "error", "errors")


def _error_detail(response: httpx.Response) -> str | None:
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


def _status_error(
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


def _wait_too_long(
    url: str, response: httpx.Response, wait: float, policy: HttpPolicy
) -> RateLimited:
    status = response.status_code
    retry_at = datetime.now(UTC) + timedelta(seconds=wait)
    message = (
        f"HTTP {status} {_reason(status, response)}: the server asks us to wait "
        f"{_human_seconds(wait)}, longer than the {policy.max_retry_after_seconds:g} s "
        f"we wait in one run; retry after {retry_at:%Y-%m-%d %H:%M:%S} UTC"
    )
    return RateLimited(url, message, retry_after=wait, retry_at=retry_at, status=status)


def _human_seconds(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _retry_after_seconds(value: str | None) -> float | None:
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


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


_DNS_NOT_FOUND = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
_DNS_WORDS = ("name or service not known", "nodename nor servname", "getaddrinfo failed")


def _dns_error(exc: BaseException) -> socket.gaierror | None:
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return cause
    if any(word in str(exc).lower() for word in _DNS_WORDS):
        return socket.gaierror(socket.EAI_NONAME, str(exc))
    return None


def _is_transient(exc: Exception, error: FetchError) -> bool:
    """Worth another attempt in this run: timeouts, refused or dropped connections."""
    if isinstance(error, DnsError):
        gai = _dns_error(exc)
        return gai is not None and gai.errno not in _DNS_NOT_FOUND
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def _translate(url: str, exc: Exception, policy: HttpPolicy) -> FetchError:
    """An httpx exception as a FetchError whose message a data person can act on."""
    timeout = f"{policy.timeout_seconds:g} s"
    if isinstance(exc, httpx.TooManyRedirects):
        return TooManyRedirects(
            url, f"too many redirects (more than {policy.max_redirects}; a redirect loop?)"
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return Timeout(url, f"could not connect within {timeout} (timeout)")
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(url, f"no answer within {timeout} (timeout)")
    if isinstance(exc, httpx.ConnectError):
        gai = _dns_error(exc)
        if gai is not None:
            if gai.errno in _DNS_NOT_FOUND:
                return DnsError(url, "host not found (DNS)")
            return DnsError(url, f"host name lookup failed (DNS: {gai.strerror or gai})")
        for cause in _causes(exc):
            if isinstance(cause, ConnectionRefusedError) or (
                isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
            ):
                return ConnectError(url, "connection refused (nothing listens on that port)")
            if isinstance(cause, ssl.SSLError):
                return ConnectError(url, f"TLS/SSL handshake failed ({cause})")
        return ConnectError(url, f"could not connect ({exc or type(exc).__name__})")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchError(url, f"not a valid http(s) URL ({exc})")
    if isinstance(exc, httpx.DecodingError):
        return FetchError(url, "could not decompress the body (broken gzip/deflate encoding)")
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return ConnectError(url, f"connection broken while talking to the server ({exc})")
    return FetchError(url, f"request failed ({type(exc).__name__}: {exc})")
