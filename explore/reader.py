"""The analytics copy as the app reads it: one read-only connection, reopened when a publish
replaced the file, and a cursor of it per request (DuckDB cursors are safe across threads)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb

from earshot.warehouse.publish import open_analytics_copy

T = TypeVar("T")
MEMO_ENTRIES = 64


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

    A copy never changes once published, so what a page computed from it (a week's digest)
    is kept with it (`memo`) until the next copy replaces it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._reading = 0  # requests holding a cursor of `_con`
        self._memo: OrderedDict[Hashable, object] = OrderedDict()
        self._computing: set[Hashable] = set()  # memo slots being computed now
        # called (in a thread of their own) each time a new copy was opened: warm the memo
        self.on_open: list[Callable[[], None]] = []

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        stamp = _stamp(self.path)
        opened = False
        with self._cond:
            if self._con is None or stamp != self._stamp:
                self._cond.wait_for(lambda: self._reading == 0)
                if self._con is not None:
                    self._con.close()
                    self._con = None
                self._con = open_analytics_copy(self.path)  # WarehouseError naming the file
                self._stamp = stamp
                self._memo.clear()
                opened = True
            self._reading += 1
            con = self._con
        if opened:
            for warm in self.on_open:
                threading.Thread(target=warm, daemon=True, name="explore-warm").start()
        return con

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

    def memo(self, key: Hashable, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`compute(cursor)` of the current copy, computed once per copy and `key`: a second
        request for a key being computed waits for that computation instead of repeating it."""
        con = self._acquire()
        try:
            with self._cond:
                slot = (self._stamp, key)
                while slot in self._computing:
                    self._cond.wait()
                if slot in self._memo:
                    self._memo.move_to_end(slot)
                    return self._memo[slot]  # type: ignore[return-value]
                self._computing.add(slot)
            try:
                cur = con.cursor()
                try:
                    value = compute(cur)
                finally:
                    cur.close()
                with self._cond:
                    if self._stamp == slot[0]:
                        self._memo[slot] = value
                        while len(self._memo) > MEMO_ENTRIES:
                            self._memo.popitem(last=False)
            finally:
                with self._cond:
                    self._computing.discard(slot)
                    self._cond.notify_all()
            return value
        finally:
            self._release()

    @property
    def opened_stamp(self) -> tuple[int, int, int] | None:
        """The stamp (inode, mtime, size) of the copy open now; None before the first read."""
        with self._cond:
            return self._stamp

    def current_stamp(self) -> tuple[int, int, int] | None:
        """The stamp of the file at `path` now: differs from `opened_stamp` once a publish
        replaced it (the next read opens the new copy)."""
        return _stamp(self.path)

    def refresh(self) -> None:
        """Open the copy now if a publish replaced it (after a correction, or polled by the
        server so that the first page after a scheduled publish finds the memo warm)."""
        self._acquire()
        self._release()

    def close(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._reading == 0)
            if self._con is not None:
                self._con.close()
            self._con, self._stamp = None, None
