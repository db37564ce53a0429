"""The teach page (`/teach`) on a served history: the queue `earshot labels next` computes
(the same function and judge), its bound on `n`, and a post labelled through its form leaving
the queue."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from earshot.explore.auth import csrf_token
from earshot.explore.teach import judging
from earshot.listeners.records import Post
from earshot.nlp.judging import build_judge
from earshot.nlp.records import Annotation, TopicMatch
from earshot.pipelines.cli import entry_point
from earshot.pipelines.config import LoadedConfig, load_config
from earshot.pipelines.explore import explore_settings
from earshot.pipelines.jobs import warehouse
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.labels import labelled_texts
from earshot.warehouse.publish import publish_analytics_copy
from earshot.warehouse.sources import insert_posts
from earshot.warehouse.teach import relevance_labels, teach_queue
from tests.explore.support import TOKEN, Site, serve
from tests.pipelines.test_cli import make_config

POST_ID = re.compile(r'<li class="teach-item" data-post="([^"]+)"')
QUESTION = re.compile(r'<li class="teach-item" data-post="([^"]+)" data-question="([^"]+)"')


def offered(page: str) -> list[str]:
    return POST_ID.findall(page)


def cli_queue(site: Site, n: int) -> list[str]:
    """The queue on the warehouse itself, as `earshot labels next --n N` computes it."""
    con = open_warehouse(site.settings.warehouse_path, read_only=True)
    try:
        judge = build_judge(
            judging(site.settings), labelled_texts(con), relevance_labelled=relevance_labels(con)
        )
        return [item.post_id for item in teach_queue(con, judge, n)]
    finally:
        con.close()


def test_the_teach_page_lists_the_queue_of_labels_next(site: Site) -> None:
    with site.client() as c:
        page = c.get("/teach")
        assert page.status_code == 200, page.text
        shown = offered(page.text)
        assert len(shown) == 20 and len(set(shown)) == 20
        assert shown == cli_queue(site, 20)
        assert 'href="/teach"' in page.text and 'aria-current="page">Anlernen<' in page.text
        # each post with its topic, week and the correction forms (sentiment and topic)
        assert page.text.count('value="sentiment:neutral"') == 20
        assert "not_about:" in page.text and "Woche: <a" in page.text
        five = offered(c.get("/teach?n=5").text)
        assert five == shown[:5]  # a shorter queue is the head of the longer one


def test_a_count_out_of_bounds_is_refused_naming_n(site: Site) -> None:
    with site.client() as c:
        for bad in ("0", "101", "zwanzig"):
            r = c.get(f"/teach?n={bad}")
            assert r.status_code == 422, (bad, r.text)
            assert "n: " in r.text
        assert c.get("/teach?n=100").status_code == 200


def test_a_post_labelled_through_the_page_leaves_the_queue(writable_site: Site) -> None:
    s = writable_site
    with s.client(auth=False) as c:
        c.get(f"/?token={TOKEN}")  # the session cookie
        before = offered(c.get("/teach").text)
        first = before[0]
        r = c.post(
            "/corrections",
            data={
                "csrf": csrf_token(TOKEN),
                "post_id": first,
                "action": "sentiment:negative",
                "back": "/teach",
            },
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/teach?saved=")
        after_page = c.get(r.headers["location"])
        after = offered(after_page.text)
        assert first not in after and len(after) == 20
        assert after == cli_queue(s, 20)  # the page's queue is the warehouse's, at once
        # a topic verdict is a label too
        tagged = after[0]
        r = c.post(
            "/corrections",
            data={
                "csrf": csrf_token(TOKEN),
                "post_id": tagged,
                "action": "about",
                "about_topic": "climate",
                "back": "/teach",
            },
        )
        assert r.status_code == 303, r.text
        assert tagged not in offered(c.get("/teach").text)


def _service_posts(loaded: LoadedConfig, texts: list[str], tagged: int) -> list[str]:
    """German posts of the config's `blog` feed, the first `tagged` matched by `service`."""
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    with warehouse(loaded):  # migrated, the config's sources and topics synced
        pass
    con = open_warehouse(loaded.warehouse_path)
    try:
        posts = [
            Post("feed", "blog", f"i{n}", f"https://blog.example.org/{n}", None, None, None,
                 text, "de", now, now)
            for n, text in enumerate(texts)
        ]  # fmt: skip
        insert_posts(con, posts, load_id="collect-1")
        ids = [pid for (pid,) in con.execute("SELECT post_id FROM _posts ORDER BY url").fetchall()]
        match = (TopicMatch("service", None, ("Kundenservice",)),)
        store_annotations(
            con,
            [
                Annotation(pid, "de", 0.99, 0.0, "neutral", False, (), match if n < tagged else ())
                for n, pid in enumerate(ids)
            ],
            pipeline_version="v1",
            load_id="enrich-1",
        )
    finally:
        con.close()
    return ids


def test_the_page_asks_what_labels_next_asks_relevance_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path)
    loaded = load_config(config)
    texts = [f"Kundenservice Anruf Nummer {n} heute" for n in range(14)] + [
        f"Der Zug Nummer {n} fährt heute" for n in range(6)
    ]
    ids = sorted(_service_posts(loaded, texts, 14))
    # ids are ordered by URL: 0, 1, 10, 11, ...; label six of the matched posts' relevance
    by_text = dict(
        zip(sorted(f"https://blog.example.org/{n}" for n in range(20)), ids, strict=True)
    )
    labelled = [by_text[f"https://blog.example.org/{n}"] for n in range(6)]
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "post_id,topic,relevant\n"
        + "".join(
            f"{pid},service,{'true' if k < 3 else 'false'}\n" for k, pid in enumerate(labelled)
        ),
        encoding="utf-8",
    )
    assert entry_point(["labels", "import", str(labels), "--config", str(config)]) == 0
    capsys.readouterr()
    assert entry_point(["labels", "next", "--n", "8", "--config", str(config)]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    asked = [(fields[0], fields[3]) for fields in lines]
    assert len(asked) == 8 and not set(labelled) & {pid for pid, _ in asked}
    assert {q for _, q in asked} == {"sentiment", "relevant"}  # a provisional relevance model
    publish_analytics_copy(loaded.warehouse_path, loaded.analytics_path)
    settings = replace(explore_settings(loaded, host="127.0.0.1", port=0), token=TOKEN)
    assert settings.teach is not None and settings.teach.models_folder == loaded.models_path
    for url in serve(settings):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            page = c.get("/teach?n=8").text
    shown = QUESTION.findall(page)
    assert shown == [(pid, "relevance" if q == "relevant" else q) for pid, q in asked]
    assert "Question: is it about Service?" in page
