"""Jetstream post events as `Post`s (the recorded real events and hostile shapes), the
subscription URL, and the topic filter the stream keeps posts with."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earshot.listeners.bluesky import urls
from earshot.listeners.bluesky.normalize import MalformedEvent, event_time, post_from_event
from earshot.nlp.records import TopicRule
from earshot.nlp.topicfilter import TopicFilter
from tests.listeners.jetstream_server import synthetic_events

RECORDED = (
    Path(__file__).resolve().parents[2]
    / "../shared/eval/api-responses/bluesky-jetstream/greptimedb_jsonbench_5events_2024-11-21.jsonl"
)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _post(event: object) -> object:
    return post_from_event(event, source_id="firehose", fetched_at=NOW)


@pytest.mark.skipif(not RECORDED.exists(), reason="shared eval data not present")
def test_recorded_events_give_their_two_posts() -> None:
    events = [json.loads(line) for line in RECORDED.read_text(encoding="utf-8").splitlines()]
    posts = [p for p in map(_post, events) if p is not None]
    assert len(events) == 5 and len(posts) == 2  # the likes and the follow are no posts
    first = posts[0]
    assert first.url == (  # type: ignore[attr-defined]
        "https://bsky.app/profile/did:plc:yj3sjq3blzpynh27cumnp5ks/post/3lbhtyteurk2y"
    )
    assert first.external_id == (  # type: ignore[attr-defined]
        "at://did:plc:yj3sjq3blzpynh27cumnp5ks/app.bsky.feed.post/3lbhtyteurk2y"
    )
    assert first.author == "did:plc:yj3sjq3blzpynh27cumnp5ks"  # type: ignore[attr-defined]
    assert first.text == "aaaaah. LIght shines in a corner of WTF...."  # type: ignore[attr-defined]
    assert first.lang_hint == "en"  # type: ignore[attr-defined]
    assert first.published_at == datetime(2024, 11, 21, 16, 9, 27, 95000, tzinfo=UTC)  # type: ignore[attr-defined]
    reply = first.raw["earshot"]  # type: ignore[attr-defined]
    assert (
        reply["reply_to"]
        == "at://did:plc:6tr6tuzlx2db3rduzr2d6r24/app.bsky.feed.post/3lbhqo2rtys2z"
    )
    assert reply["thread_root"] == reply["reply_to"]
    assert event_time(events[0]) == 1732206349000167


def _event(**record: object) -> dict[str, object]:
    return {
        "did": "did:plc:abc",
        "time_us": 1_700_000_000_000_000,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": "3k",
            "record": record,
            "cid": "bafy",
        },
    }


def test_a_post_without_words_takes_its_alt_texts_and_an_empty_one_is_skipped() -> None:
    with_image = _event(
        text="",
        createdAt="2024-01-01T00:00:00Z",
        embed={"$type": "app.bsky.embed.images", "images": [{"alt": "a queue at the desk"}]},
    )
    assert _post(with_image).text == "a queue at the desk"  # type: ignore[union-attr]
    assert _post(_event(text="  ", createdAt="2024-01-01T00:00:00Z")) is None


def test_a_post_without_created_at_takes_the_event_time() -> None:
    post = _post(_event(text="hello"))
    assert post.published_at == datetime.fromtimestamp(1_700_000_000, UTC)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ([1, 2], "expected a JSON object, got list"),
        ({"time_us": 1, "kind": "commit"}, "no `did`"),
        ({"did": "did:plc:x", "kind": "commit"}, "no `time_us`"),
        ({"did": "did:plc:x", "time_us": "soon"}, "no `time_us`"),
        ({"did": "did:plc:x", "time_us": 5, "kind": "commit"}, "a commit event without `commit`"),
        (
            {
                **_event(text="x"),
                "commit": {"operation": "create", "collection": "app.bsky.feed.post", "record": {}},
            },
            "usable `commit.rkey`",
        ),
        (
            {
                **_event(text="x"),
                "commit": {
                    "operation": "create",
                    "rkey": "a",
                    "collection": "app.bsky.feed.post",
                    "record": "x",
                },
            },
            "without `commit.record`",
        ),
    ],
)
def test_malformed_events_say_what_is_wrong(event: object, problem: str) -> None:
    with pytest.raises(MalformedEvent, match=problem):
        _post(event)


def test_other_events_are_no_posts() -> None:
    deleted = _event(text="x")
    deleted["commit"]["operation"] = "delete"  # type: ignore[index]
    assert _post(deleted) is None
    assert _post({"did": "did:plc:x", "time_us": 5, "kind": "identity", "identity": {}}) is None


def test_the_subscription_asks_for_posts_from_the_cursor() -> None:
    assert urls.jetstream("wss://j.example/subscribe") == (
        "wss://j.example/subscribe?wantedCollections=app.bsky.feed.post"
    )
    assert urls.jetstream("ws://127.0.0.1:5/subscribe?compress=false", 17).endswith(
        "?compress=false&wantedCollections=app.bsky.feed.post&cursor=17"
    )


RULES = [
    TopicRule("service", None, {"en": ("customer service",), "de": ("Kundenservice",)}, {}),
    TopicRule("billing", None, {"en": ("invoice",)}, {"en": ("invoice ninja",)}),
]


@pytest.mark.parametrize(
    ("text", "lang", "kept"),
    [
        ("Their Customer Services team was great", "en", True),
        ("#CustomerService fail again", None, True),
        ("Der Kundenservice war freundlich", "de", True),
        ("Wieder mal Kundenservices-Chaos", "de", True),
        ("My invoices are wrong", "en", True),
        ("switched to invoice ninja", "en", False),  # the exclusion holds
        ("the customer is always right", "en", False),  # one word of the phrase only
        ("servicecustomer", "en", False),
        ("", "en", False),
    ],
)
def test_the_topic_filter_keeps_what_the_tagger_tags(
    text: str, lang: str | None, kept: bool
) -> None:
    assert TopicFilter(RULES, languages=["de", "en"]).matches(text, lang) is kept


def test_the_pre_filter_turns_most_texts_away_before_the_tagger() -> None:
    matcher = TopicFilter(RULES, languages=["en"])
    events = synthetic_events(1000, share=0.02, topic_text="customer service is slow")
    texts = [json.loads(e)["commit"]["record"].get("text") or "" for e in events]
    kept = sum(matcher.matches(t, "en") for t in texts)
    assert kept == 20
    assert matcher.checked == 20  # none of the other texts names a term's first word


def test_a_query_that_holds_without_terms_checks_every_text() -> None:
    matcher = TopicFilter([TopicRule("all", None, {}, {}, query="NOT spam")], languages=["en"])
    assert matcher.matches("anything at all", "en")
    assert not matcher.matches("spam spam", "en")


def test_the_config_default_is_the_public_jetstream() -> None:
    from earshot.pipelines.config import STREAM_URL

    assert STREAM_URL == urls.PUBLIC_JETSTREAM


_KEYS = st.sampled_from(
    [
        "text",
        "langs",
        "facets",
        "features",
        "$type",
        "tag",
        "uri",
        "embed",
        "images",
        "alt",
        "external",
        "media",
        "title",
        "description",
        "reply",
        "parent",
        "root",
        "createdAt",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.text(max_size=20),
    st.sampled_from(
        [
            "app.bsky.richtext.facet#tag",
            "app.bsky.richtext.facet#link",
            "en",
            "2024-11-21T16:09:27.095Z",
            "https://x.example/a",
        ]
    ),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(record=_JSON, rkey=_SCALARS, when=_SCALARS)
def test_any_event_is_a_post_none_or_malformed(record: object, rkey: object, when: object) -> None:
    event = {
        "did": "did:plc:abc",
        "time_us": when,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": rkey,
            "record": record,
        },
    }
    try:
        post = post_from_event(event, source_id="s", fetched_at=NOW)
    except MalformedEvent:
        return
    if post is not None:
        assert post.text.strip()
        assert post.published_at is not None and post.published_at.tzinfo is not None
        assert post.content_key
