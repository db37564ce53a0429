"""Pure parts of the feed listener: parsing bytes and normalising entries, no network."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from earshot.listeners.errors import ParseError
from earshot.listeners.feeds.normalize import (
    FeedContext,
    absolute_url,
    language_code,
    parse_datetime,
    post_from_entry,
    post_from_json_item,
)
from earshot.listeners.feeds.parse import jsonable, media_type, parse_feed

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
CONTEXT = FeedContext(
    source_id="s", base_url="https://x.example/feeds/main.xml", language="de", author=None,
    fetched_at=NOW,
)  # fmt: skip


@pytest.mark.parametrize(
    ("value", "code"),
    [("en-US", "en"), ("de_DE", "de"), ("FR", "fr"), (" pt-br ", "pt"), ("x", None),
     ("123", None), ("", None), (None, None), (7, None)],
)  # fmt: skip
def test_language_code(value: object, code: str | None) -> None:
    assert language_code(value) == code


def test_absolute_url() -> None:
    base = "https://x.example/feeds/main.xml"
    assert absolute_url("/a/b", base) == "https://x.example/a/b"
    assert absolute_url("c.html", base) == "https://x.example/feeds/c.html"
    assert absolute_url("//cdn.example/p", base) == "https://cdn.example/p"
    assert absolute_url("https://o.example/", base) == "https://o.example/"
    assert absolute_url("javascript:alert(1)", base) is None
    assert absolute_url("mailto:a@b.example", base) is None
    assert absolute_url("  ", base) is None and absolute_url(None, base) is None


def test_parse_datetime_gives_utc() -> None:
    assert parse_datetime("2024-05-02T09:00:00+02:00") == datetime(2024, 5, 2, 7, tzinfo=UTC)
    assert parse_datetime("2024-05-02T09:00:00Z") == datetime(2024, 5, 2, 9, tzinfo=UTC)
    assert parse_datetime("2024-05-02T09:00:00") == datetime(2024, 5, 2, 9, tzinfo=UTC)
    assert parse_datetime("Thu, 02 May 2024 09:00:00 -0500") == datetime(2024, 5, 2, 14, tzinfo=UTC)
    assert parse_datetime("yesterday") is None and parse_datetime(None) is None


def test_future_dates_beyond_a_day_are_dropped() -> None:
    soon = post_from_json_item({"id": "1", "date_published": "2024-05-07T06:00:00Z"}, CONTEXT)
    late = post_from_json_item({"id": "2", "date_published": "2024-05-08T12:00:00Z"}, CONTEXT)
    assert soon.published_at == datetime(2024, 5, 7, 6, tzinfo=UTC)
    assert late.published_at is None


def test_entry_without_id_or_link_gets_a_stable_content_id() -> None:
    entry = {"title": "Hello", "published_parsed": "2024-05-01T10:00:00Z"}
    first, second = post_from_entry(entry, CONTEXT), post_from_entry(dict(entry), CONTEXT)
    other = post_from_entry({**entry, "title": "Hello again"}, CONTEXT)
    assert first.external_id.startswith("sha256:")
    assert first.post_id == second.post_id != other.post_id


def test_feedburner_original_link_beats_the_redirector() -> None:
    entry = {
        "id": "x",
        "link": "http://feedproxy.google.com/~r/x/1",
        "feedburner_origlink": "https://blog.example/1",
    }
    assert post_from_entry(entry, CONTEXT).url == "https://blog.example/1"


def test_odd_json_feed_field_types_do_not_crash() -> None:
    item = {"id": None, "url": 5, "title": ["no"], "content_html": None, "authors": "me",
            "summary": "fine", "language": 3}  # fmt: skip
    post = post_from_json_item(item, CONTEXT)
    assert post.title is None and post.url is None and post.text == "fine"
    assert post.lang_hint == "de" and post.external_id.startswith("sha256:")


def test_jsonable_converts_struct_time_and_nested_values() -> None:
    raw = jsonable({"t": time.gmtime(0), "l": ({"b": b"x"},), "d": NOW, "o": object})
    assert raw["t"] == "1970-01-01T00:00:00Z"
    assert raw["l"] == [{"b": "x"}]
    assert raw["d"] == "2024-05-06T12:00:00+00:00"
    json.dumps(raw)


def test_media_type() -> None:
    assert media_type("Application/RSS+XML; charset=utf-8") == "application/rss+xml"
    assert media_type(None) == ""


def test_parse_feed_names_the_url_for_a_non_feed() -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(b"just some text", url="https://x.example/f", content_type="text/plain")
    assert str(caught.value).startswith("https://x.example/f: not a feed (got text/plain")


def test_parse_json_feed_version_1() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1", "items": [{"id": "a"}, 3]})
    parsed = parse_feed(body.encode(), url="https://x.example/f.json", content_type=None)
    assert parsed.kind == "json" and len(parsed.entries) == 1


def test_a_feed_cut_inside_an_entry_loses_only_that_fragment() -> None:
    from earshot.listeners.feeds.parse import parse_feed

    whole = (
        b'<rss version="2.0"><channel><title>Fish & Chips</title>'
        b"<item><guid>urn:a</guid><title>One</title></item>"
        b"<item><guid>urn:b</guid><title>Two</title></item>"
    )
    cut = parse_feed(whole + b"<item><guid>urn:c</guid><ti", url="https://x.example/f",
                     content_type="application/rss+xml")  # fmt: skip
    assert [e["id"] for e in cut.entries] == ["urn:a", "urn:b"]
    unclosed = parse_feed(whole, url="https://x.example/f", content_type=None)
    assert [e["id"] for e in unclosed.entries] == ["urn:a", "urn:b"]


def test_a_relative_permalink_guid_has_one_id_on_both_parse_paths() -> None:
    from earshot.listeners.feeds.parse import parse_feed

    feed = b'<rss version="2.0"><channel><title>%s</title><item><guid>post-1</guid>' \
        b"<title>T</title></item></channel></rss>"  # fmt: skip
    url = "https://x.example/feeds/main.xml"
    ids = [
        parse_feed(feed % title, url=url, content_type=None).entries[0]["id"]
        for title in (b"Fish and Chips", b"Fish & Chips")  # fast path, then feedparser
    ]
    assert ids == ["https://x.example/feeds/post-1"] * 2
