"""The republisher: a correction waits for a republish that began after it, within a bound;
corrections made during a republish share the next one."""

from __future__ import annotations

import threading
import time

from earshot.explore.publisher import Republisher


def test_a_slow_republish_answers_at_the_bound_and_later_ones_coalesce() -> None:
    gate = threading.Event()
    calls: list[int] = []
    reopened: list[int] = []

    def publish() -> None:
        calls.append(len(calls))
        gate.wait(timeout=30)

    r = Republisher(publish, lambda: reopened.append(1))
    assert r.request_and_wait(0.05) is False  # still publishing: answered at its bound
    waiting = [threading.Thread(target=r.request_and_wait, args=(30,)) for _ in range(3)]
    for t in waiting:
        t.start()
    while r._wanted < 4:  # all three asked while the first publish still runs
        time.sleep(0.01)
    gate.set()
    for t in waiting:
        t.join(timeout=30)
    assert r.request_and_wait(30) is True
    # the first publish, one shared by the three that came during it, one for the last
    assert len(calls) == 3 and len(reopened) == 3


def test_a_failed_republish_is_said_and_not_counted() -> None:
    def publish() -> None:
        raise OSError("disk full")

    r = Republisher(publish, lambda: None)
    assert r.request_and_wait(30) is False
    assert r.last_error == "disk full"


def test_pending_says_a_copy_is_on_its_way_until_it_is_made() -> None:
    """What the warm-up of the copy open now stops on; the new copy's own warm-up (run while
    it is reopened) does not see it."""
    gate = threading.Event()
    seen_while_reopening: list[bool] = []
    r = Republisher(lambda: gate.wait(timeout=30), lambda: seen_while_reopening.append(r.pending))
    assert r.pending is False
    asked = threading.Thread(target=r.request_and_wait, args=(30,))
    asked.start()
    while not r.pending:
        time.sleep(0.01)
    gate.set()
    asked.join(timeout=30)
    assert seen_while_reopening == [False] and r.pending is False
