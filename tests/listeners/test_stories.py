"""Cross-posting: canonical URLs, the story key, and one story arriving from several platforms
(real listeners against a local server that answers like each platform)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.feeds.normalize import posts_from_feed
from earshot.listeners.feeds.parse import parse_feed
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import Post, content_key
from earshot.listeners.stories import canonical_url, story_key
from earshot.listeners.text import links_in_html
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply
from tests.listeners.test_bluesky import AuthorFeed, author_spec, view
from tests.listeners.test_mastodon import Timeline, status
from tests.listeners.test_reddit_hn_youtube import Listing, thing

JSON = "application/json; charset=utf-8"
ARTICLE = "https://blog.example/2024/05/launch-day"


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("http://www.Blog.Example/2024/05/launch-day/", ARTICLE),
        (f"{ARTICLE}?utm_source=mastodon&utm_medium=social&fbclid=IwAR0x", ARTICLE),
        (f"{ARTICLE}?gclid=abc#comments", ARTICLE),
        (f"{ARTICLE}/amp/", ARTICLE),
        ("https://m.blog.example:443/2024/05/launch-day", ARTICLE),
        ("https://blog-example.cdn.ampproject.org/c/s/blog.example/2024/05/launch-day", ARTICLE),
        ("https://www.google.com/amp/s/blog.example/2024/05/launch-day", ARTICLE),
        ("https://news.example/story.amp.html", "https://news.example/story.html"),
        ("https://shop.example/p?b=2&a=1&utm_campaign=x", "https://shop.example/p?a=1&b=2"),
        ("https://shop.example/p?outputType=amp&id=7", "https://shop.example/p?id=7"),
        ("https://site.example/a%7Eb/%41%2Fc", "https://site.example/a~b/A%2Fc"),
        ("https://youtu.be/dQw4w9WgXcQ?si=share", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        (
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=shared&t=42",
            "https://youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("http://site.example:8080/x/", "https://site.example:8080/x"),
        ("https://user:pw@site.example/x", "https://site.example/x"),
    ],
)
def test_url_variants_have_one_canonical_form(variant: str, canonical: str) -> None:
    assert canonical_url(variant) == canonical


@pytest.mark.parametrize("url", ["mailto:a@b.example", "ftp://x.example/f", "/relative", "", None])
def test_what_is_not_a_web_url_has_no_canonical_form(url: str | None) -> None:
    assert canonical_url(url) is None


def test_story_key_prefers_the_shared_page_and_otherwise_the_words() -> None:
    by_url = story_key(f"{ARTICLE}?utm_source=x", None, "Read this!", "id-1")
    assert by_url == story_key("http://www.blog.example/2024/05/launch-day/", "T", "", "id-2")
    # A site's front page names no one story: the words decide.
    assert story_key("https://blog.example/", None, "Hello", "a") == content_key("", "Hello")
    # Near-identical words: case, punctuation and spacing do not matter.
    assert story_key(None, None, "Launch day!  We're LIVE", "a") == story_key(
        None, None, "launch day - we re live", "b"
    )
    assert story_key(None, None, "Launch day", "a") != story_key(None, None, "Launch night", "a")
    # Posts with neither a page nor words are not all one story.
    assert story_key(None, None, "", "a") != story_key(None, None, "  ", "b")


def test_a_text_post_keeps_the_key_it_had_before_story_urls() -> None:
    post = Post("mastodon", "m", "1", None, None, None, "Title", "Some text", None, None, NOW)
    assert post.content_key == content_key("Title", "Some text")


def test_links_in_html_skip_mentions_and_hashtags() -> None:
    markup = (
        '<p><span class="h-card"><a href="https://social.example/@bob" class="u-url mention">'
        '@<span>bob</span></a></span> read <a href="https://blog.example/a?x=1&amp;y=2" '
        'rel="nofollow noopener" target="_blank">blog.example/a</a> '
        '<a href="https://social.example/tags/news" class="mention hashtag" rel="tag">#news</a>'
        "<a href='http://other.example/b'>b</a></p>"
    )
    assert links_in_html(markup) == ["https://blog.example/a?x=1&y=2", "http://other.example/b"]


def test_feed_items_that_all_link_the_front_page_are_keyed_by_their_text() -> None:
    items = "".join(
        f"<item><title>News {n}</title><link>https://site.example/</link><guid>g{n}</guid>"
        f"<description>Body {n}</description></item>"
        for n in range(3)
    )
    body = f'<rss version="2.0"><channel><title>S</title>{items}</channel></rss>'.encode()
    parsed = parse_feed(body, url="https://site.example/feed", content_type="application/rss+xml")
    posts = posts_from_feed(
        parsed, source_id="s", base_url="https://site.example/feed", lang_hint=None, fetched_at=NOW
    )
    assert [p.shared_url for p in posts] == [None, None, None]
    assert len({p.content_key for p in posts}) == 3


# --- properties ----------------------------------------------------------------------------

_label = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
_segment = st.from_regex(r"[A-Za-z0-9._~-]{1,10}", fullmatch=True).filter(
    lambda s: s not in (".", "..", "amp")
)
_param = st.tuples(
    st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True).filter(
        lambda k: not k.startswith(("utm", "pk", "mtm", "hsa")) and k not in ("ref", "amp", "share")
    ),
    st.from_regex(r"[A-Za-z0-9]{0,6}", fullmatch=True),
)
_tracking = st.lists(
    st.tuples(
        st.sampled_from(["utm_source", "utm_medium", "fbclid", "gclid", "mc_eid", "ref"]),
        st.from_regex(r"[A-Za-z0-9]{1,6}", fullmatch=True),
    ),
    max_size=3,
)


@st.composite
def pages(draw: st.DrawFn) -> tuple[str, str]:
    """(a page's plain URL, the same page as some platform spells it)."""
    host = ".".join(draw(st.lists(_label, min_size=2, max_size=3)))
    segments = draw(st.lists(_segment, min_size=1, max_size=4))
    params = draw(st.lists(_param, max_size=3, unique_by=lambda p: p[0]))
    query = "&".join(f"{k}={v}" for k, v in params)
    plain = f"https://{host}/{'/'.join(segments)}" + (f"?{query}" if query else "")
    noisy_params = params + draw(_tracking)
    draw(st.randoms()).shuffle(noisy_params)
    noisy_query = "&".join(f"{k}={v}" for k, v in noisy_params)
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    prefix = draw(st.sampled_from(["", "www.", "WWW.", "m."]))
    variant = f"{scheme}://{prefix}{host.upper() if draw(st.booleans()) else host}"
    variant += "/" + "/".join(segments) + draw(st.sampled_from(["", "/"]))
    variant += (f"?{noisy_query}" if noisy_query else "") + draw(st.sampled_from(["", "#top"]))
    return plain, variant


@settings(max_examples=60, deadline=None)
@given(pages())
def test_every_spelling_of_a_page_has_the_same_canonical_url(page: tuple[str, str]) -> None:
    plain, variant = page
    assert canonical_url(variant) == canonical_url(plain)


@settings(max_examples=60, deadline=None)
@given(pages())
def test_canonical_urls_are_fixed_points_without_tracking_or_fragments(
    page: tuple[str, str],
) -> None:
    canonical = canonical_url(page[1])
    assert canonical is not None and canonical_url(canonical) == canonical
    assert canonical.startswith("https://") and "#" not in canonical
    assert "utm_" not in canonical and "fbclid" not in canonical and "://www." not in canonical


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_canonical_url_never_raises(text: str) -> None:
    result = canonical_url(text)
    assert result is None or (result.startswith("https://") and canonical_url(result) == result)


# --- one story from three platforms, through the real listeners ------------------------------


def test_one_link_from_a_feed_mastodon_reddit_and_bluesky_is_one_story(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>'
        "<item><title>Launch day</title>"
        f"<link>{ARTICLE}?utm_source=rss&amp;utm_medium=feed</link><guid>post-42</guid>"
        "<description>&lt;p&gt;Today we launch.&lt;/p&gt;</description></item>"
        "<item><title>Older</title><link>https://blog.example/2024/04/older</link>"
        "<guid>post-41</guid><description>Before.</description></item>"
        "</channel></rss>"
    ).encode()
    feed_url = feed_server.route("/feed.xml", Reply(feed, content_type="application/rss+xml"))

    toot = status(
        1,
        content='<p>Big news: <a href="http://www.blog.example/2024/05/launch-day/'
        '?utm_source=mastodon">blog.example/2024/05/launch-day</a></p>',
    )
    plain_toot = status(2, content="<p>Nothing to link today</p>")
    feed_server.handle(
        "/api/v1/timelines/tag/launch",
        Timeline(feed_server, "/api/v1/timelines/tag/launch", [toot, plain_toot]),
    )

    link_post = thing(1)  # a link post: is_self false
    link_post["data"]["url"] = "https://m.blog.example/2024/05/launch-day#comments"
    link_post["data"]["title"] = "They launched!"
    feed_server.handle("/r/marketing/new.json", Listing([link_post]))

    skeet = view(1, text="Launch day at last: blog.example/2024/05/launc...")
    skeet["record"]["embed"] = {
        "$type": "app.bsky.embed.external",
        "external": {"uri": f"{ARTICLE}/?fbclid=xyz", "title": "Launch day", "description": ""},
    }
    feed_server.handle("/xrpc/app.bsky.feed.getAuthorFeed", AuthorFeed([{"post": skeet}]))

    specs = [
        SourceSpec("blog", "feed", feed_url),
        SourceSpec("masto", "mastodon", feed_server.base_url,
                   options={"instance": feed_server.base_url, "hashtag": "launch"}),
        SourceSpec("rm", "reddit", "https://www.reddit.com/r/marketing/new",
                   options={"subreddit": "marketing", "api_url": feed_server.base_url}),
        author_spec(feed_server),
    ]  # fmt: skip
    posts: list[Post] = []
    for spec in specs:
        result = fetch_source(client, spec, {}, policy=policy, now=NOW)
        assert result.status is FetchStatus.OK, (spec.source_id, result.error)
        posts += result.posts
    about_launch = [p for p in posts if p.story_url == ARTICLE]
    assert sorted(p.platform for p in about_launch) == ["bluesky", "feed", "mastodon", "reddit"]
    assert len({p.content_key for p in about_launch}) == 1  # one story ...
    assert len({p.post_id for p in about_launch}) == 4  # ... in four posts
    others = [p for p in posts if p not in about_launch]
    assert {p.text for p in others} == {"Before.", "Nothing to link today"}
    assert not {p.content_key for p in others} & {about_launch[0].content_key}


def test_the_same_words_on_two_platforms_are_one_story() -> None:
    when = datetime(2024, 5, 6, tzinfo=UTC)

    def post(platform: str, text: str) -> Post:
        return Post(platform, "s", f"{platform}-1", None, None, None, None, text, None, when, when)

    masto = post("mastodon", "Our survey is out: what do customers want in 2025?")
    sky = post("bluesky", "our survey is out — what do customers want in 2025")
    other = post("bluesky", "Our survey is out: what do partners want in 2025?")
    assert masto.content_key == sky.content_key != other.content_key


def test_link_posts_share_their_page_and_comments_and_self_posts_do_not() -> None:
    from earshot.listeners.hackernews.normalize import post_from_hit
    from earshot.listeners.reddit.normalize import post_from_thing

    args = {"source_id": "s", "fetched_at": NOW, "lang_hint": None}
    story = post_from_hit(
        {"objectID": "1", "title": "Launch", "url": ARTICLE, "_tags": ["story"]}, **args
    )
    comment = post_from_hit(
        {"objectID": "2", "comment_text": "Nice", "story_url": ARTICLE, "_tags": ["comment"]},
        **args,
    )
    assert story is not None and story.story_url == ARTICLE
    assert comment is not None and comment.shared_url is None
    self_post = post_from_thing(
        {
            "name": "t3_a",
            "title": "Q?",
            "selftext": "Body",
            "is_self": True,
            "url": "https://www.reddit.com/r/x/comments/a/q/",
        },
        **args,
    )
    crosspost = post_from_thing(
        {
            "name": "t3_b",
            "title": "Q?",
            "selftext": "",
            "is_self": False,
            "url": "/r/x/comments/a/q/",
        },
        **args,
    )
    assert self_post is not None and self_post.shared_url is None
    assert crosspost is not None
    assert crosspost.story_url == "https://reddit.com/r/x/comments/a/q"
