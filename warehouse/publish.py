"""The read-only analytics copy: a consistent snapshot of the warehouse for analysts.

After each write cycle the pipeline checkpoints the warehouse (all of it is then in the main
file, the write-ahead log empty) and copies the file, under the writer lock and with its own
DuckDB connection open so that no one writes meanwhile, to a temporary file beside the copy,
which then atomically replaces the copy (`os.replace`). An analyst's connection open on the
old copy keeps reading the old file (on Linux and macOS an open file outlives its name), so
analysts never block the pipeline and the pipeline never blocks them.

Publishing is the last step of a write cycle and holds the writer lock, so it is a writer: it
brings the digest facts up to date before it copies (a no-op when the cycle just refreshed
them; not one when another job's batches landed in between, as when collect and enrich
interleave), and a copy is never stale. It also indexes the posts added since the last publish
for Explore's full-text search (`warehouse.search_index`; the first publish after migration
0016 indexes every stored post, ~2 minutes at 1,000,000 posts on two cores).

Each step is timed (`Published.steps`; bench/corrections.py prints them). The fsync before the
rename is kept although the copy can be made again from the warehouse at any time: a SIGKILL
loses nothing without it (the page cache outlives the process), but after a power cut a copy
renamed before its blocks reached the disk would open and then fail mid-query until the next
publish, and "a copy that does not open is never published" would not hold. (0.2-0.4 s at
1,000,000 posts; `os.copy_file_range` copies no faster than `shutil.copyfile`'s `sendfile` on
ext4, which has no reflinks.)
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from earshot.warehouse.connection import WarehouseError, writing
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.search_index import refresh_search_index


@dataclass(frozen=True, slots=True)
class Published:
    path: Path
    bytes: int
    seconds: float
    # seconds of each step, in order: lock (waiting for the writer lock, opening the
    # warehouse), facts, search_index, checkpoint, copy, unlock (closing it, letting go of the
    # lock), check (the copy opens), fsync, replace
    steps: dict[str, float] = field(default_factory=dict)


@contextmanager
def _timed(steps: dict[str, float], name: str) -> Iterator[None]:
    """Add the block's seconds to `steps[name]`."""
    started = time.monotonic()
    try:
        yield
    finally:
        steps[name] = steps.get(name, 0.0) + time.monotonic() - started


def default_analytics_path(warehouse_path: str | Path) -> Path:
    """`data/earshot.duckdb` -> `data/earshot-analytics.duckdb`."""
    path = Path(warehouse_path)
    return path.with_name(f"{path.stem}-analytics{path.suffix or '.duckdb'}")


def publish_analytics_copy(
    warehouse_path: str | Path,
    target: str | Path,
    *,
    lock_timeout_seconds: float = 60.0,
) -> Published:
    """Replace `target` atomically with a consistent copy of the warehouse; return what was done."""
    source = Path(warehouse_path)
    target = Path(target)
    if target.resolve() == source.resolve():
        raise WarehouseError(f"{target}: the analytics copy cannot be the warehouse itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    steps: dict[str, float] = {}
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        asked = time.monotonic()
        with writing(source, lock_timeout_seconds=lock_timeout_seconds, holder="publish") as con:
            steps["lock"] = time.monotonic() - asked
            with _timed(steps, "facts"):
                refresh_facts(con)  # analysts read the digest views of the copy
            with _timed(steps, "search_index"):
                refresh_search_index(con)  # Explore searches the copy: its new posts indexed
            with _timed(steps, "checkpoint"):
                con.execute("CHECKPOINT")
            wal = source.with_name(source.name + ".wal")
            if wal.exists() and wal.stat().st_size > 0:
                raise WarehouseError(
                    f"{wal}: write-ahead log not empty after CHECKPOINT; copy not published"
                )
            with _timed(steps, "copy"):
                shutil.copyfile(source, temporary)
            copied = time.monotonic()
        steps["unlock"] = time.monotonic() - copied
        with _timed(steps, "check"):
            _check_opens(temporary)
        with _timed(steps, "fsync"), open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        with _timed(steps, "replace"):
            os.replace(temporary, target)
    except OSError as exc:
        raise WarehouseError(f"{target}: cannot publish the analytics copy: {exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return Published(target, target.stat().st_size, time.monotonic() - started, steps)


def _check_opens(copy: Path) -> None:
    """A copy that DuckDB cannot open is never published over a good one."""
    try:
        con = duckdb.connect(str(copy), read_only=True)
        try:
            con.execute("SELECT count(*) FROM _migrations").fetchall()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise WarehouseError(f"{copy}: the new analytics copy does not open: {exc}") from exc


def open_analytics_copy(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection on the analytics copy, or a clear error when there is none yet."""
    path = Path(path)
    if not path.exists():
        raise WarehouseError(
            f"{path}: no analytics copy yet; it is published after each "
            "`earshot collect`, `earshot enrich` or `earshot run`"
        )
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise WarehouseError(f"{path}: cannot open the analytics copy: {exc}") from exc
