"""Cheap bulk revalidation: many conditional GETs on pooled keep-alive connections.

When nothing changed, a collect pass is all `304 Not Modified`. Through httpx each of those
costs about a millisecond of Python (request building, auth/redirect layers, h11 state
machines), far more than the exchange itself. `revalidate` sends each source's conditional
GET (`If-None-Match` / `If-Modified-Since`, the same URL and validators the full fetch would
send) from one asyncio loop, on at most `policy.max_per_host` keep-alive connections per
host and with the policy's minimum interval between request starts to one host, and reads
only the status line and headers.

It only ever *saves* work: a 304 is the one answer it acts on. Anything else (200, a
redirect, an error status, a timeout, a reset, a proxy in the environment, a URL it does not
send byte for byte) leaves the source to the ordinary `fetch_bytes` path, which has the
retries, `Retry-After`, redirect guard, body limits and the error messages. So a changed
feed costs one extra request (whose body is never read: the connection is closed instead).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections import deque
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from earshot.listeners.http import HttpPolicy

MAX_HEAD_BYTES = 64 * 1024
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Conditional:
    """One conditional GET: the URL and the request headers (validators, Accept)."""

    url: str
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if _DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"


def revalidate(requests: Sequence[Conditional], *, policy: HttpPolicy) -> list[bool]:
    """For each request, True when the server answered 304 Not Modified, else False."""
    answers = [False] * len(requests)
    if not requests or _proxy_configured():
        return answers  # httpx would go through the proxy: let it
    queues: dict[_Origin, deque[tuple[int, bytes]]] = {}
    for index, request in enumerate(requests):
        prepared = _prepare(request, policy)
        if prepared is not None:
            origin, wire = prepared
            queues.setdefault(origin, deque()).append((index, wire))
    if queues:
        _run(_revalidate_all(queues, answers, policy))
    return answers


def _proxy_configured() -> bool:
    return any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES)


def _prepare(request: Conditional, policy: HttpPolicy) -> tuple[_Origin, bytes] | None:
    """The request's origin and bytes, or None when it is not plain enough to send here."""
    if not request.url.isascii():
        return None  # httpx percent-/IDNA-encodes it: leave that to httpx
    try:
        parts = urlsplit(request.url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    origin = _Origin(parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme])
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Host": origin.host_header,
        "User-Agent": policy.user_agent,
        "Accept-Encoding": "gzip, deflate",
        **request.headers,
    }
    lines = [f"GET {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    wire = "\r\n".join(lines) + "\r\n\r\n"
    if any(c in target for c in " \r\n") or wire.count("\r\n") != len(lines) + 1:
        return None  # a CR/LF or space inside a value would break the request framing
    try:
        return origin, wire.encode("latin-1")
    except UnicodeEncodeError:
        return None


def _run(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to completion, also when the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(work)
        return
    with ThreadPoolExecutor(1) as thread:  # asyncio.run refuses a nested loop
        thread.submit(asyncio.run, work).result()


async def _revalidate_all(
    queues: dict[_Origin, deque[tuple[int, bytes]]], answers: list[bool], policy: HttpPolicy
) -> None:
    tls = ssl.create_default_context(cafile=_ca_file())  # the CAs httpx trusts
    workers = []
    for origin, queue in queues.items():
        pacer = _Pacer(policy.interval_for(f"{origin.scheme}://{origin.host_header}/"))
        for _ in range(min(max(policy.max_per_host, 1), len(queue))):
            workers.append(_Connection(origin, queue, answers, policy, tls, pacer).run())
    await asyncio.gather(*workers)


def _ca_file() -> str | None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - httpx depends on certifi
        return None
    return certifi.where()


class _Pacer:
    """The least time between two request starts to one host (shared by its connections)."""

    def __init__(self, interval: float) -> None:
        self._interval = max(interval, 0.0)
        self._next = 0.0

    async def wait_turn(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        start = max(now, self._next)
        self._next = start + self._interval
        if start > now:
            await asyncio.sleep(start - now)


class _Connection:
    """One keep-alive connection working through its host's queue, one request at a time."""

    def __init__(
        self,
        origin: _Origin,
        queue: deque[tuple[int, bytes]],
        answers: list[bool],
        policy: HttpPolicy,
        tls: ssl.SSLContext,
        pacer: _Pacer,
    ) -> None:
        self.origin, self.queue, self.answers = origin, queue, answers
        self.timeout = policy.timeout_seconds
        self.tls, self.pacer = tls, pacer
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def run(self) -> None:
        try:
            while self.queue:
                index, wire = self.queue.popleft()
                await self.pacer.wait_turn()
                self.answers[index] = await self._exchange(wire)
        finally:
            self._close()

    async def _exchange(self, wire: bytes) -> bool:
        """True for a 304; the connection stays open only after a clean 304."""
        reused = self.writer is not None
        for attempt in (0, 1):
            try:
                head = await asyncio.wait_for(self._send(wire), self.timeout)
            except TimeoutError:
                self._close()
                return False
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                self._close()
                if reused and attempt == 0:
                    continue  # the server closed an idle keep-alive connection: once more
                return False
            status, keep_alive = _status(head)
            if status != 304 or not keep_alive:
                self._close()  # an unread body (or a closing server): no reuse
            return status == 304
        return False

    async def _send(self, wire: bytes) -> bytes:
        if self.writer is None:
            tls = self.tls if self.origin.scheme == "https" else None
            self.reader, self.writer = await asyncio.open_connection(
                self.origin.host, self.origin.port, ssl=tls, limit=MAX_HEAD_BYTES
            )
        assert self.reader is not None
        self.writer.write(wire)
        return await self.reader.readuntil(b"\r\n\r\n")

    def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _status(head: bytes) -> tuple[int, bool]:
    """The status code and whether the connection may carry another request."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        return 0, False
    connection = b""
    body = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"connection":
            connection = value
        elif name == b"content-length" and value not in (b"", b"0"):
            body = True  # a 304 has no body; one that announces some is not trusted further
    if parts[0] == b"HTTP/1.0":
        return int(parts[1]), connection == b"keep-alive" and not body
    return int(parts[1]), b"close" not in connection and not body
