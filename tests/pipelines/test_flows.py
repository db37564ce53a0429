"""The whole loop as real Prefect flow runs: local feed server -> DuckDB -> spaCy -> SMTP."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from pipelines import flows
from pipelines.cli import app
from tests.listeners.feedserver import FeedServer, Reply, closed_port_url
from tests.reports.support import SmtpServer

pytestmark = pytest.mark.usefixtures("prefect_harness")

WEEK = "2026-W47"  # Monday 16 to Sunday 22 November 2026

GERMAN_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Marketing-Forum</title><link>https://forum.example.de/</link>
<language>de</language>
<item><guid>de-1</guid><title>Kundenservice-Hotline seit Tagen nicht erreichbar</title>
<link>https://forum.example.de/t/1</link><pubDate>Tue, 17 Nov 2026 09:00:00 +0100</pubDate>
<description>&lt;p&gt;Der &lt;b&gt;Kundenservice&lt;/b&gt; ist eine Katastrophe.
Furchtbar!&lt;/p&gt;</description></item>
<item><guid>de-2</guid><title>Wie plant ihr euren Newsletter?</title>
<link>https://forum.example.de/t/2</link><pubDate>Wed, 18 Nov 2026 10:00:00 +0100</pubDate>
<description>Welche Tools nutzt ihr für den Newsletter und die Öffnungsrate?</description></item>
<item><guid>de-3</guid><title>Datenschutz im Vertrieb</title>
<link>https://forum.example.de/t/3</link><pubDate>Mon, 09 Nov 2026 10:00:00 +0100</pubDate>
<description>Die DSGVO macht Kaltakquise schwer, aber es gibt gute Wege.</description></item>
</channel></rss>
"""

ENGLISH_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"><title>Sales Talk</title>
<id>urn:sales-talk</id><updated>2026-11-19T08:00:00Z</updated>
<entry><id>urn:sales-talk:1</id><title>Great customer service wins deals</title>
<link href="https://sales.example.com/1"/><updated>2026-11-19T08:00:00Z</updated>
<author><name>Dana</name></author>
<content type="html">&lt;p&gt;Honestly the best &lt;i&gt;customer experience&lt;/i&gt;
I have seen. Love it!&lt;/p&gt;</content></entry>
<entry><id>urn:sales-talk:2</id><title>Is cold outreach dead?</title>
<link href="https://sales.example.com/2"/><updated>2026-11-20T08:00:00Z</updated>
<author><name>Sam</name></author>
<content type="text">How do you do lead generation in 2026?</content></entry>
</feed>
"""

OWN_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Unser Blog</title><link>https://us.example.de/</link>
<item><guid>own-1</guid><title>Unser neuer Newsletter ist da</title>
<link>https://us.example.de/blog/newsletter</link><pubDate>Thu, 19 Nov 2026 12:00:00 +0100</pubDate>
<description>Jetzt abonnieren.</description></item>
</channel></rss>
"""


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.route(
            "/de.xml",
            Reply(GERMAN_RSS.encode(), content_type="application/rss+xml", etag='"de-v1"'),
        )
        server.route(
            "/en.xml",
            Reply(
                ENGLISH_ATOM.encode(),
                content_type="application/atom+xml",
                last_modified="Fri, 20 Nov 2026 08:00:00 GMT",
                gzip=True,
            ),
        )
        server.route("/own.xml", Reply(OWN_RSS.encode(), content_type="application/rss+xml"))
        yield server


def write_config(tmp_path: Path, sources: list[dict[str, Any]], **digest: Any) -> str:
    config = {
        "organisation": "Beispiel GmbH",
        "timezone": "Europe/Berlin",
        "http": {"timeout_seconds": 5, "retries": 1, "backoff_seconds": 0.01},
        "sources": sources,
        "buckets": [
            {"id": "expert", "label": "Fachwissen", "target_share": 0.5},
            {"id": "practice", "label": "Praxis", "target_share": 0.5},
        ],
        "topics": [
            {
                "id": "customer-service",
                "label": "Kundenservice",
                "bucket": "practice",
                "terms": {
                    "de": ["Kundenservice"],
                    "en": ["customer service", "customer experience"],
                },
            },
            {
                "id": "newsletter",
                "label": "Newsletter",
                "bucket": "practice",
                "terms": {"de": ["Newsletter", "Öffnungsrate"], "en": ["newsletter"]},
            },
            {
                "id": "sales",
                "label": "Vertrieb",
                "bucket": "expert",
                "terms": {
                    "de": ["Vertrieb", "Kaltakquise"],
                    "en": ["cold outreach", "lead generation"],
                },
            },
        ],
        "digest": {"language": "de", "outbox": "outbox", **digest},
    }
    path = tmp_path / "listening.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return str(path)


def feed_sources(feeds: FeedServer) -> list[dict[str, Any]]:
    return [
        {"id": "forum", "kind": "feed", "url": feeds.url("/de.xml"), "lang": "de"},
        {"id": "sales-talk", "kind": "feed", "url": feeds.url("/en.xml")},
        {"id": "our-blog", "kind": "feed", "url": feeds.url("/own.xml"), "owned": True},
        {"id": "dead", "kind": "feed", "url": closed_port_url()},
    ]


