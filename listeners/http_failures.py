"""An httpx failure as our `FetchError`, said so a data person can act on it, and whether
another attempt in this run is worth it (timeouts, refused or dropped connections)."""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import httpx

from earshot.listeners.errors import (
    ConnectError,
    DnsError,
    FetchError,
    Timeout,
    TooManyRedirects,
)


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


def is_transient(exc: Exception, error: FetchError) -> bool:
    """Worth another attempt in this run: timeouts, refused or dropped connections."""
    if isinstance(error, DnsError):
        gai = _dns_error(exc)
        return gai is not None and gai.errno not in _DNS_NOT_FOUND
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def translate(
    url: str, exc: Exception, *, timeout_seconds: float, max_redirects: int
) -> FetchError:
    """An httpx exception as a FetchError whose message a data person can act on."""
    timeout = f"{timeout_seconds:g} s"
    if isinstance(exc, httpx.TooManyRedirects):
        return TooManyRedirects(
            url, f"too many redirects (more than {max_redirects}; a redirect loop?)"
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
