"""The feed listener end to end, over real sockets to a local server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.feeds import fetch
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply

RSS_CT = "application/rss+xml; charset=ISO-8859-1"

# RSS 2.0 in ISO-8859-1: HTML content, German umlauts, a relative link, an item without guid,
# an offset date, a date far in the future.
RSS20 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Stadtwerke K&#246;ln &#8211; Neuigkeiten</title>
  <link>https://stadtwerke.example/</link>
  <language>de-DE</language>
  <item>
    <title>Gr\u00fc\u00dfe aus K\u00f6ln: Stra\u00dfenfest am Rhein</title>
    <link>/aktuell/strassenfest</link>
    <guid isPermaLink="false">sw-2024-0042</guid>
    <dc:creator>J\u00fcrgen M\u00fcller</dc:creator>
    <pubDate>Sat, 04 May 2024 18:30:00 +0200</pubDate>
    <description>Kurzfassung</description>
    <content:encoded><![CDATA[<p>Das <b>Stra\u00dfenfest</b> beginnt um 14&nbsp;Uhr.</p>
      <script>track('fest')</script>
      <ul><li>M\u00fcsli &amp; Kaffee</li><li>B\u00e4ckerei</li></ul>]]></content:encoded>
  </item>
  <item>
    <title>&#220;bersicht der Tarife</title>
    <link>https://stadtwerke.example/tarife</link>
    <description>&lt;p&gt;Preise f\u00fcr &lt;em&gt;2025&lt;/em&gt;&lt;/p&gt;</description>
    <pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate>
  </item>
</channel>
</rss>
""".encode("iso-8859-1")

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">
  <title type="html">Acme &lt;b&gt;Blog&lt;/b&gt;</title>
  <id>tag:acme.example,2024:blog</id>
  <updated>2024-05-05T09:00:00Z</updated>
  <author><name>Acme Press Office</name></author>
  <entry>
    <title>Quarterly results are in</title>
    <id>tag:acme.example,2024:post-7</id>
    <link rel="alternate" type="text/html" href="posts/7.html"/>
    <link rel="replies" href="posts/7/comments.atom"/>
    <updated>2024-05-05T08:15:00-04:00</updated>
    <author><name>Dana Scully</name></author>
    <content type="html">&lt;h2&gt;Results&lt;/h2&gt;
      &lt;p&gt;Revenue &amp;amp; profit rose.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
      A <em>short</em> note</div></title>
    <id>tag:acme.example,2024:post-8</id>
    <link href="https://other.example/note"/>
    <published>2024-05-04T10:00:00Z</published>
    <updated>2024-05-04T12:00:00Z</updated>
    <summary>Plain summary with a &lt; sign</summary>
  </entry>
