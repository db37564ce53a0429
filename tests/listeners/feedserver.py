"""A real HTTP server on 127.0.0.1 for listener tests: routes of canned responses.

Reusable from any test folder::

    from tests.listeners.feedserver import FeedServer, Reply   # or put this folder on sys.path

    with FeedServer() as server:
        server.route("/feed.xml", Reply(body, content_type="application/rss+xml", etag='"v1"'))
        url = server.url("/feed.xml")
        ...
        assert server.requests_to("/feed.xml")[1]["if-none-match"] == '"v1"'

Each route serves its replies in order and repeats the last one. An API route instead
answers through a function of the query and the request (`server.handle(path, answer)`),
which is how the platform tests page by cursor, since_id or `after`. A reply with an ETag or
Last-Modified answers a matching If-None-Match / If-Modified-Since with 304. Every request's
headers are recorded per path (names lower-cased).
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Request:
    """What an API handler sees: method, path, query (first value per name), headers, body."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Reply:
    """One canned response."""

    body: bytes = b""
    content_type: str | None = "application/xml; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    gzip: bool = False
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # extra, e.g. Location
    drip_seconds: float = 0.0  # pause between 64-byte pieces of the body: a slow server
    delay_seconds: float = 0.0  # pause before answering at all: a server that hangs
    reset: bool = False  # drop the connection (TCP RST) instead of answering


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, content_type=None, headers={"Location": location})


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (~40 ms)

    def do_POST(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        qs = {k: v[0] for k, v in parse_qs(query).items()}
        request = Request(self.command, path, qs, headers, body)
        reply = self.server.owner._next_reply(path, headers, request)
        if reply is None:
            self._send(404, {"Content-Type": "text/plain"}, b"no such route")
            return
        if reply.delay_seconds:
            time.sleep(reply.delay_seconds)
        if reply.reset:
            # SO_LINGER 0: close() sends RST, as a crashing server or a middlebox does.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        headers = dict(reply.headers)
        if reply.etag:
            headers["ETag"] = reply.etag
        if reply.last_modified:
            headers["Last-Modified"] = reply.last_modified
        if reply.status == 200 and self._not_modified(reply):
            self._send(304, headers, b"")
            return
        if reply.content_type:
            headers["Content-Type"] = reply.content_type
        if reply.retry_after is not None:
            headers["Retry-After"] = reply.retry_after
        body = reply.body
        if reply.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self._send(reply.status, headers, body, drip_seconds=reply.drip_seconds)

    def _not_modified(self, reply: Reply) -> bool:
        if reply.etag and self.headers.get("If-None-Match") == reply.etag:
            return True
        return bool(
            reply.last_modified and self.headers.get("If-Modified-Since") == reply.last_modified
        )

    def _send(
        self, status: int, headers: dict[str, str], body: bytes, *, drip_seconds: float = 0.0
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client may hang up on purpose (body too large).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if not drip_seconds:
                self.wfile.write(body)
                return
            for start in range(0, len(body), 64):
                self.wfile.write(body[start : start + 64])
                self.wfile.flush()
                time.sleep(drip_seconds)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FeedServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up mid-response is expected in the size-limit tests


class FeedServer:
    """Start with `with FeedServer() as server:`; serves until the block ends."""

    def __init__(self) -> None:
        self._routes: dict[str, list[Reply]] = {}
        self._served: dict[str, int] = defaultdict(int)
        self._requests: dict[str, list[dict[str, str]]] = defaultdict(list)
        self._handlers: dict[str, Callable[[Request], Reply]] = {}
        self.api_requests: list[Request] = []  # every request to a handled path, in order
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        # A short poll interval: shutdown() waits for it, and tests start many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, *replies: Reply) -> str:
        """Serve `replies` at `path` in order (the last repeats); return the full URL."""
        if not replies:
            raise ValueError("a route needs at least one reply")
        with self._lock:
            self._routes[path] = list(replies)
            self._served[path] = 0
        return self.url(path)

    def handle(self, path: str, answer: Callable[[Request], Reply]) -> str:
        """Answer requests at `path` with `answer(request)`; return the full URL. A path
        ending in `*` answers every path that starts with the rest (`/questions/*`)."""
        with self._lock:
            self._handlers[path] = answer
        return self.url(path)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        """Headers of every request received at `path`, oldest first."""
        with self._lock:
            return [dict(h) for h in self._requests[path]]

    def _next_reply(
        self, path: str, headers: dict[str, str], request: Request | None = None
    ) -> Reply | None:
        with self._lock:
            self._requests[path].append(headers)
            handler = self._handlers.get(path) or next(
                (
                    h
                    for prefix, h in self._handlers.items()
                    if prefix.endswith("*") and path.startswith(prefix[:-1])
                ),
                None,
            )
            if handler is not None and request is not None:
                self.api_requests.append(request)
        if handler is not None and request is not None:
            return handler(request)
        with self._lock:
            replies = self._routes.get(path)
            if not replies:
                return None
            index = min(self._served[path], len(replies) - 1)
            self._served[path] += 1
            return replies[index]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def closed_port_url(path: str = "/feed.xml") -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
