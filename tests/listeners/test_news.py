"""News listener (GDELT DOC 2.0 article search) against the local server.

No GDELT answer is among the recorded responses; the articles here are written in the
documented `mode=ArtList&format=json` shape (`url`, `title`, `seendate`, `domain`,
`language`, `sourcecountry`).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.http import HttpPolicy
from earshot.listeners.news import urls
from earshot.listeners.news.urls import full_query
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request

JSON = "application/json; charset=utf-8"


def article(n: int, *, minutes_ago: int, language: str = "German") -> dict[str, Any]:
    seen = NOW - timedelta(minutes=minutes_ago)
    return {
        "url": f"https://news{n % 3}.example/2024/05/{n}-kundenservice.html",
        "url_mobile": "",
        "title": f"Kundenservice  der Bahn: Bericht {n}",
        "seendate": seen.strftime("%Y%m%dT%H%M%SZ"),
        "socialimage": "",
        "domain": f"news{n % 3}.example",
        "language": language,
        "sourcecountry": "Germany",
    }


class Gdelt:
    """/api/v2/doc/doc: articles seen within [startdatetime, enddatetime], newest first."""

    def __init__(self, articles: list[dict[str, Any]], cap: int = 250) -> None:
        self.articles, self.cap = articles, cap

    def __call__(self, request: Request) -> Reply:
        assert request.query["mode"] == "ArtList" and request.query["format"] == "json"
        start = request.query["startdatetime"]
        end = request.query.get("enddatetime", "99999999999999")
        found = [a for a in self.articles if start <= a["seendate"].replace("T", "")[:14] <= end]
        found.sort(key=lambda a: a["seendate"], reverse=True)
        body = {"articles": found[: self.cap]} if found else {}  # GDELT: {} for nothing
        return Reply(json.dumps(body).encode(), content_type=JSON)


def _spec(server: FeedServer, **options: str) -> SourceSpec:
    api = server.url("/api/v2/doc/doc")
    query = '"Deutsche Bahn" Kundenservice'
    return SourceSpec(
        "news", "news", f"{api}?query=x", options={"query": query, "api_url": api, **options}
    )


def test_articles_since_the_mark(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    gdelt = Gdelt([article(1, minutes_ago=90), article(2, minutes_ago=30, language="English")])
    feed_server.handle("/api/v2/doc/doc", gdelt)
    spec = _spec(feed_server, languages="de,en", countries="germany")
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK, first.error
    newest, older = first.posts
    assert newest.title == "Kundenservice der Bahn: Bericht 2" and newest.text == ""
    assert newest.url == newest.external_id == "https://news2.example/2024/05/2-kundenservice.html"
    assert newest.author == "news2.example" and newest.lang_hint == "en" and older.lang_hint == "de"
    assert newest.published_at == (NOW - timedelta(minutes=30)).replace(microsecond=0)
    asked = feed_server.api_requests[0].query
    assert asked["query"] == (
        '"Deutsche Bahn" Kundenservice (sourcelang:german OR sourcelang:english) '
        "sourcecountry:germany"
    )
    assert asked["startdatetime"] == (NOW - timedelta(days=1)).strftime("%Y%m%d%H%M%S")
    assert asked["sort"] == "DateDesc" and asked["maxrecords"] == "250"
    again = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    assert again.status is FetchStatus.NOT_MODIFIED
    assert feed_server.api_requests[1].query["startdatetime"] == (
        NOW - timedelta(minutes=30)
    ).strftime("%Y%m%d%H%M%S")
    gdelt.articles.append(article(3, minutes_ago=5))
    third = fetch_source(client, spec, again.state, policy=policy, now=NOW)
    assert [p.raw["url"] for p in third.posts] == [article(3, minutes_ago=5)["url"]]


def test_a_full_answer_is_paged_back_by_end_date(
    feed_server: FeedServer,
    client: httpx.Client,
    policy: HttpPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(urls, "MAX_RECORDS", 3)  # a full answer: 3 articles, not 250
    feed_server.handle(
        "/api/v2/doc/doc", Gdelt([article(n, minutes_ago=n) for n in range(1, 8)], cap=3)
    )
    spec = _spec(feed_server)
    state = {"walk": {"mark": (NOW - timedelta(hours=2)).strftime("%Y%m%d%H%M%S"), "mark_ids": []}}
    first = fetch_source(client, spec, state, policy=policy, now=NOW)
    second = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    number = {p.raw["url"]: int(p.raw["url"].split("/")[-1].split("-")[0]) for p in first.posts}
    assert sorted(number.values()) == [1, 2, 3, 4, 5, 6, 7]  # 3 pages in one run
    assert "resume" in first.state["walk"] and "resume" not in second.state["walk"]
    # Pages overlap by their edge second (articles of one second are never cut apart); the
    # warehouse stores such a repeat once.
    assert [p.raw["url"] for p in second.posts] == [article(7, minutes_ago=7)["url"]]
    ends = [r.query.get("enddatetime") for r in feed_server.api_requests[:3]]
    assert ends[0] is None and ends[1] == (NOW - timedelta(minutes=3)).strftime("%Y%m%d%H%M%S")


def test_a_long_pause_asks_only_for_what_gdelt_keeps(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    feed_server.handle("/api/v2/doc/doc", Gdelt([article(1, minutes_ago=5)]))
    old = {"walk": {"mark": "20230101000000", "mark_ids": []}}  # a source paused for long
    result = fetch_source(client, _spec(feed_server), old, policy=policy, now=NOW)
    assert result.status is FetchStatus.OK and len(result.posts) == 1
    asked = feed_server.api_requests[0].query["startdatetime"]
    assert asked == (NOW - timedelta(days=89)).strftime("%Y%m%d%H%M%S")


def test_gdelt_refusals_are_said_in_its_words(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    said = b"The specified phrase is too short."
    feed_server.route("/api/v2/doc/doc", Reply(said, content_type="text/html"))
    result = fetch_source(client, _spec(feed_server), {"walk": {}}, policy=policy, now=NOW)
    assert result.status is FetchStatus.FAILED and result.state == {"walk": {}}
    assert (result.error or "").endswith(
        "GDELT did not answer with articles: 'The specified phrase is too short.'"
    )
    feed_server.route("/api/v2/doc/doc", Reply(b'{"articles": "none"}', content_type=JSON))
    result = fetch_source(client, _spec(feed_server), {}, policy=policy, now=NOW)
    assert (result.error or "").endswith("not a GDELT article list (no `articles`)")


def test_query_filters() -> None:
    assert full_query("bahn") == "bahn"
    assert full_query("bahn", languages=["de"], countries=["United Kingdom", "AU"]) == (
        "bahn sourcelang:german (sourcecountry:unitedkingdom OR sourcecountry:au)"
    )