</feed>
"""

RDF = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example/rss">
    <title>News Example</title>
    <link>https://news.example/</link>
    <description>RSS 1.0 channel</description>
    <dc:language>en</dc:language>
    <items><rdf:Seq><rdf:li rdf:resource="https://news.example/a"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://news.example/a">
    <title>First RDF item</title>
    <link>https://news.example/a</link>
    <description>Hello &lt;i&gt;RDF&lt;/i&gt; world</description>
    <dc:date>2024-05-01T07:30:00+01:00</dc:date>
    <dc:creator>Ada</dc:creator>
  </item>
</rdf:RDF>
"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Caf\u00e9 Notes",
        "home_page_url": "https://cafe.example/",
        "language": "fr-FR",
        "authors": [{"name": "Chlo\u00e9"}],
        "items": [
            {
                "id": "2024-05-02-menu",
                "url": "/notes/menu",
                "title": "New menu",
                "content_html": "<p>Cr\u00eapes &amp; <strong>galettes</strong></p><p>Daily.</p>",
                "date_published": "2024-05-02T09:00:00+02:00",
                "language": "en",
            },
            {
                "id": 42,
                "content_text": "Just  text,\n\n  no title.",
                "date_modified": "2024-05-03T10:00:00Z",
                "authors": [{"name": "Marc"}],
            },
        ],
    }
).encode()


def spec_for(url: str, *, kind: str = "feed", lang: str | None = None) -> SourceSpec:
    return SourceSpec(source_id="src-1", kind=kind, url=url, lang_hint=lang)


def run(
    client: httpx.Client, url: str, policy: HttpPolicy, state: dict[str, Any] | None = None
) -> FetchResult:
    return fetch(client, spec_for(url), state or {}, policy=policy, now=NOW)


# --- formats ------------------------------------------------------------------------------


def test_rss20_with_html_and_umlauts(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/de/feed.rss", Reply(RSS20, content_type=RSS_CT))
    result = run(client, url, policy)

    assert result.status is FetchStatus.OK, result.error
    assert result.http_status == 200
    assert result.state["feed_title"] == "Stadtwerke K\u00f6ln \u2013 Neuigkeiten"
    fest, tarife = result.posts
    assert fest.platform == "feed" and fest.source_id == "src-1"
    assert fest.external_id == "sw-2024-0042"
    assert fest.title == "Grüße aus Köln: Straßenfest am Rhein"
    assert fest.text == "Das Straßenfest beginnt um 14 Uhr.\n\nMüsli & Kaffee\nBäckerei"
    assert fest.url == feed_server.url("/aktuell/strassenfest")
    assert fest.author == "Jürgen Müller"
    assert fest.lang_hint == "de"
    assert fest.published_at == datetime(2024, 5, 4, 16, 30, tzinfo=UTC)
    assert fest.fetched_at == NOW
    json.dumps(fest.raw)  # JSON-safe without a default=
    # No guid: the link is the id. Escaped HTML in a description becomes text.
    assert tarife.external_id == "https://stadtwerke.example/tarife"
    assert tarife.title == "Übersicht der Tarife"
    assert tarife.text == "Preise für 2025"
    assert tarife.published_at is None  # 2100 is a broken clock, not a date


def test_atom(feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy) -> None:
    url = feed_server.route("/blog/atom.xml", Reply(ATOM, content_type="application/atom+xml"))
    result = run(client, url, policy)

    assert result.status is FetchStatus.OK, result.error
    assert result.state["feed_title"] == "Acme Blog"
    results, note = result.posts
    assert results.title == "Quarterly results are in"
    assert results.text == "Results\n\nRevenue & profit rose."
    assert results.url == feed_server.url("/blog/posts/7.html")
    assert results.author == "Dana Scully"
    assert results.lang_hint == "en"
    assert results.published_at == datetime(2024, 5, 5, 12, 15, tzinfo=UTC)
    assert note.title == "A short note"
    assert note.text == "Plain summary with a < sign"
    assert note.author == "Acme Press Office"  # the feed's author stands in
    assert note.published_at == datetime(2024, 5, 4, 10, 0, tzinfo=UTC)  # published, not updated


def test_rss10_rdf(feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy) -> None:
    url = feed_server.route("/rss", Reply(RDF, content_type="application/rdf+xml"))
    result = run(client, url, policy)

    assert result.status is FetchStatus.OK, result.error
    (post,) = result.posts
    assert post.title == "First RDF item"
    assert post.text == "Hello RDF world"
    assert post.url == "https://news.example/a"
    assert post.author == "Ada"
    assert post.lang_hint == "en"
    assert post.published_at == datetime(2024, 5, 1, 6, 30, tzinfo=UTC)


def test_json_feed_11(feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy) -> None:
    url = feed_server.route("/feed.json", Reply(JSON_FEED, content_type="application/feed+json"))
    result = run(client, url, policy)

    assert result.status is FetchStatus.OK, result.error
    assert result.state["feed_title"] == "Café Notes"
    menu, untitled = result.posts
    assert menu.external_id == "2024-05-02-menu"
    assert menu.url == feed_server.url("/notes/menu")
    assert menu.text == "Crêpes & galettes\n\nDaily."
    assert menu.author == "Chloé"
    assert menu.lang_hint == "en"  # the item's language beats the feed's
    assert menu.published_at == datetime(2024, 5, 2, 7, 0, tzinfo=UTC)
    assert untitled.external_id == "42"
    assert untitled.title is None and untitled.url is None
    assert untitled.text == "Just text,\n\nno title."
    assert untitled.author == "Marc"
    assert untitled.lang_hint == "fr"
    assert untitled.published_at == datetime(2024, 5, 3, 10, 0, tzinfo=UTC)


def test_json_feed_sniffed_from_body_without_json_content_type(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/f", Reply(JSON_FEED, content_type="text/plain"))
    assert len(run(client, url, policy).posts) == 2


def test_post_ids_are_stable_across_fetches(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    for path, body in [
        ("/a.rss", RSS20),
        ("/a.atom", ATOM),
        ("/a.rdf", RDF),
        ("/a.json", JSON_FEED),
    ]:
        url = feed_server.route(path, Reply(body))
        first = run(client, url, policy)
        second = fetch(client, spec_for(url), {}, policy=policy)  # another day, same feed
        assert first.posts and [p.post_id for p in first.posts] == [p.post_id for p in second.posts]
        assert len({p.post_id for p in first.posts}) == len(first.posts)


def test_spec_language_is_the_fallback(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    body = ATOM.replace(b' xml:lang="en-GB"', b"")
    url = feed_server.route("/nolang.xml", Reply(body))
    result = fetch(client, spec_for(url, lang="NL"), {}, policy=policy, now=NOW)
    assert {p.lang_hint for p in result.posts} == {"nl"}


def test_duplicate_entries_yield_one_post(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    item = b"<item><title>Same</title><guid>g-1</guid></item>"
    body = b'<rss version="2.0"><channel><title>d</title>' + item * 3 + b"</channel></rss>"
    url = feed_server.route("/dups.rss", Reply(body))
    assert len(run(client, url, policy).posts) == 1


# --- politeness: conditional GET, body hash, encoding ---------------------------------------


def test_second_fetch_is_conditional_and_304_is_not_modified(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    etag, modified = '"v1"', "Sat, 04 May 2024 16:00:00 GMT"
    url = feed_server.route("/c.xml", Reply(ATOM, etag=etag, last_modified=modified))

    first = run(client, url, policy)
    assert first.status is FetchStatus.OK
    assert first.state["etag"] == etag and first.state["last_modified"] == modified
    second = run(client, url, policy, state=first.state)

    asked = feed_server.requests_to("/c.xml")
    assert "if-none-match" not in asked[0]
    assert asked[1]["if-none-match"] == etag
    assert asked[1]["if-modified-since"] == modified
    assert asked[1]["user-agent"] == "Earshot-test/1"
    assert second.status is FetchStatus.NOT_MODIFIED
    assert second.http_status == 304
    assert second.posts == ()
    assert second.state == first.state


def test_same_body_without_validators_is_not_modified_by_hash(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/h.xml", Reply(RDF), Reply(RDF), Reply(ATOM))
    first = run(client, url, policy)
    second = run(client, url, policy, state=first.state)
    third = run(client, url, policy, state=second.state)

    assert first.status is FetchStatus.OK and len(first.state["body_sha256"]) == 64
    assert second.status is FetchStatus.NOT_MODIFIED
    assert second.posts == () and second.state == first.state
    assert third.status is FetchStatus.OK and len(third.posts) == 2  # new body, new posts


def test_gzip_encoded_body(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/z.xml", Reply(RSS20, content_type=RSS_CT, gzip=True))
    result = run(client, url, policy)
    assert result.status is FetchStatus.OK, result.error
    assert len(result.posts) == 2
    assert "gzip" in feed_server.requests_to("/z.xml")[0]["accept-encoding"]


def test_redirect_is_followed_and_links_resolve_against_the_final_url(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    feed_server.route("/moved/feed.xml", Reply(ATOM))
    url = feed_server.route("/feed.xml", Reply(status=301, headers={"Location": "/moved/feed.xml"}))
    result = run(client, url, policy)
    assert result.status is FetchStatus.OK, result.error
    assert result.posts[0].url == feed_server.url("/moved/posts/7.html")


# --- failures: FAILED results, never exceptions ---------------------------------------------


def test_404_fails_naming_status_and_url(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/gone.xml", Reply(b"gone", status=404, content_type="text/plain"))
    previous = {"etag": '"old"', "body_sha256": "abc"}
    result = run(client, url, policy, state=previous)
    assert result.status is FetchStatus.FAILED
    assert result.error == f"{url}: HTTP 404 Not Found"
    assert result.http_status == 404
    assert result.state == previous
    assert len(feed_server.requests_to("/gone.xml")) == 1  # a 404 is not retried


def test_429_with_retry_after_then_ok(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route(
        "/busy.xml", Reply(b"slow down", status=429, retry_after="1"), Reply(ATOM)
    )
    started = datetime.now(UTC)
    result = run(client, url, policy)
    waited = (datetime.now(UTC) - started).total_seconds()
    assert result.status is FetchStatus.OK, result.error
    assert len(feed_server.requests_to("/busy.xml")) == 2
    assert waited >= 0.9  # Retry-After was honoured, not just the 10 ms backoff


def test_429_asking_for_too_long_a_wait_fails_saying_when_to_retry(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/later.xml", Reply(status=429, retry_after="3600"))
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.http_status == 429
    assert result.error is not None
    assert result.error.startswith(f"{url}: HTTP 429 Too Many Requests")
    assert "wait 60 min" in result.error and "retry after" in result.error
    assert len(feed_server.requests_to("/later.xml")) == 1


def test_503_is_retried_then_fails(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/down.xml", Reply(status=503))
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error == f"{url}: HTTP 503 Service Unavailable (still after 2 retries)"
    assert len(feed_server.requests_to("/down.xml")) == 1 + policy.retries


def test_500_fails_without_retry_by_default(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/broken.xml", Reply(b"oops", status=500))
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error == f"{url}: HTTP 500 Internal Server Error"
    assert result.http_status == 500
    assert len(feed_server.requests_to("/broken.xml")) == 1


def test_500_is_retried_when_the_policy_says_so(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    eager = HttpPolicy(backoff_seconds=0.01, retry_statuses=frozenset({500}))
    url = feed_server.route("/flaky.xml", Reply(status=500), Reply(ATOM))
    assert run(client, url, eager).status is FetchStatus.OK
    assert len(feed_server.requests_to("/flaky.xml")) == 2


def test_html_page_is_not_a_feed(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>"
    url = feed_server.route("/", Reply(page, content_type="text/html; charset=utf-8"))
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error == f"{url}: not a feed (got text/html, no RSS/Atom/JSON Feed found)"
    assert result.http_status == 200


def test_body_over_the_limit_fails_naming_the_limit(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    small = HttpPolicy(max_body_bytes=64 * 1024, backoff_seconds=0.01)
    big = b"<rss version='2.0'><channel>" + b"<!-- padding -->" * 10_000 + b"</channel></rss>"
    url = feed_server.route("/big.xml", Reply(big))
    result = run(client, url, small)
    assert result.status is FetchStatus.FAILED
    assert result.error == f"{url}: body exceeds 64 KiB limit"


def test_gzip_bomb_is_limited_after_decompression(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    small = HttpPolicy(max_body_bytes=1024 * 1024, backoff_seconds=0.01)
    url = feed_server.route("/bomb.xml", Reply(b"<rss>" + b" " * 20_000_000, gzip=True))
    result = run(client, url, small)
    assert result.status is FetchStatus.FAILED
    assert result.error == f"{url}: body exceeds 1 MiB limit"


def test_slow_drip_body_is_cut_off(feed_server: FeedServer, client: httpx.Client) -> None:
    impatient = HttpPolicy(max_seconds_per_attempt=0.3, retries=0)
    url = feed_server.route("/drip.xml", Reply(ATOM, drip_seconds=0.05))
    started = datetime.now(UTC)
    result = run(client, url, impatient)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None
    assert result.error.startswith(f"{url}: body still arriving after 0.3 s (")
    assert (datetime.now(UTC) - started).total_seconds() < 1.5


def test_feed_moved_to_a_web_page_names_both_urls(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    home = feed_server.route(
        "/home", Reply(b"<html><p>Welcome</p></html>", content_type="text/html")
    )
    url = feed_server.route("/feed", Reply(status=301, headers={"Location": "/home"}))
    result = run(client, url, policy)
    assert result.error == (
        f"{url}: not a feed (got text/html, no RSS/Atom/JSON Feed found)"
        f" (after a redirect to {home})"
    )


def test_redirect_loop_fails(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/loop", Reply(status=302, headers={"Location": "/loop"}))
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None and result.error.startswith(f"{url}: too many redirects")
    assert len(feed_server.requests_to("/loop")) == 1 + policy.max_redirects


def test_dead_host_fails_quickly(client: httpx.Client, policy: HttpPolicy) -> None:
    from tests.listeners.feedserver import closed_port_url

    url = closed_port_url()
    started = datetime.now(UTC)
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error == f"{url}: connection refused (nothing listens on that port)"
    assert (datetime.now(UTC) - started).total_seconds() < 2


def test_unknown_host_is_a_dns_error(client: httpx.Client, policy: HttpPolicy) -> None:
    url = "http://no-such-host.invalid/feed.xml"
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None
    assert result.error.startswith(url) and "(DNS" in result.error


def test_malformed_xml_that_still_has_entries_is_accepted(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    broken = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Fish & Chips</title>'
        b"<item><title>Caf&eacute; opens</title><link>https://x.example/1</link>"
        b"<description>Open <b>daily</description></item>"
        b"<item><title>Second</title><link>https://x.example/2</link></item>"
    )  # a bare &, an HTML entity XML does not know, an unclosed tag, no closing channel/rss
    url = feed_server.route("/broken.rss", Reply(broken))
    result = run(client, url, policy)
    assert result.status is FetchStatus.OK, result.error
    assert [p.url for p in result.posts] == ["https://x.example/1", "https://x.example/2"]
    assert result.posts[0].title == "Café opens"


def test_malformed_feed_without_entries_is_a_parse_error(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/cut.rss", Reply(b'<rss version="2.0"><channel><title>cut</ti'))
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None
    assert result.error.startswith(f"{url}: malformed feed, no entries could be read (")


def test_valid_feed_without_entries_is_ok(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    body = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    url = feed_server.route("/quiet.rss", Reply(body))
    result = run(client, url, policy)
    assert result.status is FetchStatus.OK and result.posts == ()
    assert result.state["feed_title"] == "Quiet"


def test_broken_json_is_a_parse_error(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/bad.json", Reply(b'{"version": ', content_type="application/json"))
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None and result.error.startswith(f"{url}: not valid JSON (")


def test_json_that_is_not_a_json_feed(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/api.json", Reply(b'{"items": []}', content_type="application/json"))
    result = run(client, url, policy)
    assert result.error == f"{url}: not a feed (got application/json without a JSON Feed version)"


def test_feedparser_never_opens_a_path_it_is_given_as_body(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy, tmp_path: Path
) -> None:
    # feedparser treats a bare bytes body as a file name; a hostile server must not make us
    # read local files.
    local = tmp_path / "local.rss"
    local.write_bytes(RSS20)
    url = feed_server.route("/path.txt", Reply(str(local).encode(), content_type="text/plain"))
    result = run(client, url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None and "not a feed" in result.error


def test_fetch_source_dispatches_on_kind(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    url = feed_server.route("/k.xml", Reply(RDF))
    ok = fetch_source(client, spec_for(url), {}, policy=policy)
    assert ok.status is FetchStatus.OK and len(ok.posts) == 1
    odd = fetch_source(client, spec_for(url, kind="gopher"), {"cursor": 1}, policy=policy)
    assert odd.status is FetchStatus.FAILED
    known = (
        "appstore, bluesky, discourse, feed, hackernews, lemmy, mastodon, news, reddit, "
        "stackexchange, youtube"
    )
    assert odd.error == f"{url}: unknown source kind 'gopher' (known kinds: {known})"
    assert odd.state == {"cursor": 1}


@pytest.mark.parametrize("bad_url", ["ftp://files.example/feed.xml", "not a url"])
def test_unusable_urls_fail_cleanly(client: httpx.Client, policy: HttpPolicy, bad_url: str) -> None:
    result = run(client, bad_url, policy)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None and result.error.startswith(f"{bad_url}: ")
