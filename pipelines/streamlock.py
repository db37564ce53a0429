"""One process streams a source at a time: a lock file beside the warehouse per stream source.

Kept apart from `pipelines.stream` so that `earshot sources` can ask who streams without
loading the stream's parts (spaCy, the listener).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class StreamBusy(Exception):
    """Another process streams the source; the message names the lock file and its holder."""


def stream_lock_path(warehouse: Path, source_id: str) -> Path:
    return warehouse.with_name(f"{warehouse.name}.stream-{source_id}.lock")


@contextlib.contextmanager
def streaming_lock(warehouse: Path, source_id: str) -> Iterator[None]:
    """Hold the source's stream lock, or raise `StreamBusy` naming its holder."""
    path = stream_lock_path(warehouse, source_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise StreamBusy(
                f"{path}: source {source_id!r} is streaming already ({holder})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid={os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the flock


def stream_holder(warehouse: Path, source_id: str) -> str | None:
    """Who streams the source now ("pid=..."), or None when no process does."""
    path = stream_lock_path(warehouse, source_id)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
