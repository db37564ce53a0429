"""Hostile and broken sources end as a clear error on that source, in bounded time;
politeness: minimum interval per host, adaptive polling, Retry-After, feed discovery."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.feeds import bounded
from earshot.listeners.feeds.discover import discover_feeds, read_opml
from earshot.listeners.feeds.fastparse import parse_fast
from earshot.listeners.http import HttpPolicy, build_client, fetch_bytes
from earshot.listeners.records import FetchResult
from earshot.listeners.schedule import adaptive_interval, plan_next_attempt
from earshot.listeners.text import html_to_text
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Blog</title>
<item><title>First &amp; best</title><link>https://blog.example/1</link>
<description>&lt;p&gt;Caf&eacute; news&lt;/p&gt;</description></item>
</channel></rss>
"""


def feed(
    url: str, state: dict | None = None, *, client: httpx.Client, policy: HttpPolicy
) -> FetchResult:  # type: ignore[type-arg]
    return fetch_source(client, SourceSpec("s", "feed", url), state or {}, policy=policy, now=NOW)


def test_connection_reset_fails_cleanly(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/reset.xml", Reply(reset=True))
    result = feed(url, client=client, policy=policy)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None and result.error.startswith(f"{url}: connection")
    assert len(feed_server.requests_to("/reset.xml")) == 3  # transient: retried


def test_a_server_that_never_answers_times_out(feed_server: FeedServer) -> None:
    policy = HttpPolicy(timeout_seconds=0.3, retries=0)
    url = feed_server.route("/hang.xml", Reply(RSS, delay_seconds=2))
    started = time.monotonic()
    with build_client(policy) as client:
        result = feed(url, client=client, policy=policy)
    assert time.monotonic() - started < 1.5
    assert result.error == f"{url}: no answer within 0.3 s (timeout)"


def test_invalid_utf8_still_gives_the_post(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    body = RSS.replace(b"First", b"F\xffirst \xc3(")
    result = feed(feed_server.route("/bad.xml", Reply(body)), client=client, policy=policy)
    assert result.status is FetchStatus.OK and len(result.posts) == 1
    assert "irst" in (result.posts[0].title or "")


def test_entity_bomb_is_not_expanded(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    body = f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]>'.encode() + RSS.split(b"?>", 1)[1]
    body = body.replace(b"First &amp; best", b"&e9;")
    started = time.monotonic()
    result = feed(feed_server.route("/bomb.xml", Reply(body)), client=client, policy=policy)
    assert time.monotonic() - started < 10
    assert all(len(p.title or "") < 1000 for p in result.posts)


def test_a_pathological_malformed_feed_hits_the_parse_deadline(
    feed_server: FeedServer,
    client: httpx.Client,
    policy: HttpPolicy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bounded, "DEADLINE_SECONDS", 1.0)
    body = b'<rss version="2.0"><channel><item><title>x</title><description>' + b"<a>" * 200_000
    url = feed_server.route("/deep.xml", Reply(body))
    started = time.monotonic()
    result = feed(url, client=client, policy=policy)
    assert time.monotonic() - started < 8
    assert result.status is FetchStatus.FAILED
    assert result.error == f"{url}: the feed took the parser longer than 1 s (a hostile feed?)"


def test_a_big_malformed_feed_is_parsed_in_the_child(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    items = b"".join(
        b"<item><title>Post %d</title><link>https://blog.example/%d</link>"
        b"<description>caf&eacute; <b>bold & broken</description></item>" % (i, i)
        for i in range(1000)
    )
    body = b'<rss version="2.0"><channel><title>Blog</title>' + items + b"</channel>"
    assert len(body) > 64 * 1024 and parse_fast(body) is None  # malformed: not the fast path
    result = feed(feed_server.route("/big.xml", Reply(body)), client=client, policy=policy)
    assert result.status is FetchStatus.OK and len(result.posts) == 1000
    assert result.posts[0].text == "café bold & broken"


def test_fast_path_reads_html_entities_and_leading_blank_lines() -> None:
    parsed = parse_fast(b"\n\n" + RSS)
    assert parsed is not None
    version, _, entries = parsed
    assert version == "rss20" and entries[0]["title"] == "First & best"
    assert entries[0]["summary"] == "<p>Caf\u00e9 news</p>"


def test_html_to_text_stays_linear_on_hostile_markup() -> None:
    started = time.monotonic()
    html_to_text("<script>" * 100_000 + "<p " * 100_000 + "&lt;div&gt;" * 100_000)
    assert time.monotonic() - started < 2


def test_minimum_interval_per_host(feed_server: FeedServer) -> None:
    url = feed_server.route("/f.xml", Reply(RSS))
    policy = HttpPolicy(min_host_interval_seconds=0.2, retries=0)
    with build_client(policy) as client:
        started = time.monotonic()
        for _ in range(3):
            fetch_bytes(client, url, policy=policy)
        assert time.monotonic() - started >= 0.4


def test_adaptive_polling_and_retry_after() -> None:
    interval = timedelta(minutes=30)
    assert adaptive_interval(interval, 0) == interval
    assert adaptive_interval(interval, 4) == 2 * interval
    assert adaptive_interval(interval, 100) == 8 * interval
    ok = plan_next_attempt(FetchStatus.NOT_MODIFIED, 1, NOW, interval, quiet_runs=8)
    assert ok == NOW + 4 * interval
    limited = plan_next_attempt(FetchStatus.FAILED, 1, NOW, interval, retry_after_seconds=7200)
    assert limited == NOW + timedelta(hours=2)


def test_quiet_runs_are_counted_in_the_state(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/q.xml", Reply(RSS, etag='"1"'))
    first = feed(url, client=client, policy=policy)
    assert first.state["quiet_runs"] == 0
    second = feed(url, first.state, client=client, policy=policy)
    third = feed(url, second.state, client=client, policy=policy)
    assert (second.state["quiet_runs"], third.state["quiet_runs"]) == (1, 2)


PAGE = b"""<!doctype html><html><head><title>Blog</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/atom+xml" title="Atom" href="/feed.atom">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
</head><body><p>Hello</p></body></html>"""


def test_a_site_url_finds_its_feed_and_remembers_it(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    site = feed_server.route("/", Reply(PAGE, content_type="text/html"))
    atom = feed_server.route("/feed.atom", Reply(RSS, etag='"a"'))
    first = feed(site, client=client, policy=policy)
    assert first.status is FetchStatus.OK and first.state["feed_url"] == atom
    assert first.posts[0].title == "First & best"
    second = feed(site, first.state, client=client, policy=policy)
    assert second.status is FetchStatus.NOT_MODIFIED  # straight to the feed, conditionally
    assert feed_server.requests_to("/feed.atom")[1]["if-none-match"] == '"a"'
    assert len(feed_server.requests_to("/")) == 1
    # The feed disappears: the site is asked again for where it went.
    feed_server.route("/feed.atom", Reply(b"gone", status=404, content_type="text/plain"))
    third = feed(site, second.state, client=client, policy=policy)
    assert third.status is FetchStatus.FAILED and len(feed_server.requests_to("/")) == 2


def test_discovery_and_opml_are_pure() -> None:
    assert discover_feeds(PAGE, "https://blog.example/about") == [
        "https://blog.example/feed.atom",
        "https://blog.example/feed.xml",
    ]
    opml = b"""<opml version="2.0"><body><outline text="Folder">
      <outline text="A" xmlUrl="https://a.example/feed" htmlUrl="https://a.example/"/>
      <outline text="A again" xmlUrl="https://a.example/feed"/></outline>
      <outline text="no feed"/><outline title="B" xmlUrl="ftp://b.example/x"/></body></opml>"""
    (only,) = read_opml(opml)
    assert (only.title, only.url, only.site_url) == (
        "A",
        "https://a.example/feed",
        "https://a.example/",
    )
    with pytest.raises(ValueError, match="not OPML"):
        read_opml(b"<rss/>")
