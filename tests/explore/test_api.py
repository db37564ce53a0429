"""Explore's JSON API and pages over a served copy of the generated history: the figures are
the digest's, parameters are checked, and the token guards every path."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import duckdb
import pytest

from earshot.explore.auth import COOKIE, CSP
from earshot.explore.render import highlight
from earshot.explore.settings import ExploreError, check_bind, explore_token
from earshot.reports.digest import build_digest
from tests.explore.support import TOKEN, Site, serve, site_settings
from tests.reports.history import NOW, WEEK


def _digest(site: Site, week: str = WEEK):  # type: ignore[no-untyped-def]
    con = duckdb.connect(str(site.settings.analytics_path), read_only=True)
    try:
        return build_digest(
            con, week=week, organisation="x", timezone="Europe/Berlin", language="de", now=NOW
        )
    finally:
        con.close()


def test_the_week_api_gives_the_digests_figures(site: Site) -> None:
    digest = _digest(site)
    with site.client() as c:
        body = c.get(f"/api/weeks/{WEEK}").json()
    assert body["week"] == WEEK and body["complete"] is True
    expected = {m.topic_id: asdict(m) for m in digest.topics}
    got = {t["topic_id"]: t for t in body["topics"]}
    assert list(got) == [m.topic_id for m in digest.topics]  # the topic table's order
    for topic_id, row in expected.items():
        for key in (
            "posts",
            "previous_posts",
            "authors",
            "avg_sentiment",
            "negative_share",
            "movement",
            "at_risk",
            "volume_z",
        ):
            assert got[topic_id][key] == row[key], (topic_id, key)
    assert got["price"]["posts"] == 24 and got["price"]["at_risk"] is True  # as planted
    assert body["coverage"] == {
        **asdict(digest.coverage),
        "languages": [list(x) for x in digest.coverage.languages],
    }
    assert [q["post_id"] for q in body["questions"]] == [q.post_id for q in digest.questions]
    assert [e["term"] for e in body["emerging"]] == ["#wärmepumpe"]


def test_each_topic_figure_is_the_total_of_its_posts(site: Site) -> None:
    digest = _digest(site)
    with site.client() as c:
        for m in digest.topics:
            listed = c.get(
                "/api/posts", params={"week": WEEK, "topic": m.topic_id, "audience": "audience"}
            ).json()
            assert listed["total"] == m.posts, m.topic_id
            assert all(m.topic_id in p["topics"] for p in listed["posts"])
        everyone = c.get("/api/posts", params={"week": WEEK, "audience": "audience"}).json()
        assert everyone["total"] == digest.coverage.audience_posts  # the duplicate once
        rows = c.get("/api/posts", params={"week": WEEK, "audience": "audience", "rows": 1})
        assert rows.json()["total"] == digest.coverage.audience_rows
        term = c.get("/api/posts", params={"week": WEEK, "term": "#WÄRMEPUMPE"}).json()
        assert term["total"] == digest.emerging[0].posts == 8


def test_the_week_page_links_each_number_to_its_posts(site: Site) -> None:
    with site.client() as c:
        page = c.get("/", params={"week": WEEK})
    assert page.status_code == 200
    html = page.text
    assert 'href="/posts?week=2026-W47&amp;topic=price&amp;audience=audience">24</a>' in html
    assert "Stadtwerke &lt;Beispiel&gt; &amp; Co" in html  # escaped
    assert 'lang="de"' in html and "Themen nach Umfang" in html  # the digest's German strings


def test_the_default_week_is_the_last_complete_one(site: Site) -> None:
    with site.client() as c:
        page = c.get("/")
    assert page.status_code == 200
    assert '<option value="2026-W47" selected>' in page.text  # NOW is Monday of W48


def test_posts_can_be_filtered_and_paged(site: Site) -> None:
    with site.client() as c:
        negative = c.get(
            "/api/posts",
            params={
                "week": WEEK,
                "topic": "price",
                "sentiment": "negative",
                "audience": "audience",
            },
        ).json()
        assert negative["total"] == 15
        assert {p["sentiment_label"] for p in negative["posts"]} == {"negative"}
        first = c.get("/api/posts", params={"week": WEEK, "limit": 5, "sort": "time"}).json()
        second = c.get(
            "/api/posts", params={"week": WEEK, "limit": 5, "offset": 5, "sort": "time"}
        ).json()
        assert first["total"] == second["total"] and len(first["posts"]) == 5
        assert not {p["post_id"] for p in first["posts"]} & {p["post_id"] for p in second["posts"]}
        times = [p["published_at"] for p in first["posts"] + second["posts"]]
        assert times == sorted(times, reverse=True)
        english = c.get("/api/posts", params={"week": WEEK, "lang": "en"}).json()
        assert english["total"] == 2 and {p["lang"] for p in english["posts"]} == {"en"}
        forum = c.get("/api/posts", params={"week": WEEK, "source": "forum", "rows": 1}).json()
        assert {p["source_id"] for p in forum["posts"]} == {"forum"}


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/api/posts?week=2026-47", 400, "week"),
        ("/api/posts?limit=lots", 400, "limit"),
        ("/api/posts?limit=0", 400, "limit"),
        ("/api/posts?offset=-1", 400, "offset"),
        ("/api/posts?sentiment=angry", 400, "sentiment"),
        ("/api/posts?sort=random", 400, "sort"),
        ("/api/posts?lang=d3", 400, "lang"),
        ("/api/posts?audience=them", 400, "audience"),
        ("/api/posts?question=maybe", 400, "question"),
        ("/api/posts?topic=nope", 404, "topic"),
        ("/api/weeks/2026-W99", 400, "week"),
        ("/topics/nope", 404, "topic_id"),
        ("/posts?week=W47", 400, "week"),
    ],
)
def test_bad_parameters_are_refused_naming_them(
    site: Site, path: str, status: int, field: str
) -> None:
    with site.client() as c:
        r = c.get(path)
    assert r.status_code == status
    if path.startswith("/api/"):
        assert r.json()["detail"].startswith(f"{field}: ")
    else:
        assert f"{field}: " in r.text


def test_sql_looking_values_are_only_values(site: Site) -> None:
    with site.client() as c:
        r = c.get("/api/posts", params={"source": "x' OR 1=1 --", "term": "'); DROP TABLE _posts;"})
        assert r.status_code == 200 and r.json()["total"] == 0
        assert c.get("/api/health").status_code == 200


def test_every_path_needs_the_token(site: Site) -> None:
    with site.client(auth=False) as c:
        for path in ("/", "/api/health", "/static/explore.css", "/api/posts", "/sources"):
            r = c.get(path)
            assert r.status_code == 401, path
            assert r.headers["content-security-policy"] == CSP
        assert c.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        first = c.get(f"/?token={TOKEN}&week={WEEK}")
        assert first.status_code == 303 and first.headers["location"] == f"/?week={WEEK}"
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower()
        then = c.get(first.headers["location"])  # the cookie from now on
        assert then.status_code == 200
        assert then.headers["content-security-policy"] == CSP
        assert then.headers["x-frame-options"] == "DENY"


def test_a_browser_correction_needs_the_csrf_token(site: Site) -> None:
    with site.client(auth=False) as c:
        c.get(f"/?token={TOKEN}")  # the cookie
        post_id = site.post_id("p0-0")
        r = c.post("/api/corrections", json={"post_id": post_id, "sentiment": "positive"})
        assert r.status_code == 403 and r.json()["detail"].startswith("csrf: ")
        form = c.post("/corrections", data={"post_id": post_id, "action": "sentiment:positive"})
        assert form.status_code == 403


def test_binding_beyond_loopback_needs_a_token_from_the_environment() -> None:
    check_bind("127.0.0.1", token_from_env=False)
    with pytest.raises(ExploreError, match=r"--host 0\.0\.0\.0: .*EARSHOT_EXPLORE_TOKEN"):
        check_bind("0.0.0.0", token_from_env=False)
    check_bind("0.0.0.0", token_from_env=True)
    assert explore_token({"EARSHOT_EXPLORE_TOKEN": " s3cret "}) == ("s3cret", True)
    random_one, from_env = explore_token({})
    assert not from_env and len(random_one) >= 24 and random_one != explore_token({})[0]


def test_the_topic_and_sources_pages(site: Site) -> None:
    with site.client() as c:
        topic = c.get("/topics/price", params={"week": WEEK})
        sources = c.get("/sources", params={"week": WEEK})
    assert topic.status_code == 200
    assert topic.text.count('<rect class="bar') == 12  # 12 weeks in the chart (W36..W47)
    assert topic.text.count('class="post"') == 20  # the week's evidence, first page
    assert "author-q30" in topic.text  # a question of the topic
    assert sources.status_code == 200
    assert "https://forum.example.org/rss" not in sources.text or "forum" in sources.text
    assert 'href="/posts?week=2026-W47&amp;source=forum&amp;rows=1">' in sources.text


def test_matched_terms_are_highlighted_in_escaped_text() -> None:
    assert str(highlight("Der Preis steigt, preise!", ["preis"])) == (
        "Der <mark>Preis</mark> steigt, <mark>preis</mark>e!"
    )
    assert str(highlight("<b>Preis</b> & co", ["preis", "b"])) == (
        "&lt;<mark>b</mark>&gt;<mark>Preis</mark>&lt;/<mark>b</mark>&gt; &amp; co"
    )
    assert str(highlight("<script>", [])) == "&lt;script&gt;"


def test_the_pages_speak_the_configs_language(
    history_file: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, names = history_file
    settings = site_settings(tmp_path, source, language="en")
    for url in serve(settings):
        with Site(url, settings, names).client() as c:
            week = c.get("/", params={"week": WEEK}).text
            posts = c.get("/posts", params={"week": WEEK, "topic": "price"}).text
        assert '<html lang="en">' in week and "Topics by volume" in week
        assert "Themen nach Umfang" not in week
        assert "Correct this post" in posts and "Not about Preise" in posts
