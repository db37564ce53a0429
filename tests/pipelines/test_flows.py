"""The whole loop as real Prefect flow runs: local feed server -> DuckDB -> spaCy -> SMTP."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from earshot.pipelines import flows
from earshot.pipelines.cli import app
from earshot.pipelines.config import load_config
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
    # what the tags were made with, for Explore's query preview (one version, every topic)
    recorded = query(
        tmp_path,
        "SELECT count(DISTINCT d.topics_version), count(*), "
        "bool_and(d.topics_version = r.topics_version) "
        "FROM _topic_definitions d, (SELECT DISTINCT topics_version FROM _topic_runs) r",
    )
    configured = len(load_config(config).config.topics)
    assert recorded == [(1, configured, True)]

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


def _task_runs(flow_run_id: UUID, expected: int) -> dict[str, Any]:
    """The flow run's task runs by name, once the server has all `expected` in a final state
    (task run states reach the server as events, a moment after the run)."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            final = {r.name: r for r in runs if r.state is not None and r.state.is_final()}
            if len(final) >= expected or time.monotonic() > deadline:
                return final
            time.sleep(0.2)


def test_a_failed_source_fails_its_fetch_task_not_the_collect_run(
    tmp_path: Path, feeds: FeedServer
) -> None:
    config = write_config(tmp_path, feed_sources(feeds)[:1] + feed_sources(feeds)[3:])
    state = flows.collect(config, return_state=True)
    assert state.is_completed()
    summary = state.result()
    assert (summary.ok, summary.failed) == (1, 1)

    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    runs = _task_runs(flow_run_id, expected=4)  # revalidate, two fetches, store
    dead, forum = runs["fetch-dead"], runs["fetch-forum"]
    assert dead.state is not None and dead.state.is_failed()
    assert dead.state.message is not None and dead.state.message.startswith("dead: ")
    assert dead.run_count == 1  # a source's failure is not retried by Prefect
    assert forum.state is not None and forum.state.is_completed()


def test_collect_source_fetches_that_source_now(tmp_path: Path, feeds: FeedServer) -> None:
    config = write_config(tmp_path, feed_sources(feeds)[:3])
    runner = CliRunner(env={"COLUMNS": "220"})
    first = runner.invoke(app, ["collect", "--config", config])
    assert first.exit_code == 0, first.output
    assert len(feeds.requests_to("/de.xml")) == 1 and len(feeds.requests_to("/en.xml")) == 1
    # Nothing is due now; --source fetches that one source anyway, and only it.
    again = runner.invoke(app, ["collect", "--config", config, "--source", "forum"])
    assert again.exit_code == 0, again.output
    assert "1 source(s) due" in again.output
    assert len(feeds.requests_to("/de.xml")) == 2 and len(feeds.requests_to("/en.xml")) == 1


def test_the_offline_run_is_quiet_and_its_logs_reach_the_api(tmp_path: Path) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL

    config = write_config(
        tmp_path, [{"id": "gone", "kind": "feed", "url": closed_port_url("/a.xml")}]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING")}
    env.update(PREFECT_API_URL=str(PREFECT_API_URL.value()), COLUMNS="220")

    def terminal(*options: str) -> list[str]:
        command = ["collect", "--force", "--config", config]
        done = subprocess.run(
            [sys.executable, "-m", "earshot.pipelines.cli", *options, *command],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return (done.stdout + done.stderr).strip().splitlines()

    verbose = terminal("--verbose")  # Prefect's own lines as well
    assert any("Task run 'fetch-gone' - Finished in state Failed" in line for line in verbose)
    lines = terminal()
    assert len(lines) == 2, lines  # the summary and the one failed source, once
    assert lines[0].startswith("collect: 1 source(s) due") and "✗ gone: " in lines[1]

    with get_client(sync_client=True) as client:
        run = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["collect"])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=1,
        )[0]
        assert run.name and run.parameters["config"] == config
        deadline = time.monotonic() + 30
        while True:
            logs = client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
            )
            messages = [log.message for log in logs]
            if any("Finished in state" in m for m in messages) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert any("source gone failed" in m for m in messages), messages
