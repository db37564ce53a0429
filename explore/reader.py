"""The analytics copy as the app reads it: one read-only connection, reopened when a publish
replaced the file, and a cursor of it per request (DuckDB cursors are safe across threads)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from earshot.warehouse.publish import open_analytics_copy


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class AnalyticsReader:
    """Cursors on the newest analytics copy at `path`.

    A publish replaces the copy atomically (a new file under the old name); the next request
    sees the new stamp and opens it, while requests in flight finish on the old connection
    (kept open until the next swap, since closing it would close their cursors).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._retired: list[duckdb.DuckDBPyConnection] = []

    def _current(self) -> duckdb.DuckDBPyConnection:
        stamp = _stamp(self.path)
        with self._lock:
            if self._con is None or stamp != self._stamp:
                con = open_analytics_copy(self.path)  # WarehouseError naming the file
                for old in self._retired:
                    old.close()
                self._retired = [self._con] if self._con is not None else []
                self._con, self._stamp = con, stamp
            return self._con

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._current().cursor()
        try:
            yield cur
        finally:
            cur.close()

    def refresh(self) -> None:
        """Open the copy now if a publish replaced it (after a correction)."""
        self._current()

    def close(self) -> None:
        with self._lock:
            for con in [*self._retired, *([self._con] if self._con else [])]:
                con.close()
            self._con, self._retired = None, []
