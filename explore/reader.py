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

    A publish replaces the copy atomically (a new file under the old name). The next request
    sees the new stamp, waits for the requests still reading the old file, closes it and
    opens the new one. (The old connection must be closed first: while it is open, DuckDB
    hands a new `connect` of the same path the same, old, database.)
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._reading = 0  # requests holding a cursor of `_con`

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        stamp = _stamp(self.path)
        with self._cond:
            if self._con is None or stamp != self._stamp:
                self._cond.wait_for(lambda: self._reading == 0)
                if self._con is not None:
                    self._con.close()
                    self._con = None
                self._con = open_analytics_copy(self.path)  # WarehouseError naming the file
                self._stamp = stamp
            self._reading += 1
            return self._con

    def _release(self) -> None:
        with self._cond:
            self._reading -= 1
            self._cond.notify_all()

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._acquire()
        try:
            cur = con.cursor()
            try:
                yield cur
            finally:
                cur.close()
        finally:
            self._release()

    def refresh(self) -> None:
        """Open the copy now if a publish replaced it (after a correction)."""
        self._acquire()
        self._release()

    def close(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._reading == 0)
            if self._con is not None:
                self._con.close()
            self._con, self._stamp = None, None
