"""Corrections: stored as labels (or answered marks) through the writer lock, counted at once,
listed by the `corrections` view, never lost (re-tagging, migrations, retention, a SIGKILL of
the app right after its 200)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import httpx
import pytest
import yaml

from earshot.nlp.records import Annotation
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.retention import prune_raw
from tests.explore.support import TOKEN, Site, site_settings
from tests.reports.history import WEEK

ROOT = Path(__file__).resolve().parents[2]


def _topic(c: httpx.Client, topic_id: str) -> dict[str, object]:
    body = c.get(f"/api/weeks/{WEEK}").json()
    found: dict[str, object] = next(t for t in body["topics"] if t["topic_id"] == topic_id)
    return found


def _corrections(path: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT kind, post_id, topic_id, relevant, sentiment, corrected_by "
            "FROM corrections ORDER BY corrected_at, correction_id"
        ).fetchall()
    finally:
        con.close()


def test_a_sentiment_correction_counts_at_once(writable_site: Site) -> None:
    post_id = writable_site.post_id("p0-0")  # a negative price post of W47
    with writable_site.client() as c:
        before = _topic(c, "price")
        r = c.post("/api/corrections", json={"post_id": post_id, "sentiment": "positive"})
        assert r.status_code == 200, r.text
        stored = r.json()
        assert stored["kind"] == "sentiment" and stored["sentiment"] == "positive"
        assert stored["post_id"] == post_id and stored["corrected_by"] == "tester"
        assert stored["correction_id"].startswith("label-")
        after = _topic(c, "price")  # the app's next read: the republished copy
        listed = c.get(
            "/api/posts", params={"week": WEEK, "topic": "price", "sentiment": "positive"}
        ).json()
    assert before["rated_posts"] == after["rated_posts"] == 24
    assert before["negative_share"] == pytest.approx(15 / 24)
    assert after["negative_share"] == pytest.approx(14 / 24)
    assert after["avg_sentiment"] > before["avg_sentiment"]  # type: ignore[operator]
    assert [p["post_id"] for p in listed["posts"]] == [post_id]
    rows = _corrections(writable_site.settings.warehouse_path)
    assert rows == [("sentiment", post_id, None, None, "positive", "tester")]
    con = duckdb.connect(str(writable_site.settings.warehouse_path), read_only=True)
    try:
        label = con.execute(
            "SELECT origin, labelled_by, sentiment FROM _labels WHERE post_id = ?", [post_id]
        ).fetchall()
    finally:
        con.close()
    assert label == [("explore", "tester", "positive")]  # a label: learning trains on it


def test_topic_and_answered_corrections_are_stored_and_listed(writable_site: Site) -> None:
    s = writable_site

    def questions(page: str) -> str:
        return page.split('id="questions"', 1)[1].split("</section>", 1)[0]

    with s.client() as c:
        before = questions(c.get("/", params={"week": WEEK}).text)
        gone = c.post(
            "/api/corrections",
            json={"post_id": s.post_id("p0-1"), "topic_id": "price", "relevant": False},
        )
        added = c.post(
            "/api/corrections",
            json={"post_id": s.post_id("e0-0"), "topic_id": "climate", "relevant": True},
        )
        answered = c.post("/api/corrections", json={"post_id": s.post_id("q30"), "answered": True})
        assert [r.status_code for r in (gone, added, answered)] == [200, 200, 200]
        assert gone.json()["kind"] == "not about topic" and added.json()["kind"] == "about topic"
        assert answered.json()["correction_id"].startswith("answered-")
        after = questions(c.get("/", params={"week": WEEK}).text)
    # the answered question leaves the week's open questions (the digest's list)
    assert "Text of q30" in before and "Text of q30" not in after
    rows = _corrections(s.settings.warehouse_path)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("not about topic", s.post_id("p0-1"), "price", False),
        ("about topic", s.post_id("e0-0"), "climate", True),
        ("question answered", s.post_id("q30"), None, None),
    ]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"post_id": "nope", "sentiment": "positive"}, 404, "post_id"),
        ({"post_id": "<p0-0>", "topic_id": "nope", "relevant": False}, 404, "topic_id"),
        ({"post_id": "<p0-0>", "sentiment": "angry"}, 400, "sentiment"),
        ({"post_id": "<p0-0>", "topic_id": "price"}, 400, "relevant"),
        ({"post_id": "<p0-0>", "relevant": "no", "topic_id": "price"}, 422, "relevant"),
        ({"post_id": "<p0-0>", "sentiment": "negative", "answered": True}, 400, "correction"),
        ({"post_id": "<p0-0>", "colour": "red"}, 422, "colour"),
        ({"sentiment": "negative"}, 422, "post_id"),
    ],
)
def test_bad_corrections_are_refused_naming_the_field(
    site: Site, body: dict[str, object], status: int, field: str
) -> None:
    if body.get("post_id") == "<p0-0>":
        body = {**body, "post_id": site.post_id("p0-0")}
    with site.client() as c:
        r = c.post("/api/corrections", json=body)
    assert r.status_code == status, r.text
    assert r.json()["detail"].startswith(f"{field}: ")
    assert _corrections(site.settings.warehouse_path) == []


def test_the_correction_form_stores_and_returns_to_the_post(writable_site: Site) -> None:
    from earshot.explore.auth import csrf_token

    s = writable_site
    post_id = s.post_id("p0-2")
    back = f"/posts?week={WEEK}&topic=price"
    with s.client(auth=False) as c:
        c.get(f"/?token={TOKEN}")
        r = c.post(
            "/corrections",
            data={
                "csrf": csrf_token(TOKEN),
                "post_id": post_id,
                "action": "sentiment:neutral",
                "back": back,
            },
        )
        assert r.status_code == 303
        assert r.headers["location"] == (
            f"/posts?week={WEEK}&topic=price&saved=sentiment#post-{post_id}"
        )
        evil = c.post(
            "/corrections",
            data={
                "csrf": csrf_token(TOKEN),
                "post_id": post_id,
                "action": "answered",
                "back": "//evil.example/x",
            },
        )
        assert evil.headers["location"].startswith("/?saved=")  # never off-site
    kinds = [r[0] for r in _corrections(s.settings.warehouse_path)]
    assert kinds == ["sentiment", "question answered"]


def test_corrections_are_kept_across_retagging_migrations_and_retention(
    writable_site: Site,
) -> None:
    s = writable_site
    post_id = s.post_id("p0-3")
    with s.client() as c:
        for body in (
            {"post_id": post_id, "sentiment": "positive"},
            {"post_id": post_id, "topic_id": "price", "relevant": False},
            {"post_id": post_id, "answered": True},
        ):
            assert c.post("/api/corrections", json=body).status_code == 200
    before = _corrections(s.settings.warehouse_path)
    con = open_warehouse(s.settings.warehouse_path)  # migrates (none pending: a no-op run)
    try:
        store_annotations(  # re-tagged by a new pipeline version
            con,
            [
                Annotation(
                    post_id=post_id,
                    lang="de",
                    lang_score=0.9,
                    sentiment=-0.9,
                    sentiment_label="negative",
                    is_question=False,
                    key_terms=(),
                    topics=(),
                )
            ],
            pipeline_version="t.v2",
            load_id="load-retag",
        )
        pruned = prune_raw(con, now=datetime(2030, 1, 1, tzinfo=UTC), keep_days=1)
        assert pruned > 0
        label = con.execute(
            "SELECT sentiment_label FROM posts WHERE post_id = ?", [post_id]
        ).fetchone()
    finally:
        con.close()
    assert label == ("positive",)  # the correction still wins over the new analysis
    assert _corrections(s.settings.warehouse_path) == before and len(before) == 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_correction_answered_200_survives_a_sigkill(
    history_file: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, names = history_file
    settings = site_settings(tmp_path, source)
    config = tmp_path / "listening.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "organisation": "Beispiel",
                "timezone": "Europe/Berlin",
                "warehouse": {"path": settings.warehouse_path.name},
                "sources": [{"id": "blog", "kind": "feed", "url": "https://blog.example.org/feed"}],
                "topics": [{"id": "price", "label": "Preise", "terms": {"de": ["preis"]}}],
            }
        ),
        encoding="utf-8",
    )
    port = _free_port()
    env = {**os.environ, "EARSHOT_EXPLORE_TOKEN": TOKEN, "EARSHOT_EXPLORE_USER": "killed"}
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "earshot.pipelines.cli",
            "explore",
            "--config",
            str(config),
            "--port",
            str(port),
            "--no-browser",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    post_id = next(pid for pid, n in names.items() if n == "p0-5")
    try:
        url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health", headers=headers).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert app.poll() is None and time.monotonic() < deadline, "explore did not start"
            time.sleep(0.1)
        r = httpx.post(
            f"{url}/api/corrections",
            json={"post_id": post_id, "topic_id": "price", "relevant": False},
            headers=headers,
            timeout=60,
        )
        assert r.status_code == 200
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=10)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode == -signal.SIGKILL
    output = app.stdout.read() if app.stdout else ""
    assert f"{url}/?token={TOKEN}" in output  # the URL it printed at start
    rows = _corrections(settings.warehouse_path)
    assert rows == [("not about topic", post_id, "price", False, None, "killed")]
