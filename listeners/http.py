"""The one shared HTTP client factory and a bounded, polite GET for every listener.

Listeners never build their own client: `build_client(policy)` sets User-Agent, timeouts,
redirect limits and a per-host concurrency cap; `fetch_bytes` adds retries with backoff,
`Retry-After`, a body size limit, and turns every httpx failure into a `FetchError`.
Redirects to private or link-local addresses are refused (see `listeners.addresses`). How a
body is read: `http_body`; what an answer means: `http_answers`; a failure: `http_failures`.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from earshot.listeners.addresses import RedirectGuard, check_redirect
from earshot.listeners.http_answers import (
    error_detail,
    retry_after_seconds,
    status_error,
    wait_too_long,
)
from earshot.listeners.http_body import MIB, format_size, read_limited
from earshot.listeners.http_failures import is_transient, translate

__all__ = ["HttpPolicy", "HttpResponse", "build_client", "fetch_bytes", "format_size"]


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
                    wait = retry_after_seconds(response.headers.get("retry-after"))
                    if wait is not None and wait > policy.max_retry_after_seconds:
                        raise wait_too_long(
                            url, response, wait, longest=policy.max_retry_after_seconds
                        )
                    if last_attempt:
                        raise status_error(url, response, wait, retried=policy.retries)
                    delay = max(delay, wait or 0.0)
                elif status == 304:
                    # Reading the (empty) body lets the connection go back to the pool; an
                    # unread response closes it, and a reconnect per 304 triples its cost.
                    response.read()
                    return HttpResponse(304, response.headers, b"", str(response.url))
                elif not 200 <= status < 300:
                    detail = error_detail(response)
                    raise status_error(url, response, None, retried=0, detail=detail)
                else:
                    content = read_limited(
                        response,
                        url,
                        limit=policy.max_body_bytes,
                        max_seconds=policy.max_seconds_per_attempt,
                    )
                    return HttpResponse(status, response.headers, content, str(response.url))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = translate(
                url, exc, timeout_seconds=policy.timeout_seconds, max_redirects=policy.max_redirects
            )
            if last_attempt or not is_transient(exc, error):
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


def _backoff(policy: HttpPolicy, attempt: int) -> float:
    return policy.backoff_seconds * 2**attempt * random.uniform(0.5, 1.5)
