"""Opening the DuckDB file: create folders, serialise Earshot's writers, wait for DuckDB's lock,
migrate.

DuckDB allows one writing process per file. Earshot's jobs take a writer lock (an exclusive
`flock` on `<warehouse>.writer.lock`, next to the file) around each short write, so two jobs
take turns batch by batch instead of failing on DuckDB's own lock; a job that cannot get the
lock within its timeout fails naming the lock file and who holds it. (`flock` needs a local
file system: Linux or macOS, not a network share.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb


class WarehouseError(Exception):
    """A warehouse problem, with the file it concerns in the message."""


class WarehouseLocked(WarehouseError):
    """Another process holds DuckDB's write lock for longer than we were willing to wait."""


def writer_lock_path(path: str | Path) -> Path:
    """The lock file Earshot's writers take turns on: `<warehouse>.writer.lock`."""
    path = Path(path)
    return path.with_name(path.name + ".writer.lock")


@contextlib.contextmanager
def writer_lock(
    path: str | Path, *, timeout_seconds: float = 60.0, holder: str = "earshot"
) -> Iterator[None]:
    """Hold the warehouse's writer lock, waiting up to `timeout_seconds`.

    The lock is an exclusive `flock` on its own open file description, so it serialises
    threads of one process as well as processes. Writers queue through a second lock, the
    gate (`<warehouse>.writer.gate`): a writer takes the gate, then the lock, then lets go
    of the gate; a writer that just released the lock must take the gate again, which the
    next waiter holds, so a busy writer (collect storing one result after another) cannot
    starve a waiting one. The holder (`holder`, pid, host, since) is written into the lock
    file, so a writer that gives up can say who is in the way.
    """
    lock = writer_lock_path(path)
    held: set[Path] = _held.__dict__.setdefault("locks", set())
    key = lock.resolve()
    if key in held:
        raise WarehouseError(
            f"{lock}: this thread already holds the writer lock; a nested write would wait "
            "for itself (use the connection you have)"
        )
    lock.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_seconds
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        gate = os.open(lock.with_suffix(".gate"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _flock(gate, deadline, lock, fd, timeout_seconds)
            try:
                _flock(fd, deadline, lock, fd, timeout_seconds)
            finally:
                fcntl.flock(gate, fcntl.LOCK_UN)
        finally:
            os.close(gate)
        stamp = f"{holder} pid={os.getpid()} host={socket.gethostname()} "
        stamp += f"since={datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, stamp.encode(), 0)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


_held = threading.local()  # the lock files this thread holds


def _flock(fd: int, deadline: float, lock: Path, lock_fd: int, timeout_seconds: float) -> None:
    delay = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"{lock}: another Earshot job has held the warehouse writer lock for "
                    f"longer than {timeout_seconds:g} s (holder: {_holder(lock_fd)}); "
                    "raise warehouse.lock_timeout_seconds or look at that job"
                ) from None
            time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
            delay = min(delay * 2, 0.05)


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 512, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "unknown"


def open_warehouse(
    path: str | Path,
    *,
    read_only: bool = False,
    lock_timeout_seconds: float = 60.0,
    memory_limit: str | None = None,
    migrate: bool = True,
) -> duckdb.DuckDBPyConnection:
    """Open (and, when writable and `migrate`, migrate) the warehouse at `path`.

    DuckDB allows one writing process; if another holds the lock we retry with backoff for
    up to `lock_timeout_seconds`, then fail naming the file.
    """
    from earshot.warehouse.migrate import migrate as apply_migrations  # migrate imports this module

    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"{path}: warehouse file does not exist yet; run `earshot collect`")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": memory_limit} if memory_limit else {}
    )
    deadline = time.monotonic() + lock_timeout_seconds
    delay = 0.1
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"{path}: cannot open warehouse: {exc}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"{path}: another process holds the warehouse write lock "
                    f"(waited {lock_timeout_seconds:.0f} s): {exc}"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    if not read_only and migrate:
        apply_migrations(con)
    return con


@contextlib.contextmanager
def writing(
    path: str | Path,
    *,
    lock_timeout_seconds: float = 60.0,
    migrate: bool = False,
    memory_limit: str | None = None,
    holder: str = "earshot",
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One short write: take the writer lock, open the warehouse, yield, close, release.

    Both waits (Earshot's writer lock, then DuckDB's own lock, which a non-Earshot process
    may hold) share one `lock_timeout_seconds` budget. Keep the block short (one batch):
    every other writer waits for it.
    """
    deadline = time.monotonic() + lock_timeout_seconds
    with writer_lock(path, timeout_seconds=lock_timeout_seconds, holder=holder):
        con = open_warehouse(
            path,
            lock_timeout_seconds=max(deadline - time.monotonic(), 0.1),
            memory_limit=memory_limit,
            migrate=migrate,
        )
        try:
            yield con
        finally:
            con.close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN, then COMMIT when the block ends, ROLLBACK (and re-raise) when it raises.

    The one place a warehouse transaction is opened: its writes commit together or not at all.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
