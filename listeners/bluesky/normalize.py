"""Bluesky post views (API JSON) and Jetstream post events as `Post`s. Pure: reposts become
their original post."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from earshot.listeners.bluesky.urls import POST_COLLECTION, post_url, web_url
from earshot.listeners.feeds.normalize import language_code
from earshot.listeners.records import Post
from earshot.listeners.social.common import count, parse_iso, text_field
from earshot.listeners.stories import first_link
from earshot.listeners.text import collapse_whitespace

PLATFORM = "bluesky"
_TAG = "app.bsky.richtext.facet#tag"
_LINK = "app.bsky.richtext.facet#link"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def facets(record: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Hashtags and full link URLs from a post record's facets (the text shortens links)."""
    tags: list[str] = []
    links: list[str] = []
    for facet in _list(record.get("facets")):
        for feature in _list(_map(facet).get("features")):
            feature = _map(feature)
            if feature.get("$type") == _TAG and text_field(feature.get("tag")):
                tags.append(str(feature["tag"]))
            elif feature.get("$type") == _LINK and text_field(feature.get("uri")):
                links.append(str(feature["uri"]))
    return tags, links


def _embed_text(record: Mapping[str, Any]) -> str:
    """Text of a post without its own words: a link card, else image alt texts."""
    embed = _map(record.get("embed"))
    media = _map(embed.get("media"))  # recordWithMedia
    external = _map(embed.get("external") or media.get("external"))
    parts = [text_field(external.get("title")), text_field(external.get("description"))]
    images = embed.get("images") or media.get("images") or ()
    parts += [text_field(_map(i).get("alt")) for i in images if isinstance(images, list)]
    return collapse_whitespace("\n".join(p for p in parts if p))


def _embed_link(record: Mapping[str, Any]) -> str | None:
    """The page of a post's link card (`app.bsky.embed.external`, also beside media)."""
    embed = _map(record.get("embed"))
    external = _map(embed.get("external") or _map(embed.get("media")).get("external"))
    return text_field(external.get("uri"))


def feed_items(document: Any) -> list[Mapping[str, Any]]:
    """Feed items ({post, reason?}) of getAuthorFeed/getFeed, or search posts wrapped alike."""
    document = _map(document)
    if isinstance(document.get("feed"), list):
        return [i for i in document["feed"] if isinstance(i, Mapping) and _map(i.get("post"))]
    if isinstance(document.get("posts"), list):
        return [{"post": p} for p in document["posts"] if isinstance(p, Mapping)]
    if isinstance(document.get("thread"), Mapping):
        return [{"post": p} for p in _thread_posts(document["thread"])]
    return []


def _thread_posts(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A thread's posts: parents, the post, then replies (depth first)."""
    posts: list[Mapping[str, Any]] = []
    parent = _map(node.get("parent"))
    if parent:
        posts += _thread_posts({"post": parent.get("post"), "parent": parent.get("parent")})
    if _map(node.get("post")):
        posts.append(node["post"])
    for reply in node.get("replies") or ():
        if isinstance(reply, Mapping):
            posts += _thread_posts({"post": reply.get("post"), "replies": reply.get("replies")})
    return posts


def item_time(item: Mapping[str, Any]) -> str:
    """The item's place in a newest-first listing: the repost's time for a repost."""
    reason = _map(item.get("reason"))
    post = _map(item.get("post"))
    when = parse_iso(reason.get("indexedAt")) or parse_iso(post.get("indexedAt"))
    when = when or parse_iso(_map(post.get("record")).get("createdAt"))
    return when.isoformat() if when else ""


def item_id(item: Mapping[str, Any]) -> str:
    return str(_map(item.get("post")).get("uri") or "")


def post_from_view(
    view: Mapping[str, Any], *, source_id: str, fetched_at: datetime, lang_hint: str | None
) -> Post | None:
    """A post view (`post` of a feed item or search hit); None without a URI."""
    uri = text_field(view.get("uri"))
    if uri is None:
        return None
    record = _map(view.get("record"))
    author = _map(view.get("author"))
    text = collapse_whitespace(text_field(record.get("text")) or "")
    if not text:
        text = _embed_text(record)
    tags, links = facets(record)
    langs = record.get("langs")
    lang = language_code(langs[0]) if isinstance(langs, list) and langs else None
    handle = text_field(author.get("handle"))
    shared = _embed_link(record) or first_link(links)
    raw = dict(view)
    raw["earshot"] = {"hashtags": tags, "links": links, "quotes": count(view.get("quoteCount"))}
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=uri,
        url=web_url(handle, uri),
        author=text_field(author.get("displayName")) or handle,
        author_handle=handle,
        title=None,
        text=text,
        lang_hint=lang or lang_hint,
        published_at=parse_iso(record.get("createdAt")) or parse_iso(view.get("indexedAt")),
        fetched_at=fetched_at,
        likes=count(view.get("likeCount")),
        reposts=count(view.get("repostCount")),
        replies=count(view.get("replyCount")),
        raw=raw,
        shared_url=shared,
    )


class MalformedEvent(ValueError):
    """A Jetstream event that does not have the shape of its kind; `str()` says what is wrong."""


def event_time(event: Any) -> int | None:
    """An event's `time_us` (its place in the stream: the cursor), None when it has none."""
    value = event.get("time_us") if isinstance(event, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def post_from_event(event: Any, *, source_id: str, fetched_at: datetime) -> Post | None:
    """A Jetstream v1 event as a `Post`: the creation of an `app.bsky.feed.post`; None for any
    other event (likes, follows, updates, deletes, identity and account events) and for a post
    with neither words nor alt texts. Raises `MalformedEvent` for an event of the wrong shape.
    """
    if not isinstance(event, Mapping):
        raise MalformedEvent(f"expected a JSON object, got {type(event).__name__}")
    did, when = event.get("did"), event_time(event)
    if not isinstance(did, str) or not did.startswith("did:"):
        raise MalformedEvent("no `did`")
    if when is None:
        raise MalformedEvent("no `time_us`")
    if event.get("kind") != "commit":
        return None
    commit = event.get("commit")
    if not isinstance(commit, Mapping):
        raise MalformedEvent("a commit event without `commit`")
    if commit.get("collection") != POST_COLLECTION or commit.get("operation") != "create":
        return None
    rkey, record = commit.get("rkey"), commit.get("record")
    if not isinstance(rkey, str) or not rkey or "/" in rkey:
        raise MalformedEvent("a post without a usable `commit.rkey`")
    if not isinstance(record, Mapping):
        raise MalformedEvent("a post without `commit.record`")
    text = collapse_whitespace(text_field(record.get("text")) or "") or _embed_text(record)
    if not text:
        return None
    tags, links = facets(record)
    langs = record.get("langs")
    lang = language_code(langs[0]) if isinstance(langs, list) and langs else None
    reply = _map(record.get("reply"))
    raw = dict(event)
    raw["earshot"] = {
        "hashtags": tags,
        "links": links,
        "reply_to": text_field(_map(reply.get("parent")).get("uri")),
        "thread_root": text_field(_map(reply.get("root")).get("uri")),
    }
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=f"at://{did}/{POST_COLLECTION}/{rkey}",  # the AppView's URI: one post id
        url=post_url(did, rkey),
        author=did,
        author_handle=did,
        title=None,
        text=text,
        lang_hint=lang,
        published_at=parse_iso(record.get("createdAt")) or datetime.fromtimestamp(when / 1e6, UTC),
        fetched_at=fetched_at,
        raw=raw,
        shared_url=_embed_link(record) or first_link(links),
    )
