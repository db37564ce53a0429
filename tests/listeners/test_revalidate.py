"""Bulk revalidation (`fetch_sources`, `listeners.revalidate`) against a real local server:
every source is still requested; only a 304 is taken on this path, all else goes the full way."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from earshot.listeners import FetchStatus, SourceSpec, fetch_sources
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult
from earshot.listeners.revalidate import Conditional, revalidate
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, closed_port_url


def rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://blog.example/{t}</link><guid>{t}</guid>"
        "<description>Body text</description></item>"
        for t in titles
    )
    return f'<rss version="2.0"><channel><title>Blog</title>{items}</channel></rss>'.encode()


def run(
    client: httpx.Client, policy: HttpPolicy, specs: list[SourceSpec], states: dict[str, dict]
) -> dict[str, FetchResult]:
    work = [(s, states.get(s.source_id, {})) for s in specs]
    return {r.source_id: r for r in fetch_sources(client, work, policy=policy, workers=3, now=NOW)}


def test_unchanged_feeds_are_each_requested_conditionally_and_end_as_304(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    specs = []
    for n in range(6):
        # Half revalidate by ETag, half by Last-Modified.
        validator = (
            {"etag": f'"v{n}"'} if n % 2 else {"last_modified": "Sat, 04 May 2024 16:00:00 GMT"}
        )
        url = feed_server.route(f"/f{n}.xml", Reply(rss(f"a{n}", f"b{n}"), **validator))
        specs.append(SourceSpec(f"f{n}", "feed", url))
    first = run(client, policy, specs, {})
    assert {r.status for r in first.values()} == {FetchStatus.OK}
    second = run(client, policy, specs, {k: r.state for k, r in first.items()})
    assert set(second) == {s.source_id for s in specs}
    for n, spec in enumerate(specs):
        result = second[spec.source_id]
        assert result.status is FetchStatus.NOT_MODIFIED and result.http_status == 304
        assert result.posts == ()
        assert result.state["body_sha256"] == first[spec.source_id].state["body_sha256"]
        assert result.state["quiet_runs"] == 1
        asked = feed_server.requests_to(f"/f{n}.xml")
        assert len(asked) == 2  # requested once per pass, never skipped
        validator = "if-none-match" if n % 2 else "if-modified-since"
        assert validator in asked[1] and validator not in asked[0]
        assert asked[1]["user-agent"] == policy.user_agent
        assert "application/rss+xml" in asked[1]["accept"]


def test_a_changed_feed_goes_the_full_way_and_brings_its_new_posts(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route(
        "/changing.xml",
        Reply(rss("old"), etag='"v1"'),
        Reply(rss("new", "old"), etag='"v2"'),  # the revalidation sees this 200 ...
        Reply(rss("new", "old"), etag='"v2"'),  # ... and the full fetch reads it again
    )
    same = feed_server.route("/same.xml", Reply(rss("same"), etag='"s"'))
    specs = [SourceSpec("changing", "feed", url), SourceSpec("same", "feed", same)]
    first = run(client, policy, specs, {})
    second = run(client, policy, specs, {k: r.state for k, r in first.items()})
    changed = second["changing"]
    assert changed.status is FetchStatus.OK
    assert [p.title for p in changed.posts] == ["new", "old"]
    assert changed.state["etag"] == '"v2"'
    assert second["same"].status is FetchStatus.NOT_MODIFIED
    assert len(feed_server.requests_to("/changing.xml")) == 3


def test_a_server_closing_every_connection_is_revalidated_all_the_same(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    specs = [
        SourceSpec(
            f"c{n}",
            "feed",
            feed_server.route(
                f"/c{n}.xml", Reply(rss(f"c{n}"), etag=f'"c{n}"', headers={"Connection": "close"})
            ),
        )
        for n in range(5)
    ]
    states = {s.source_id: {"etag": f'"c{n}"'} for n, s in enumerate(specs)}
    results = run(client, policy, specs, states)
    assert {r.status for r in results.values()} == {FetchStatus.NOT_MODIFIED}
    assert all(len(feed_server.requests_to(f"/c{n}.xml")) == 1 for n in range(5))


def test_an_unreachable_feed_fails_through_the_full_path_with_its_clear_error(
    client: httpx.Client, policy: HttpPolicy
) -> None:
    spec = SourceSpec("gone", "feed", closed_port_url())
    results = run(client, policy, [spec], {"gone": {"etag": '"v1"', "body_sha256": "x"}})
    failed = results["gone"]
    assert failed.status is FetchStatus.FAILED
    assert failed.error is not None and "connection refused" in failed.error
    assert failed.state["etag"] == '"v1"'  # the previous state is kept for next time


def test_only_304_counts_and_what_cannot_be_sent_verbatim_is_left_to_httpx(
    feed_server: FeedServer, policy: HttpPolicy
) -> None:
    ok = feed_server.route("/ok.xml", Reply(rss("x"), etag='"e"'))
    plain = feed_server.route("/plain.xml", Reply(rss("x")))  # no validators: 200
    missing = feed_server.url("/missing.xml")  # 404
    answers = revalidate(
        [
            Conditional(ok, {"If-None-Match": '"e"'}),
            Conditional(plain, {"If-None-Match": '"e"'}),
            Conditional(missing, {"If-None-Match": '"e"'}),
            Conditional(ok, {"If-None-Match": '"e"\r\nX-Injected: 1'}),
            Conditional(ok.replace("/ok.xml", "/ök.xml"), {"If-None-Match": '"e"'}),
            Conditional("ftp://example.org/feed", {"If-None-Match": '"e"'}),
        ],
        policy=policy,
    )
    assert answers == [True, False, False, False, False, False]
    assert len(feed_server.requests_to("/ok.xml")) == 1  # the injected one was never sent


def test_a_proxy_in_the_environment_leaves_every_request_to_httpx(
    feed_server: FeedServer, policy: HttpPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok = feed_server.route("/ok.xml", Reply(rss("x"), etag='"e"'))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert revalidate([Conditional(ok, {"If-None-Match": '"e"'})], policy=policy) == [False]
    assert feed_server.requests_to("/ok.xml") == []


def test_revalidate_works_inside_a_running_event_loop(
    feed_server: FeedServer, policy: HttpPolicy
) -> None:
    ok = feed_server.route("/ok.xml", Reply(rss("x"), etag='"e"'))

    async def inside() -> list[bool]:
        return revalidate([Conditional(ok, {"If-None-Match": '"e"'})], policy=policy)

    assert asyncio.run(inside()) == [True]
