"""A Mastodon status (API JSON) as a `Post`. Pure: boosts become their original status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from earshot.listeners.feeds.normalize import language_code
from earshot.listeners.records import Post
from earshot.listeners.social.common import count, parse_iso, text_field
from earshot.listeners.stories import first_link
from earshot.listeners.text import html_to_text, links_in_html

PLATFORM = "mastodon"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def original(status: Mapping[str, Any]) -> Mapping[str, Any]:
    """The boosted status for a boost, else the status itself (boosts are not counted twice)."""
    reblog = status.get("reblog")
    return reblog if isinstance(reblog, Mapping) else status


def post_from_status(
    status: Mapping[str, Any], *, source_id: str, fetched_at: datetime, lang_hint: str | None
) -> Post | None:
    """None for something that is not a status (no id)."""
    status = original(status)
    status_id = text_field(status.get("id"))
    if status_id is None:
        return None
    account = _map(status.get("account"))
    content = html_to_text(text_field(status.get("content")) or "")
    spoiler = text_field(status.get("spoiler_text"))
    if spoiler:  # a content warning is the post's own summary of itself
        content = f"{spoiler.strip()}\n\n{content}".strip()
    card = _map(status.get("card"))
    shared = text_field(card.get("url")) or first_link(
        links_in_html(text_field(status.get("content")) or "")
    )
    if not content:
        content = (text_field(card.get("title")) or "").strip()
    # `uri` is the status's identity across the fediverse; its URL differs per instance.
    external_id = text_field(status.get("uri")) or text_field(status.get("url")) or status_id
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=external_id,
        url=text_field(status.get("url")) or text_field(status.get("uri")),
        author=text_field(account.get("display_name")) or text_field(account.get("username")),
        author_handle=text_field(account.get("acct")),
        title=None,
        text=content,
        lang_hint=language_code(status.get("language")) or lang_hint,
        published_at=parse_iso(status.get("created_at")),
        fetched_at=fetched_at,
        likes=count(status.get("favourites_count")),
        reposts=count(status.get("reblogs_count")),
        replies=count(status.get("replies_count")),
        raw=dict(status),
        shared_url=shared,
    )


def statuses_of(document: Any) -> list[Mapping[str, Any]]:
    """Statuses in a timeline (a list), a v2 search answer ({'statuses': [...]}), a thread
    context ({'ancestors', 'descendants'}) or a single status; accounts and tags are not."""
    if isinstance(document, Mapping):
        if "content" in document:
            return [document]
        parts = [document.get(k) for k in ("statuses", "ancestors", "descendants")]
        document = [s for part in parts if isinstance(part, list) for s in part]
    if not isinstance(document, list):
        return []
    return [s for s in document if isinstance(s, Mapping) and ("content" in s or s.get("reblog"))]
