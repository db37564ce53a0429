"""A local Jetstream for tests and bench/stream.py: a real WebSocket server on loopback.

It serves a list of events (JSON text) in order, honouring `cursor=` (events whose `time_us` is
at or after it, as Jetstream does) and `wantedCollections=`, paced or as fast as it can; each
connection's request path is recorded. Faults are set per connection with `faults`: a queue
of what the next connections get ("close" after some events, "garbage" lines, "status 503").
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve


@dataclass(frozen=True)
class Fault:
    """What one connection gets instead of a healthy stream."""

    close_after: int | None = None  # events sent, then the server closes (code 1011)
    garbage: Sequence[str] = ()  # sent before the events
    status: int | None = None  # the handshake is refused with this HTTP status


def _shape(line: str) -> tuple[int, str | None]:
    """(time_us, collection) of an event line; (0, None) for one that is not an event."""
    try:
        event: Any = json.loads(line)
    except ValueError:
        return 0, None
    if not isinstance(event, dict):
        return 0, None
    when = event.get("time_us")
    commit = event.get("commit")
    collection = commit.get("collection") if isinstance(commit, dict) else None
    return (when if isinstance(when, int) else 0), collection


class JetstreamServer:
    def __init__(
        self,
        events: Sequence[str],
        *,
        pace_seconds: float = 0.0,
        linger: bool = True,
        port: int = 0,
    ) -> None:
        self.port = port
        self.events = list(events)
        self._shapes = [_shape(e) for e in self.events]
        self.pace_seconds = pace_seconds
        self.linger = linger  # after the last event: keep the connection open (idle)
        self.faults: list[Fault] = []
        # with `hold_after`, a connection stops after that many events until `release` is set
        self.hold_after: int | None = None
        self.release = threading.Event()
        self.paths: list[str] = []
        self.sent = 0  # events sent over all connections
        self.sent_per_connection: list[int] = []
        self._lock = threading.Lock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/subscribe"

    def __enter__(self) -> JetstreamServer:
        self._server = serve(
            self._handle, "127.0.0.1", self.port, process_request=self._check, compression=None
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._thread.join(timeout=10)

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        with self._lock:
            self.paths.append(request.path)
            fault = self.faults[0] if self.faults else None
            if fault is None or fault.status is None:
                return None
            self.faults.pop(0)
        status = HTTPStatus(fault.status)
        body = f"{status.value} {status.phrase}\n".encode()
        return Response(status.value, status.phrase, Headers(), body)

    def _handle(self, ws: ServerConnection) -> None:
        fault = self._next_fault()
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        cursor = int(query["cursor"][0]) if "cursor" in query else 0
        wanted = query.get("wantedCollections")
        for line in fault.garbage if fault else ():
            ws.send(line)
        sent = 0
        with self._lock:
            self.sent_per_connection.append(0)
            number = len(self.sent_per_connection) - 1
        for line, (when, collection) in zip(self.events, self._shapes, strict=True):
            if when < cursor or (wanted and collection is not None and collection not in wanted):
                continue
            if fault and fault.close_after is not None and sent >= fault.close_after:
                ws.close(1011, "going away (test)")
                return
            while sent == self.hold_after and not self.release.wait(0.1):
                if self._stopping.is_set():
                    return
            if self._stopping.is_set():
                return
            try:
                ws.send(line)
            except ConnectionClosed:
                return  # the client went away (killed, stopped)
            sent += 1
            with self._lock:
                self.sent += 1
                self.sent_per_connection[number] += 1
            if self.pace_seconds:
                time.sleep(self.pace_seconds)
        if fault and fault.close_after is not None:
            ws.close(1011, "going away (test)")
            return
        while self.linger and not self._stopping.wait(0.2):
            pass


# The shapes of the recorded events (../shared/eval/api-responses/bluesky-jetstream): a reply
# post with langs, a like, a follow. Words and ids are made up.
_DID = "did:plc:{:024d}"


def synthetic_events(
    n: int,
    *,
    share: float,
    topic_text: str,
    start_us: int = 1_732_206_349_000_000,
    step_us: int = 1000,
) -> list[str]:
    """`n` Jetstream v1 events, one in `1/share` of them a post with `topic_text`; the others
    posts on other things, likes and follows (about half posts). `time_us` rises by `step_us`."""
    every = max(round(1 / share), 1) if share > 0 else 0
    events = []
    for i in range(n):
        when = start_us + i * step_us
        rkey = f"3lb{i:010d}"
        if every and i % every == 0:
            kind, text = "app.bsky.feed.post", f"{topic_text} (number {i})"
        elif i % 2:
            kind, text = "app.bsky.feed.post", f"just watched the match, what a night {i}"
        else:
            kind, text = ("app.bsky.feed.like", None) if i % 4 else ("app.bsky.graph.follow", None)
        record: dict[str, Any]
        if kind == "app.bsky.feed.post":
            parent = f"at://{_DID.format(i + 1)}/app.bsky.feed.post/3lbparent{i:06d}"
            record = {
                "$type": kind,
                "createdAt": "2024-11-21T16:09:27.095Z",
                "langs": ["en"],
                "reply": {
                    "parent": {"cid": "bafyparent", "uri": parent},
                    "root": {"cid": "bafyroot", "uri": parent},
                },
                "text": text,
            }
        elif kind == "app.bsky.feed.like":
            subject = f"at://{_DID.format(i + 2)}/app.bsky.feed.post/3lbliked{i:06d}"
            record = {
                "$type": kind,
                "createdAt": "2024-11-21T16:25:46.221Z",
                "subject": {"cid": "bafyliked", "uri": subject},
            }
        else:
            record = {
                "$type": kind,
                "createdAt": "2024-11-21T16:27:40.923Z",
                "subject": _DID.format(i + 3),
            }
        event = {
            "did": _DID.format(i),
            "time_us": when,
            "kind": "commit",
            "commit": {
                "rev": f"3lbrev{i:08d}",
                "operation": "create",
                "collection": kind,
                "rkey": rkey,
                "record": record,
                "cid": f"bafyevent{i:08d}",
            },
        }
        events.append(json.dumps(event, separators=(",", ":")))
    return events
