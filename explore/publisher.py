"""Republishing the analytics copy after corrections: one background worker, coalescing.

A correction is stored (and durable) before its request waits here. The request then waits
for a republish that started after its store, up to `wait_seconds`: at 100,000 posts ~0.5 s,
at 1,000,000 posts ~2-2.5 s on the shared machine (`bench/corrections.py`), and the answer's
page already counts it. Should it take longer, the request answers when its bound is up, and
the worker finishes the republish in the background. Corrections made meanwhile share the
next republish instead of queueing one each; `pending` tells the warm-up of the copy open now
that it is about to be replaced.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Republisher:
    """Runs `publish` (then `after`) in a worker thread whenever asked, at most one at a time."""

    def __init__(self, publish: Callable[[], object], after: Callable[[], None]) -> None:
        self._publish, self._after = publish, after
        self._cond = threading.Condition()
        self._wanted = 0  # generation asked for
        self._done = 0  # generation whose publish finished (successfully or not)
        self._copied = 0  # generation whose publish finished, before its copy is reopened
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.last_seconds: float | None = None
        self.last_result: object = None  # what the last successful `publish` returned

    @property
    def pending(self) -> bool:
        """A republish was asked for whose copy is not made yet: the copy open now (or the one
        being opened) will be replaced soon."""
        with self._cond:
            return self._wanted > self._copied

    def request_and_wait(self, wait_seconds: float) -> bool:
        """Ask for a republish after now; True when one finished within `wait_seconds`."""
        with self._cond:
            self._wanted += 1
            mine = self._wanted
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="republish")
                self._thread.start()
            self._cond.notify_all()
            finished = self._cond.wait_for(lambda: self._done >= mine, timeout=wait_seconds)
            return bool(finished) and self.last_error is None

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: self._wanted > self._done, timeout=60):
                    self._thread = None
                    return
                taking = self._wanted
            started = time.monotonic()
            try:
                result = self._publish()
                with self._cond:
                    self._copied = taking
                self._after()
                error = None
                self.last_result = result
            except Exception as exc:  # said once per failed republish; the next cycle publishes
                error = str(exc)
                print(f"explore: republishing the analytics copy: {exc}", flush=True)
            with self._cond:
                self._copied = taking
                self.last_error = error
                self.last_seconds = time.monotonic() - started
                self._done = taking
                self._cond.notify_all()
