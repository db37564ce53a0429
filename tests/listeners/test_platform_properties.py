"""Property: the new platforms' normalisers never raise on JSON of any shape (a server may
send anything), and what they return is a usable post: words, a tz-aware time or none."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from earshot.listeners.appstore.normalize import feed_of, post_from_review, reviews_of
from earshot.listeners.discourse.normalize import (
    latest_posts_of,
    post_from_discourse,
    topic_posts_of,
    topic_stream,
    topics_of,
)
from earshot.listeners.lemmy.normalize import (
    next_cursor,
    post_from_comment_view,
    post_from_post_view,
    views_of,
)
from earshot.listeners.news.normalize import articles_of, post_from_article
from earshot.listeners.records import Post
from earshot.listeners.stackexchange.normalize import post_from_item, wrapper_of
from tests.listeners.conftest import NOW

KEYS = st.sampled_from(
    ["id", "post", "comment", "posts", "comments", "latest_posts", "post_stream", "stream",
     "topic_list", "topics", "items", "question_id", "answer_id", "body", "title", "cooked",
     "content", "published", "creation_date", "feed", "entry", "label", "im:rating", "url",
     "seendate", "articles", "counts", "creator", "owner", "name", "deleted", "next_page"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
    st.text(max_size=30), st.sampled_from(["2023-08-07T13:35:18.433381", "20240506T114500Z",
                                           "<p>hi</p>", "12345", "Z"]),
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)
KW: dict[str, Any] = {"source_id": "s", "fetched_at": NOW, "lang_hint": None}


def _usable(posts: list[Post | None]) -> None:
    for post in posts:
        if post is None:
            continue
        assert post.text.strip() or (post.title or "").strip()
        assert post.published_at is None or post.published_at.tzinfo is not None
        assert post.content_key  # computable for any shape


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_normalisers_take_any_json(document: Any) -> None:
    discourse = latest_posts_of(document) + topic_posts_of(document)
    topic_stream(document)
    topics_of(document)
    _usable([post_from_discourse(p, forum="https://f.example", **KW) for p in discourse])
    next_cursor(document)
    _usable([post_from_post_view(v, **KW) for v in views_of(document, "posts")])
    _usable([post_from_comment_view(v, **KW) for v in views_of(document, "comments")])
    wrapper = wrapper_of(document)
    items = wrapper.items if wrapper else []
    _usable([post_from_item(i, site="so", **KW) for i in items])
    feed = feed_of(document)
    reviews = reviews_of(feed) if feed else []
    _usable([post_from_review(e, app_id="1", country="de", **KW) for e in reviews])
    _usable([post_from_article(a, **KW) for a in articles_of(document) or []])
