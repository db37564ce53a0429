"""Reading a response body within bounds: its size after decompression and its arrival time.

A gzip bomb is inflated in small steps, so the size limit looks at it before it fills memory.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator

import httpx

from earshot.listeners.errors import BodyTooLarge, Timeout

KIB = 1024
MIB = 1024 * 1024


def format_size(n: int) -> str:
    """10485760 -> '10 MiB', 65536 -> '64 KiB', 1000 -> '1000 bytes'."""
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= KIB and n % KIB == 0:
        return f"{n // KIB} KiB"
    return f"{n} bytes"


def read_limited(response: httpx.Response, url: str, *, limit: int, max_seconds: float) -> bytes:
    """The whole (decompressed) body: `BodyTooLarge` beyond `limit` bytes, `Timeout` when it is
    still arriving after `max_seconds`."""
    deadline = time.monotonic() + max_seconds
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
    for chunk in decoded_chunks(response):
        total += len(chunk)
        if total > limit:
            raise too_large
        if time.monotonic() > deadline:
            raise Timeout(
                url,
                f"body still arriving after {max_seconds:g} s "
                f"({format_size(total)} so far); the server is too slow",
            )
        chunks.append(chunk)
    return b"".join(chunks)


# Decompressed bytes handed over at a time: httpx inflates each network read whole, so one
# 64 KiB read of a gzip bomb became ~64 MiB in memory before the size limit could look at it.
_INFLATE_STEP = 64 * KIB


def decoded_chunks(response: httpx.Response) -> Iterator[bytes]:
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
