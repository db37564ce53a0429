"""The teach page (`/teach`) on a served history: the queue `earshot labels next` computes
(the same function and judge), its bound on `n`, and a post labelled through its form leaving
the queue."""

from __future__ import annotations

import re

from earshot.explore.auth import csrf_token
from earshot.explore.teach import judging
from earshot.nlp.teach import build_judge
from earshot.warehouse import open_warehouse
from earshot.warehouse.labels import labelled_texts
from earshot.warehouse.teach import teach_queue
from tests.explore.support import TOKEN, Site

POST_ID = re.compile(r'<li class="teach-item" data-post="([^"]+)"')


def offered(page: str) -> list[str]:
    return POST_ID.findall(page)


def cli_queue(site: Site, n: int) -> list[str]:
    """The queue on the warehouse itself, as `earshot labels next --n N` computes it."""
    con = open_warehouse(site.settings.warehouse_path, read_only=True)
    try:
        judge = build_judge(judging(site.settings), labelled_texts(con))
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
