"""`earshot backfill` end to end: a Hacker News query (Algolia search by date) and a Discourse
forum (`/posts.json?before=`) served on loopback from the recorded answers' shape, a real
`earshot backfill` process SIGKILLed half-way and run again: the date range's posts are stored
exactly once, the source's incremental state is untouched, `earshot sources` says how far back
the history goes, and the digest's baseline weeks are the backfilled ones."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from earshot.pipelines.cli import app
from earshot.pipelines.config import load_config
from earshot.pipelines.jobs import warehouse
from tests.listeners.feedserver import FeedServer, Reply, Request
from tests.listeners.recorded import JSON, recorded_json

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner(env={"COLUMNS": "250"})
SINCE, UNTIL = "2026-10-01", "2026-11-10"  # --until includes its day
START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 11, tzinfo=UTC)
TOP = datetime(2026, 11, 25, tzinfo=UTC)  # the newest item served


class Gate:
    """Holds the `stop_at`-th request to a path until released: the moment to kill the
    process that asked (every page before it has been stored)."""

    def __init__(self, answer: Callable[[Request], Reply], stop_at: int | None) -> None:
        self.answer, self.stop_at, self.seen = answer, stop_at, 0
        self.reached, self.release = threading.Event(), threading.Event()
        self.requests: list[Request] = []

    def __call__(self, request: Request) -> Reply:
        self.seen += 1
        self.requests.append(request)
        if self.seen == self.stop_at:
            self.reached.set()
            self.release.wait(30)
        return self.answer(request)


def _reply(document: Any) -> Reply:
    return Reply(json.dumps(document).encode(), content_type=JSON)


def _hn_hits() -> list[dict[str, Any]]:
    """240 hits of the recorded shape, three to a second (so pages split a second), newest
    first, every 18 hours back from TOP."""
    pool = {h["objectID"]: h for f in recorded_json("hackernews", "fixtures.json")
            for h in (f["reply"].get("hits") or [])}  # fmt: skip
    recorded = list(pool.values())
    hits = []
    for i in range(240):
        hit = dict(recorded[i % len(recorded)])
        when = TOP - timedelta(hours=18 * (i // 3))
        hit.update(objectID=str(900_000 + i), created_at_i=int(when.timestamp()),
                   created_at=when.strftime("%Y-%m-%dT%H:%M:%S.000Z"))  # fmt: skip
        if i % 2 == 0:  # half of them are about the topic the digest test counts
            hit.update(title="Newsletter pause explained", story_text="newsletter", _tags=["story"])
            hit.pop("comment_text", None)
        hits.append(hit)
    return hits


def _algolia(hits: list[dict[str, Any]], per_page: int | None = None) -> Callable[[Request], Reply]:
    """`search_by_date` over `hits`: numericFilters on created_at_i, hitsPerPage (or
    `per_page`), page."""

    def answer(request: Request) -> Reply:
        bounds = re.findall(r"created_at_i(>=|<)(\d+)", request.query.get("numericFilters", ""))
        low = max((int(v) for op, v in bounds if op == ">="), default=0)
        high = min((int(v) for op, v in bounds if op == "<"), default=2**40)
        chosen = [h for h in hits if low <= h["created_at_i"] < high]
        per = per_page or int(request.query["hitsPerPage"])
        page = int(request.query.get("page", 0))
        return _reply({"hits": chosen[page * per : (page + 1) * per], "page": page,
                       "nbPages": math.ceil(len(chosen) / per), "hitsPerPage": per,
                       "nbHits": len(chosen)})  # fmt: skip

    return answer


def _forum_posts() -> list[dict[str, Any]]:
    """200 posts of the recorded forum's shape, ids 1..200, one every 9 hours back from TOP."""
    recorded = recorded_json("discourse", "discuss.criticalfallibilism.com/posts.json")
    base = recorded["latest_posts"]
    posts = []
    for n in range(200):
        post = dict(base[n % len(base)])
        pid = 200 - n
        when = TOP - timedelta(hours=9 * n)
        post.update(id=pid, post_number=pid, created_at=when.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
        posts.append(post)
    return posts


def _discourse(posts: list[dict[str, Any]]) -> Callable[[Request], Reply]:
    """`/posts.json`: the 50 newest posts, or the 50 newest with an id below `before`."""

    def answer(request: Request) -> Reply:
        before = int(request.query.get("before", 10**9))
        return _reply({"latest_posts": [p for p in posts if p["id"] < before][:50]})

    return answer


@pytest.fixture
def served() -> Iterator[tuple[FeedServer, dict[str, Gate]]]:
    with FeedServer() as server:
        gates = {
            "hn": Gate(_algolia(_hn_hits()), stop_at=2),
            "forum": Gate(_discourse(_forum_posts()), stop_at=3),
        }
        server.handle("/hn/search_by_date", gates["hn"])
        server.handle("/forum/posts.json", gates["forum"])
        yield server, gates
        for gate in gates.values():
            gate.release.set()


def _config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "listening.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "organisation": "Test",
                "timezone": "UTC",
                "http": {"retries": 0, "min_host_interval_seconds": 0},
                "sources": [
                    {
                        "id": "hn",
                        "kind": "hackernews",
                        "query": "newsletter",
                        "api_url": f"{base}/hn",
                    },
                    {"id": "forum", "kind": "discourse", "url": f"{base}/forum"},
                    {"id": "blog", "kind": "feed", "url": f"{base}/feed.xml"},
                ],
                "topics": [
                    {"id": "newsletter", "label": "Newsletter", "terms": {"en": ["newsletter"]}}
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def _backfill_process(config: Path, source: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "earshot.pipelines.cli", "backfill", source,
               "--since", SINCE, "--until", UNTIL, "--config", str(config)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "250"}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _rows(config: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(load_config(config).warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _kill_half_way_and_resume(config: Path, source: str, gate: Gate) -> tuple[int, str]:
    """SIGKILL a real `earshot backfill` while its `stop_at`-th request is held, then run
    it again; return the posts stored at the kill and the second run's output."""
    process = _backfill_process(config, source)
    try:
        assert gate.reached.wait(60), process.communicate(timeout=5)[0]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        gate.release.set()
    assert process.returncode == -signal.SIGKILL
    stored = _rows(config, f"SELECT count(*) FROM _posts WHERE source_id = '{source}'")[0][0]
    gate.stop_at = None
    again = runner.invoke(app, ["backfill", source, "--since", SINCE, "--until", UNTIL,
                                "--config", str(config)])  # fmt: skip
    assert again.exit_code == 0, again.output
    return stored, again.output


def test_hackernews_backfill_killed_half_way_resumes_and_stores_the_range_once(
    tmp_path: Path, served: tuple[FeedServer, dict[str, Gate]]
) -> None:
    server, gates = served
    config = _config(tmp_path, server.base_url)
    loaded = load_config(config)
    with warehouse(loaded) as con:  # the source's incremental state, as a collect left it
        con.execute(
            'UPDATE _sources SET state = \'{"walk": {"mark": "x"}}\' WHERE source_id = \'hn\''
        )
    stored, output = _kill_half_way_and_resume(config, "hn", gates["hn"])
    expected = {h["objectID"] for h in _hn_hits()
                if START.timestamp() <= h["created_at_i"] < END.timestamp()}  # fmt: skip
    assert 0 < stored < len(expected)  # the first page was stored before the kill
    assert "resumed" in output and "history reaches 2026-10-01" in output
    rows = _rows(config, "SELECT external_id, load_id FROM _posts WHERE source_id = 'hn'")
    assert sorted(r[0] for r in rows) == sorted(expected)  # each once, none outside the range
    # the resumed run went on below the stored page, not from the top
    resumed = [r.query["numericFilters"] for r in gates["hn"].requests[2:]]
    assert f"created_at_i<{int(END.timestamp())}" not in resumed[0]
    loads = dict(_rows(config, "SELECT load_id, status FROM _loads WHERE job = 'backfill'"))
    assert sorted(loads.values()) == ["aborted", "done"]
    assert {r[1] for r in rows} == set(loads)  # each page is marked with its run's load
    assert _rows(config, "SELECT state FROM _sources WHERE source_id = 'hn'") == [
        ('{"walk": {"mark": "x"}}',)
    ]
    assert _rows(config, "SELECT status, since FROM _backfills") == [("done", START)]
    listing = runner.invoke(app, ["sources", "--config", str(config)])
    assert listing.exit_code == 0, listing.output
    line = next(x for x in listing.output.splitlines() if x.startswith("│ hn"))
    assert "2026-10-01 (backfilled to 2026-10-01)" in line, listing.output


def test_discourse_backfill_killed_half_way_resumes_and_stores_the_range_once(
    tmp_path: Path, served: tuple[FeedServer, dict[str, Gate]]
) -> None:
    server, gates = served
    config = _config(tmp_path, server.base_url)
    stored, output = _kill_half_way_and_resume(config, "forum", gates["forum"])
    expected = {f"{server.base_url}/forum/p/{p['id']}" for p in _forum_posts()
                if START <= datetime.fromisoformat(p["created_at"]) < END}  # fmt: skip
    assert 0 < stored < len(expected)
    assert "resumed" in output
    rows = _rows(config, "SELECT external_id FROM _posts WHERE source_id = 'forum'")
    assert sorted(r[0] for r in rows) == sorted(expected)
    befores = [r.query.get("before") for r in gates["forum"].requests]
    # the held page is asked again once, and the walk stops at the first page that reaches
    # back before --since, not at the forum's end (ids 50..1 are never asked for)
    assert befores == [None, "151", "101", "101"]


def test_a_kind_that_cannot_go_back_says_so_in_one_line(tmp_path: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9")
    result = runner.invoke(app, ["backfill", "blog", "--since", SINCE, "--config", str(config)])
    assert result.exit_code == 2
    assert "kind 'feed' cannot go back" in result.output
    assert len(result.output.strip().splitlines()) == 1
    unknown = runner.invoke(app, ["backfill", "nope", "--since", SINCE, "--config", str(config)])
    assert unknown.exit_code == 2 and "no source 'nope'" in unknown.output
    future = runner.invoke(
        app, ["backfill", "hn", "--since", "2999-01-01", "--config", str(config)]
    )
    assert future.exit_code == 2 and "not in the past" in future.output


@pytest.mark.usefixtures("prefect_harness")
def test_the_digest_baseline_uses_the_backfilled_weeks(
    tmp_path: Path, served: tuple[FeedServer, dict[str, Gate]]
) -> None:
    from earshot.pipelines import flows
    from earshot.reports.digest import build_digest
    from earshot.warehouse.publish import open_analytics_copy

    server, gates = served
    gates["hn"].stop_at = None
    config = _config(tmp_path, server.base_url)
    args = ["backfill", "hn", "--since", SINCE, "--until", UNTIL, "--config", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    flows.enrich(str(config))  # tags the backfilled posts; its write cycle refreshes the facts
    con = open_analytics_copy(load_config(config).analytics_path)
    try:
        digest = build_digest(
            con, week="2026-W45", organisation="Test", timezone="UTC", language="en"
        )
    finally:
        con.close()
    newsletter = next(m for m in digest.movements if m.topic_id == "newsletter")
    # W45 (Nov 2-8) against the backfilled weeks before it (from W40, which has Oct 1)
    assert newsletter.posts > 0
    assert newsletter.baseline_weeks == 5 and (newsletter.baseline_mean or 0) > 0


# The fault matrix's faults a JSON API can throw, one after another on one Hacker News
# backfill (20 hits a page): each run stops at a new page with the failed request and the fault
# in one message, keeping every page stored before it; the next run asks for that page again
# and meets the next fault a page further on; the last fault (a 429 with a short Retry-After)
# is waited out and the run finishes with exactly the range's posts. None: the real answer.
FAULT_CHAIN: list[tuple[str, list[Reply | None], str | None]] = [
    ("connection reset", [Reply(reset=True)], "connection broken"),
    ("HTTP 503 retried", [Reply(b"", status=503, content_type="text/plain")],
     "HTTP 503 Service Unavailable (still after 1 retry)"),
    ("429 Retry-After too long", [Reply(status=429, retry_after="7200", content_type=None)],
     "the server asks us to wait 2.0 h"),
    ("truncated JSON", [Reply(b'{"hits": [{"objectID": "1"', content_type=JSON)],
     "expected JSON"),
    ("wrong content type (HTML)", [Reply(b"<html><p>Down</p></html>", content_type="text/html")],
     "expected JSON, got text/html"),
    ("timeout (no answer)", [Reply(b"{}", delay_seconds=2)], "no answer within 1 s (timeout)"),
    ("body over the size limit",
     [Reply(b"[" + b" " * (2 * 1024 * 1024) + b"]", content_type=JSON)], "body exceeds"),
    ("429 Retry-After honoured",
     [Reply(status=429, retry_after="1", content_type=None), None], None),
]  # fmt: skip


def test_backfill_faults_one_per_run_each_resumed(tmp_path: Path) -> None:
    from earshot.pipelines.backfill import plan, run_backfill

    algolia = _algolia(_hn_hits(), per_page=20)
    asked: list[str] = []  # every distinct request, in order
    run: dict[str, Any] = {}  # this run's fault: its replies, the request it hit, answers so far

    def answer(request: Request) -> Reply:
        key = json.dumps(request.query, sort_keys=True)
        new = key not in asked
        if new:
            asked.append(key)
        if run.get("hit") is None and new and run["requests"] > 0:
            run["hit"] = key  # the first page this run had not asked for before
        run["requests"] += 1
        if key != run.get("hit"):
            return algolia(request)
        replies = run["replies"]
        reply = replies[min(run["served"], len(replies) - 1)]
        run["served"] += 1
        return algolia(request) if reply is None else reply

    expected = {h["objectID"] for h in _hn_hits()
                if START.timestamp() <= h["created_at_i"] < END.timestamp()}  # fmt: skip
    with FeedServer() as server:
        server.handle("/hn/search_by_date", answer)
        config = _config(tmp_path, server.base_url)
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["http"] = {"timeout_seconds": 1, "max_seconds_per_attempt": 2, "retries": 1,
                        "backoff_seconds": 0.01, "max_body_mb": 1,
                        "min_host_interval_seconds": 0}  # fmt: skip
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        loaded = load_config(config)
        request = plan(loaded, "hn", SINCE, UNTIL)
        stored_before = 0
        for name, replies, error in FAULT_CHAIN:
            run.update(replies=replies, hit=None, requests=0, served=0)
            summary = run_backfill(loaded, request.spec, request.since, request.until)
            stored = _rows(config, "SELECT count(*), count(DISTINCT external_id) FROM _posts")[0]
            assert stored[0] == stored[1]  # nothing twice
            if error is None:
                assert summary.done and summary.error is None, name
                break
            assert not summary.done and summary.error is not None, name
            assert error in summary.error, (name, summary.error)
            assert summary.error.startswith(f"{server.base_url}/hn/search_by_date?"), name
            assert stored[0] > stored_before, name  # this run stored its pages before the fault
            stored_before = stored[0]
    rows = _rows(config, "SELECT external_id FROM _posts")
    assert sorted(r[0] for r in rows) == sorted(expected)
    loads = [r[0] for r in _rows(config, "SELECT status FROM _loads ORDER BY started_at")]
    assert loads == ["failed"] * (len(FAULT_CHAIN) - 1) + ["done"]
    assert _rows(config, "SELECT status, pages > 8 FROM _backfills") == [("done", True)]


def test_the_run_is_said_in_one_line() -> None:
    from earshot.pipelines.backfill import BackfillSummary, describe

    done = BackfillSummary("hn", START, END, resumed=True, pages=3, posts_added=40, done=True)
    assert describe(done) == (
        "backfill hn 2026-10-01..2026-11-11: resumed, 3 page(s), 40 new post(s); "
        "history reaches 2026-10-01"
    )
    ended = BackfillSummary("r", START, END, False, 9, 800, done=True, exhausted=True,
                            reached=datetime(2026, 10, 20, tzinfo=UTC))  # fmt: skip
    assert describe(ended).endswith(
        "the platform's listing ends at 2026-10-20: it serves nothing older"
    )
    stopped = BackfillSummary("hn", START, END, False, 1, 5, error="https://x/y: HTTP 500")
    assert describe(stopped).endswith("stopped: https://x/y: HTTP 500 (run it again to go on)")