def query(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(tmp_path / "data" / "earshot.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_collect_enrich_digest_end_to_end(
    tmp_path: Path, feeds: FeedServer, smtp_server: SmtpServer
) -> None:
    config = write_config(
        tmp_path,
        feed_sources(feeds),
        recipients=["lead@example.org", "team@example.org"],
        smtp={
            "host": smtp_server.host,
            "port": smtp_server.port,
            "security": "none",
            "sender": "earshot@example.org",
        },
    )

    first = flows.collect(config)
    assert (first.ok, first.failed, first.posts_added) == (3, 1, 6)
    assert "127.0.0.1" in first.errors["dead"]
    dead = query(
        tmp_path,
        "SELECT last_status, failure_count, last_error, next_attempt_at "
        "FROM source_health WHERE source_id = 'dead'",
    )[0]
    assert dead[:2] == ("failed", 1) and "127.0.0.1" in dead[2] and dead[3] is not None

    # Second run: conditional GET answered 304 (ETag, Last-Modified) or same body hash.
    second = flows.collect(config, force=True)
    assert (second.not_modified, second.posts_added) == (3, 0)
    assert feeds.requests_to("/de.xml")[1]["if-none-match"] == '"de-v1"'
    assert feeds.requests_to("/en.xml")[1]["if-modified-since"] == "Fri, 20 Nov 2026 08:00:00 GMT"
    assert query(tmp_path, "SELECT count(*) FROM posts") == [(6,)]
    assert query(tmp_path, "SELECT failure_count FROM source_health WHERE source_id = 'dead'") == [
        (2,)
    ]

    enriched = flows.enrich(config)
    assert enriched.annotated == 6
    assert flows.enrich(config).annotated == 0  # nothing stale the second time
    tagged = dict(
        query(
            tmp_path,
            "SELECT title, list_sort(list(topic_id)) FROM posts "
            "JOIN post_topics USING (post_id) GROUP BY title",
        )
    )
    assert tagged["Kundenservice-Hotline seit Tagen nicht erreichbar"] == ["customer-service"]
    assert tagged["Is cold outreach dead?"] == ["sales"]
    assert "newsletter" in tagged["Wie plant ihr euren Newsletter?"]
    rows = dict(
        query(tmp_path, "SELECT title, struct_pack(lang, sentiment_label, is_question) FROM posts")
    )
    assert rows["Kundenservice-Hotline seit Tagen nicht erreichbar"] == {
        "lang": "de",
        "sentiment_label": "negative",
        "is_question": False,
    }
    assert rows["Great customer service wins deals"]["sentiment_label"] == "positive"
    assert rows["Wie plant ihr euren Newsletter?"]["is_question"] is True
    assert query(
        tmp_path,
        "SELECT topic_id, posts FROM topic_weekly WHERE week = '2026-W47' ORDER BY topic_id",
    ) == [("customer-service", 2), ("newsletter", 1), ("sales", 1)]

    report = flows.digest(config, week=WEEK)
    assert report.sent and report.audience_posts == 4 and not report.no_source_reachable
    html = (Path(report.folder) / "digest.html").read_text(encoding="utf-8")
    assert "Kundenservice" in html and "https://sales.example.com/1" in html
    assert len(smtp_server.recorder.messages) == 1
    received = smtp_server.recorder.messages[0]
    assert sorted(received.rcpt_tos) == ["lead@example.org", "team@example.org"]
    message = email.message_from_bytes(received.content, policy=email.policy.default)
    assert "2026" in message["Subject"] and "Beispiel GmbH" in message["Subject"]
    # text, then HTML with its charts as inline images (multipart/related)
    assert [p.get_content_type() for p in message.iter_parts()] == [
        "text/plain",
        "multipart/related",
    ]
    html_part = message.get_body(("html",))
    assert html_part is not None and "cid:moved@earshot.invalid" in html_part.get_content()

    again = flows.digest(config, week=WEEK)  # the same week is never sent twice
    assert not again.sent and len(smtp_server.recorder.messages) == 1


def test_offline_run_finishes_and_says_no_source_was_reached(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        [
            {"id": "gone", "kind": "feed", "url": closed_port_url("/a.xml")},
            {"id": "nowhere", "kind": "feed", "url": "http://earshot-test.invalid/feed.xml"},
        ],
    )
    runner = CliRunner(env={"COLUMNS": "220"})
    result = runner.invoke(app, ["run", "--config", config, "--week", WEEK])
    assert result.exit_code == 0, result.output
    assert "2 failed" in result.output
    assert "no source could be reached" in result.output
    digest_text = (tmp_path / "outbox" / WEEK / "digest.txt").read_text(encoding="utf-8")
    assert "keine Quelle erreichbar" in digest_text  # the German digest says so

    listing = runner.invoke(app, ["sources", "--config", config])
    assert listing.exit_code == 0
    assert listing.output.count("failed") == 2
    assert "earshot-test.invalid" in listing.output
