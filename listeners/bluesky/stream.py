"""Bluesky Jetstream: a long-running listener on one WebSocket, posts filtered on our side.

`JetstreamListener.run` subscribes to `app.bsky.feed.post` events (from the saved cursor,
rewound a little), keeps the posts its `accept` callable takes, and hands them to `store` in
batches (at most one every `batch_seconds`) together with the cursor they reach, so the caller
commits both at once. A dropped or refused connection is retried with exponential backoff and
jitter (each failure reported through `report_failure`); a malformed event is logged in one
line and skipped. `stop()` (from a signal handler or another thread) ends the run after a
final batch.

The WebSocket comes from `websockets` (the shared HTTP client speaks no WebSocket); it sends
the policy's User-Agent and caps the size of a message as the HTTP client caps a body.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from earshot.listeners.bluesky import urls
from earshot.listeners.bluesky.normalize import MalformedEvent, event_time, post_from_event
from earshot.listeners.records import Post, SourceSpec

LOG = logging.getLogger("earshot.listeners.bluesky.stream")

# Which stored posts to keep: the caller's topic filter (listeners import nothing of ours).
Accept = Callable[[Post], bool]
# Store a batch: the posts and the state (`cursor`: time_us reached), in one transaction.
Store = Callable[[Sequence[Post], dict[str, Any]], None]
# Record a connection failure on the source (a clear per-source error).
ReportFailure = Callable[[str], None]


@dataclass
class StreamStats:
    """What a run has seen so far (read by the caller and by bench/stream.py)."""

    events: int = 0
    posts: int = 0  # post creations among the events
    matched: int = 0  # posts `accept` kept
    malformed: int = 0
    connections: int = 0
    failures: int = 0
    batches: int = 0
    cursor: int | None = None
    last_error: str | None = None
    urls: list[str] = field(default_factory=list)  # the last connections' URLs, with cursors


class JetstreamListener:
    """One stream source: `run()` until `stop()`; see the module docstring."""

    def __init__(
        self,
        spec: SourceSpec,
        *,
        accept: Accept,
        store: Store,
        report_failure: ReportFailure,
        state: dict[str, Any],
        user_agent: str,
        batch_seconds: float = 10.0,
        rewind_seconds: float = 5.0,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        open_timeout_seconds: float = 20.0,
        max_message_bytes: int = 1024 * 1024,
    ) -> None:
        self.spec = spec
        self.base_url = str(spec.options.get("stream_url") or urls.PUBLIC_JETSTREAM)
        self._accept, self._store, self._report = accept, store, report_failure
        self._state = dict(state)
        self._user_agent = user_agent
        self.batch_seconds = batch_seconds
        self._rewind_us = int(rewind_seconds * 1e6)
        self._backoff, self._max_backoff = backoff_seconds, max_backoff_seconds
        self._open_timeout, self._max_message = open_timeout_seconds, max_message_bytes
        self._stopping = threading.Event()
        self._pending: dict[str, Post] = {}
        self._last_flush = time.monotonic()
        saved = self._state.get("cursor")
        self.stats = StreamStats(cursor=saved if isinstance(saved, int) else None)
        self._flushed_cursor = self.stats.cursor

    def stop(self) -> None:
        """End the run: the current batch is stored, then `run` returns (thread-safe)."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self) -> StreamStats:
        """Read the stream until `stop()`; reconnect after every failure, backing off."""
        failures = 0
        while not self.stopping:
            url = self._url()
            try:
                with connect(
                    url,
                    open_timeout=self._open_timeout,
                    max_size=self._max_message,
                    user_agent_header=self._user_agent,
                    compression=None,
                ) as ws:
                    self.stats.connections += 1
                    self.stats.urls = [*self.stats.urls[-9:], url]
                    LOG.info("%s: connected to %s", self.spec.source_id, url)
                    failures = 0
                    self._read(ws)
                if self.stopping:
                    break
                problem = "the server ended the stream"
            except ConnectionClosedOK:
                problem = "the server ended the stream"
            except ConnectionClosed as exc:
                problem = f"the stream broke off ({_closed(exc)})"
            except Exception as exc:  # every failure is retried, none is fatal
                problem = _describe(exc, self._open_timeout)
            if self.stopping:
                break
            failures += 1
            delay = self._delay(failures)
            message = f"{self.base_url}: {problem}; reconnecting in {delay:.2f} s"
            self.stats.failures += 1
            self.stats.last_error = message
            LOG.warning("%s: %s", self.spec.source_id, message)
            try:
                self._report(message)
            except Exception as exc:  # the warehouse may be busy: keep streaming
                LOG.warning("%s: could not record the failure: %s", self.spec.source_id, exc)
            self._wait(delay)
        self._flush(final=True)
        return self.stats

    def _url(self) -> str:
        cursor = self.stats.cursor
        # rewound: events just before the cursor may not have been stored; their post ids
        # are dropped as duplicates
        return urls.jetstream(self.base_url, None if cursor is None else cursor - self._rewind_us)

    def _delay(self, failures: int) -> float:
        ceiling = min(self._max_backoff, self._backoff * 2 ** (failures - 1))
        return random.uniform(ceiling / 2, ceiling)  # "equal jitter": never a retry storm

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and (left := deadline - time.monotonic()) > 0:
            self._stopping.wait(min(left, self._until_flush(), 0.5))
            self._flush()

    def _until_flush(self) -> float:
        return max(self._last_flush + self.batch_seconds - time.monotonic(), 0.01)

    def _read(self, ws: Connection) -> None:
        while not self.stopping:
            try:
                message = ws.recv(timeout=min(self._until_flush(), 0.5))
            except TimeoutError:
                message = None
            if message is not None:
                self._take(message)
            self._flush()

    def _take(self, message: str | bytes) -> None:
        self.stats.events += 1
        try:
            event = json.loads(message)
        except ValueError as exc:
            self._malformed(message, f"not JSON ({exc})")
            return
        try:
            post = post_from_event(
                event, source_id=self.spec.source_id, fetched_at=datetime.now(UTC)
            )
        except MalformedEvent as exc:
            self._malformed(message, str(exc))
            return
        except Exception as exc:  # one odd event never stops the stream
            self._malformed(message, f"cannot be read: {type(exc).__name__}: {exc}")
            return
        when = event_time(event)
        if post is not None:
            self.stats.posts += 1
            if self._accept(post):
                self.stats.matched += 1
                self._pending.setdefault(post.post_id, post)
        if when is not None and (self.stats.cursor is None or when > self.stats.cursor):
            self.stats.cursor = when

    def _malformed(self, message: str | bytes, problem: str) -> None:
        self.stats.malformed += 1
        shown = message if isinstance(message, str) else message.decode("utf-8", "replace")
        shown = shown[:120] + ("…" if len(shown) > 120 else "")
        LOG.warning(
            "%s: malformed event skipped (%s) after cursor %s: %r",
            self.spec.source_id,
            problem,
            self.stats.cursor,
            shown,
        )

    def _flush(self, *, final: bool = False) -> None:
        """Store the pending posts with the cursor, when a batch is due (or `final`)."""
        if not final and time.monotonic() - self._last_flush < self.batch_seconds:
            return
        self._last_flush = time.monotonic()
        if not self._pending and self.stats.cursor == self._flushed_cursor:
            return
        cursor = self.stats.cursor
        state = {**self._state, "cursor": cursor}
        if cursor is not None:
            lag = datetime.now(UTC).timestamp() - cursor / 1e6
            state["lag_seconds"] = round(max(lag, 0.0), 1)
        posts = list(self._pending.values())
        try:
            self._store(posts, state)
        except Exception as exc:  # keep the batch and try again next time
            LOG.warning(
                "%s: storing %d post(s) failed, kept for the next batch: %s",
                self.spec.source_id,
                len(posts),
                exc,
            )
            return
        self._pending.clear()
        self._state, self._flushed_cursor = state, cursor
        self.stats.batches += 1


def _closed(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "no close frame"
    return f"code {frame.code}" + (f": {frame.reason}" if frame.reason else "")


def _describe(exc: Exception, open_timeout: float) -> str:
    """A failure to connect or read, in words (the URL is added by the caller)."""
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        return f"HTTP {status} {exc.response.reason_phrase} on the WebSocket handshake"
    if isinstance(exc, InvalidURI):
        return f"not a WebSocket URL ({exc})"
    if isinstance(exc, InvalidHandshake):
        return f"the WebSocket handshake failed ({exc})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return f"no WebSocket handshake within {open_timeout:g} s (timeout)"
    if isinstance(exc, OSError):
        return f"connection failed ({exc.strerror or exc})"
    return f"unexpected error ({type(exc).__name__}: {exc})"
