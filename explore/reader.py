"""The analytics copy as the app reads it: one read-only connection, reopened when a publish
replaced the file, and a cursor of it per request (DuckDB cursors are safe across threads)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from earshot.warehouse.connection import WarehouseError
from earshot.warehouse.publish import open_analytics_copy

T = TypeVar("T")
MEMO_ENTRIES = 64


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@dataclass(eq=False)
class _Opened:
    """One copy as opened: its connection, its stamp, the requests reading it, and the name
    it was opened under (a hard link of its own, removed when it is closed; None: opened
    under the copy's name)."""

    con: duckdb.DuckDBPyConnection
    stamp: tuple[int, int, int] | None
    alias: Path | None
    readers: int = 0

    def close(self) -> None:
        self.con.close()
        if self.alias is not None:
            self.alias.unlink(missing_ok=True)


class AnalyticsReader:
    """Cursors on the newest analytics copy at `path`.

    A publish replaces the copy atomically (a new file under the old name). The next request
    sees the new stamp and opens the new copy at once, under a name of its own (a hard link
    `.<name>.<pid>.<n>.open` beside it: while a connection of a path is open, DuckDB hands a
    new `connect` of the same path the same, old, database); requests still reading the old
    copy finish on it, and the last of them closes it. (Where no hard link can be made, the
    new copy waits for the old one's readers, which is then closed first.)

    A copy never changes once published, so what a page computed from it (a week's digest)
    is kept with it (`memo`) until the next copy replaces it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._open: _Opened | None = None
        self._retired: list[_Opened] = []  # older copies that requests still read
        self._opened = 0  # copies opened so far (names the links)
        self._closing: list[threading.Thread] = []  # closing older copies
        self._memo: OrderedDict[Hashable, object] = OrderedDict()
        self._computing: set[Hashable] = set()  # memo slots being computed now
        # called (in a thread of their own) each time a new copy was opened: warm the memo
        self.on_open: list[Callable[[], None]] = []
        _remove_stale_links(path)

    @property
    def _open_stamp(self) -> tuple[int, int, int] | None:
        return self._open.stamp if self._open is not None else None

    def _acquire(self) -> _Opened:
        stamp = _stamp(self.path)
        opened = False
        closing: list[_Opened] = []
        with self._cond:
            if self._open is None or stamp != self._open.stamp:
                old, self._open = self._open, None
                if old is not None:
                    self._retired.append(old)
                self._open = self._open_copy()
                closing = [r for r in self._retired if r.readers == 0]
                self._retired = [r for r in self._retired if r.readers > 0]
                self._memo.clear()
                opened = True
            self._open.readers += 1
            held = self._open
        if closing:  # freeing an old copy's blocks takes ~0.1 s at 1,000,000 posts: not here
            self._close_aside(closing)
        if opened:
            for warm in self.on_open:
                threading.Thread(target=warm, daemon=True, name="explore-warm").start()
        return held

    def _open_copy(self) -> _Opened:
        """The copy at `path` now, opened under a link of its own (called holding `_cond`)."""
        if not self.path.exists():
            open_analytics_copy(self.path)  # WarehouseError: no analytics copy yet
        self._opened += 1
        alias = self.path.with_name(f".{self.path.name}.{os.getpid()}.{self._opened}.open")
        try:
            alias.unlink(missing_ok=True)
            os.link(self.path, alias)
        except OSError:
            # no link here: the old copies are closed first (their readers waited for)
            self._cond.wait_for(lambda: all(r.readers == 0 for r in self._retired))
            for old in self._retired:
                old.close()
            self._retired = []
            return _Opened(open_analytics_copy(self.path), _stamp(self.path), None)
        try:
            con = duckdb.connect(str(alias), read_only=True)
        except duckdb.Error as exc:
            alias.unlink(missing_ok=True)
            raise WarehouseError(f"{self.path}: cannot open the analytics copy: {exc}") from exc
        return _Opened(con, _stamp(alias), alias)

    def _release(self, held: _Opened) -> None:
        with self._cond:
            held.readers -= 1
            done = held is not self._open and held.readers == 0 and held in self._retired
            if done:
                self._retired.remove(held)
            self._cond.notify_all()
        if done:
            self._close_aside([held])  # the last reader of an older copy has it closed

    def _close_aside(self, copies: list[_Opened]) -> None:
        """Close older copies in a thread of their own (`close` waits for it)."""

        def close_all() -> None:
            for held in copies:
                held.close()

        thread = threading.Thread(target=close_all, daemon=True, name="explore-close")
        with self._cond:
            self._closing = [t for t in self._closing if t.is_alive()] + [thread]
        thread.start()

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        held = self._acquire()
        try:
            cur = held.con.cursor()
            try:
                yield cur
            finally:
                cur.close()
        finally:
            self._release(held)

    def memo(self, key: Hashable, compute: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """`compute(cursor)` of the current copy, computed once per copy and `key`: a second
        request for a key being computed waits for that computation instead of repeating it."""
        held = self._acquire()
        try:
            with self._cond:
                slot = (held.stamp, key)
                while slot in self._computing:
                    self._cond.wait()
                if slot in self._memo:
                    self._memo.move_to_end(slot)
                    return self._memo[slot]  # type: ignore[return-value]
                self._computing.add(slot)
            try:
                cur = held.con.cursor()
                try:
                    value = compute(cur)
                finally:
                    cur.close()
                with self._cond:
                    if self._open_stamp == slot[0]:
                        self._memo[slot] = value
                        while len(self._memo) > MEMO_ENTRIES:
                            self._memo.popitem(last=False)
            finally:
                with self._cond:
                    self._computing.discard(slot)
                    self._cond.notify_all()
            return value
        finally:
            self._release(held)

    def peek(self, key: Hashable) -> object | None:
        """What `memo` holds for `key` on the copy open now, or None (nothing computed, nothing
        waited for)."""
        with self._cond:
            if self._open is None or self._open.stamp != _stamp(self.path):
                return None  # a newer copy is on its way: its own memo will be filled
            return self._memo.get((self._open.stamp, key))

    @property
    def opened_stamp(self) -> tuple[int, int, int] | None:
        """The stamp (inode, mtime, size) of the copy open now; None before the first read."""
        with self._cond:
            return self._open_stamp

    def current_stamp(self) -> tuple[int, int, int] | None:
        """The stamp of the file at `path` now: differs from `opened_stamp` once a publish
        replaced it (the next read opens the new copy)."""
        return _stamp(self.path)

    def refresh(self) -> None:
        """Open the copy now if a publish replaced it (after a correction, or polled by the
        server so that the first page after a scheduled publish finds the memo warm)."""
        self._release(self._acquire())

    def close(self) -> None:
        with self._cond:
            self._cond.wait_for(
                lambda: all(r.readers == 0 for r in [*self._retired, *filter(None, [self._open])])
            )
            for held in [*self._retired, *filter(None, [self._open])]:
                held.close()
            self._open, self._retired = None, []
            closing, self._closing = self._closing, []
        for thread in closing:
            thread.join()


def _remove_stale_links(path: Path) -> None:
    """Links a process left behind when it was killed (`.<name>.<pid>.<n>.open`)."""
    for link in path.parent.glob(f".{path.name}.*.open"):
        pid = link.name.removeprefix(f".{path.name}.").split(".", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            link.unlink(missing_ok=True)
        except OSError:
            pass  # another user's process: alive
