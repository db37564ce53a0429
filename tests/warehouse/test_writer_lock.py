"""Writers take turns on the warehouse's writer lock, batch by batch, across processes."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest

from earshot.warehouse import WarehouseError, WarehouseLocked, open_warehouse
from earshot.warehouse.connection import writer_lock_path, writing
from earshot.warehouse.loads import start_load

ROOT = Path(__file__).resolve().parents[2]

# One writer process: `rounds` short writes, each recording when it held the lock; between
# writes it works without the lock (as collect fetches and enrich tags between batches).
WRITER = textwrap.dedent(
    """
    import sys, time
    from earshot.warehouse.connection import writing
    path, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    sys.stdin.readline()  # both writers start together
    for i in range(rounds):
        with writing(path, lock_timeout_seconds=60) as con:
            start = time.time()
            con.execute("INSERT INTO turns VALUES (?, ?, ?, NULL)", [name, i, start])
            time.sleep(0.02)  # a batch takes a while; a second writer must wait for it
            con.execute(
                "UPDATE turns SET ended = ? WHERE writer = ? AND round = ?",
                [time.time(), name, i],
            )
        # no pause: a busy writer comes straight back for the lock and must not starve the other
    print("done", flush=True)
    """
)

# Holds the writer lock (or, with `load`, runs a load) until its stdin closes.
HOLDER = textwrap.dedent(
    """
    import sys
    from earshot.warehouse.connection import writer_lock, writing
    from earshot.warehouse.loads import start_load
    path, what = sys.argv[1], sys.argv[2]
    if what == "lock":
        with writer_lock(path, holder="nightly-import"):
            print("holding", flush=True)
            sys.stdin.read()
    else:
        with writing(path) as con:
            print(start_load(con, "enrich"), flush=True)
        sys.stdin.read()
    """
)


def spawn(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "w.duckdb"
    con = open_warehouse(p)
    con.execute("CREATE TABLE turns (writer VARCHAR, round INTEGER, started DOUBLE, ended DOUBLE)")
    con.close()
    return p


def test_two_writer_processes_take_turns_without_failing(path: Path) -> None:
    writers = [spawn(WRITER, str(path), name, "8") for name in ("a", "b")]
    for w in writers:
        assert w.stdout is not None and w.stdout.readline().strip() == "ready"
    for w in writers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    for w in writers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err  # never failed on DuckDB's lock
        assert out.strip() == "done"
    con = duckdb.connect(str(path), read_only=True)
    turns = con.execute("SELECT writer, started, ended FROM turns ORDER BY started").fetchall()
    con.close()
    assert len(turns) == 16 and all(ended is not None for _w, _s, ended in turns)
    # the lock was held per write only, and handed over fairly: the writers took turns ...
    order = [w for w, _s, _e in turns]
    assert sum(1 for x, y in itertools.pairwise(order) if x != y) >= 6
    # ... and no two writes overlapped
    for (_w1, _s1, end), (_w2, start, _e2) in itertools.pairwise(turns):
        assert end <= start


def test_a_writer_kept_waiting_too_long_fails_naming_the_lock_file(path: Path) -> None:
    holder = spawn(HOLDER, str(path), "lock")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseLocked) as caught, writing(path, lock_timeout_seconds=0.3):
            pass
        message = str(caught.value)
        assert str(writer_lock_path(path)) in message
        assert f"nightly-import pid={holder.pid}" in message
        assert "lock_timeout_seconds" in message
    finally:
        holder.communicate("", timeout=30)
    # released: the next writer gets in at once
    with writing(path, lock_timeout_seconds=5) as con:
        assert con.execute("SELECT count(*) FROM turns").fetchall() == [(0,)]


def test_a_waiting_writer_gets_the_lock_when_the_holder_lets_go(path: Path) -> None:
    holder = spawn(HOLDER, str(path), "lock")
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    # let go while we wait: a timer thread ends the holder's block
    threading.Timer(0.3, lambda: holder.stdin and holder.stdin.close()).start()
    with writing(path, lock_timeout_seconds=30) as con:
        assert holder.wait(timeout=30) == 0  # we only got in once the holder was done
        con.execute("INSERT INTO turns VALUES ('after', 0, 0, 0)")


def test_only_loads_of_dead_processes_are_marked_aborted(path: Path) -> None:
    other = spawn(HOLDER, str(path), "load")
    try:
        assert other.stdout is not None
        running = other.stdout.readline().strip()
        assert running.startswith("enrich-"), other.stderr and other.stderr.read()
        with writing(path) as con:
            mine = start_load(con, "collect")
            statuses = dict(con.execute("SELECT load_id, status FROM _loads").fetchall())
        # the other job is alive and merely between batches: its load stays running
        assert statuses == {running: "running", mine: "running"}
    finally:
        other.kill()
        other.wait()
    with writing(path) as con:
        start_load(con, "collect")
        status = con.execute("SELECT status FROM _loads WHERE load_id = ?", [running]).fetchall()
    assert status == [("aborted",)]


def test_a_nested_write_in_one_thread_fails_at_once_instead_of_waiting_for_itself(
    path: Path,
) -> None:
    with writing(path, lock_timeout_seconds=60) as con:
        nested = writing(path, lock_timeout_seconds=60)
        with pytest.raises(WarehouseError, match="already holds the writer lock"), nested:
            pass
        con.execute("INSERT INTO turns VALUES ('outer', 0, 0, 0)")  # the outer one still works
    with writing(path, lock_timeout_seconds=1):  # and was released
        pass
