"""App Store reviews listener on the real recorded feeds, served by the local server."""

from __future__ import annotations

import re

import httpx
import pytest

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.errors import ParseError
from earshot.listeners.http import HttpPolicy
from earshot.listeners.social.common import get_json
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request
from tests.listeners.recorded import JSON, recorded_bytes

PAGE = re.compile(r"/(\w\w)/rss/customerreviews/page=(\d+)/id=(\d+)/sortby=mostrecent/json$")


class Store:
    """Serves recorded pages by (country, app, page); anything else is an empty feed."""

    def __init__(self, server: FeedServer) -> None:
        self.pages: dict[tuple[str, str, int], bytes] = {}
        self.empty = recorded_bytes("appstore-reviews", "1510826067_gb_2.json")
        server.handle("/*", self)

    def __call__(self, request: Request) -> Reply:
        match = PAGE.search(request.path)
        assert match, request.path
        country, number, app = match.group(1), int(match.group(2)), match.group(3)
        if number > 10:
            return Reply(recorded_bytes("appstore-reviews", "555731861_us_11.json"),
                         content_type="text/plain")  # fmt: skip
        return Reply(self.pages.get((country, app, number), self.empty), content_type=JSON)


def _spec(server: FeedServer, app_id: str, countries: str) -> SourceSpec:
    return SourceSpec(
        "app",
        "appstore",
        f"https://apps.apple.com/gb/app/id{app_id}",
        options={"app_id": app_id, "countries": countries, "api_url": server.base_url},
    )


def test_reviews_of_two_countries(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    store = Store(feed_server)
    store.pages[("fr", "497799835", 1)] = recorded_bytes("appstore-reviews", "497799835_fr_1.json")
    # China's page 5 as recorded, served as the first page.
    store.pages[("cn", "497799835", 1)] = recorded_bytes("appstore-reviews", "497799835_cn_5.json")
    spec = _spec(feed_server, "497799835", "fr,cn")
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK, first.error
    assert len(first.posts) == 100
    review = first.posts[0]
    assert review.external_id == "497799835/6918761820"
    assert review.title == "Superbe application..." and review.author == "Fouinneur@"
    assert review.text.startswith("Mais un vraie galère pour l'installation")
    assert (review.rating, review.score, review.likes) == (4, 4, 0)  # stars, helpful votes
    assert review.url == "https://apps.apple.com/fr/app/id497799835?see-all=reviews"
    assert review.raw["country"] == "fr" and review.raw["im:version"]["label"] == "12.4"
    assert all(p.text.strip() and p.author and 1 <= (p.rating or 0) <= 5 for p in first.posts)
    assert sum(p.raw["country"] == "cn" for p in first.posts) == 50
    assert set(first.state["countries"]) == {"fr", "cn"}
    again = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    assert again.status is FetchStatus.NOT_MODIFIED


def test_a_small_app_walks_to_its_empty_page_and_a_missing_app_has_none(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    store = Store(feed_server)
    store.pages[("gb", "1510826067", 1)] = recorded_bytes(
        "appstore-reviews", "1510826067_gb_1.json"
    )
    spec = _spec(feed_server, "1510826067", "gb")
    # A saved mark below every review: the walk reads on until the (recorded) empty page 2.
    state = {"countries": {"gb": {"mark": "0" * 20, "mark_ids": []}}}
    result = fetch_source(client, spec, state, policy=policy, now=NOW)
    assert result.status is FetchStatus.OK and len(result.posts) == 4
    pages = [PAGE.search(r.path).group(2) for r in feed_server.api_requests]  # type: ignore[union-attr]
    assert pages == ["1", "2"]
    missing = fetch_source(
        client, _spec(feed_server, "100000000", "gb"), {}, policy=policy, now=NOW
    )
    assert missing.status is FetchStatus.NOT_MODIFIED and missing.error is None


def test_the_walk_stops_at_page_10_the_feeds_depth(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    store = Store(feed_server)
    for number in range(1, 12):
        name = "497799835_cn_10.json" if number % 2 else "497799835_cn_5.json"
        store.pages[("cn", "497799835", number)] = recorded_bytes("appstore-reviews", name)
    state = {"countries": {"cn": {"mark": "0" * 20, "mark_ids": []}}}
    result = fetch_source(
        client, _spec(feed_server, "497799835", "cn"), state, policy=policy, now=NOW
    )
    assert result.status is FetchStatus.OK and len(result.posts) == 100
    asked = [int(PAGE.search(r.path).group(2)) for r in feed_server.api_requests]  # type: ignore[union-attr]
    assert asked == list(range(1, 11))
    # Page 11 would not be JSON (as recorded): a clear parse error, had we asked for it.
    with pytest.raises(ParseError, match="expected JSON, got text/plain"):
        page_11 = feed_server.url("/cn/rss/customerreviews/page=11/id=1/sortby=mostrecent/json")
        get_json(client, page_11, policy=policy)


def test_a_body_that_is_not_the_feed_fails_the_source(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    feed_server.handle(
        "/*", lambda r: Reply(b'{"resultCount": 0, "results": []}', content_type=JSON)
    )
    result = fetch_source(client, _spec(feed_server, "1", "de"), {}, policy=policy, now=NOW)
    assert result.status is FetchStatus.FAILED
    assert (result.error or "").endswith("not an App Store reviews feed (no `feed`)")
