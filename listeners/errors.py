"""Why a listener could not deliver a source, in words a data person understands.

The hierarchy, drawn once::

    ListenerError(where, message)          where = the source's URL (or its id)
    ├── FetchError                         the web did not hand us a usable body
    │   ├── DnsError                       host not found
    │   ├── ConnectError                   refused, reset, TLS failure ...
    │   ├── Timeout                        no answer within the policy's timeout
    │   ├── HttpStatusError(status)        4xx/5xx after retries (304 is not an error)
    │   ├── RateLimited(retry_after)       429 that outlasts our retries or our patience
    │   ├── TooManyRedirects               redirect loop or chain longer than the policy
    │   └── BodyTooLarge(limit)            more than max_body_bytes after decompression
    └── ParseError                         we got a body, but it is not a (usable) feed

`str(exc)` is always "<where>: <what went wrong>", e.g.
"https://x.example/feed.xml: HTTP 404 Not Found". `http_status` carries the last HTTP
status seen, if any, so the caller can store it next to the message.
"""

from __future__ import annotations

from datetime import datetime


class ListenerError(Exception):
    """A source could not be fetched or understood. Never a bug in our code."""

    def __init__(self, where: str, message: str, *, http_status: int | None = None) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message
        self.http_status = http_status


class FetchError(ListenerError):
    """The network or the server did not give us a usable body."""


class DnsError(FetchError):
    """The host name does not resolve."""


class ConnectError(FetchError):
    """A connection could not be made or was broken."""


class Timeout(FetchError):
    """The server did not answer in time."""


class HttpStatusError(FetchError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, where: str, message: str, *, status: int) -> None:
        super().__init__(where, message, http_status=status)
        self.status = status


class RateLimited(FetchError):
    """The server asks us to come back later (HTTP 429)."""

    def __init__(
        self,
        where: str,
        message: str,
        *,
        retry_after: float | None,
        retry_at: datetime | None = None,
        status: int = 429,
    ) -> None:
        super().__init__(where, message, http_status=status)
        self.retry_after = retry_after
        self.retry_at = retry_at


class TooManyRedirects(FetchError):
    """Redirects looped or went on longer than the policy allows."""


class BodyTooLarge(FetchError):
    """The (decompressed) body is larger than the policy allows."""

    def __init__(self, where: str, message: str, *, limit: int, http_status: int | None) -> None:
        super().__init__(where, message, http_status=http_status)
        self.limit = limit


class ParseError(ListenerError):
    """The body is not a feed, or a feed too broken to yield anything."""
