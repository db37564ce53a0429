"""Stack Exchange questions and answers (API 2.x, `withbody` filter) as `Post`s. Pure.

Every answer of the API wraps its items: `items`, `has_more`, `quota_max`, `quota_remaining`
and, when the site wants us to slow down, `backoff` (seconds before the next request).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from earshot.listeners.records import Post
from earshot.listeners.social.common import count, from_epoch, text_field
from earshot.listeners.stories import first_link
from earshot.listeners.text import collapse_whitespace, html_to_text, links_in_html

PLATFORM = "stackexchange"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class Wrapper:
    """The common wrapper of an API answer."""

    items: list[Mapping[str, Any]]
    has_more: bool
    quota_remaining: int | None
    quota_max: int | None
    backoff: int | None


def wrapper_of(document: Any) -> Wrapper | None:
    """None for a body that is not an API answer (no `items` list)."""
    document = _map(document)
    items = document.get("items")
    if not isinstance(items, list):
        return None
    return Wrapper(
        [i for i in items if isinstance(i, Mapping)],
        document.get("has_more") is True,
        _int(document.get("quota_remaining")),
        _int(document.get("quota_max")),
        _int(document.get("backoff")),
    )


def questions_of(items: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The questions among `items` (other item types, e.g. sites or users, are not posts)."""
    return [i for i in items if _int(i.get("question_id")) and "answer_id" not in i]


def answers_of(items: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [i for i in items if _int(i.get("answer_id")) and _int(i.get("question_id"))]


def activity_key(question: Mapping[str, Any]) -> str:
    when = _int(question.get("last_activity_date")) or _int(question.get("creation_date")) or 0
    return f"{when:012d}"


def item_id(item: Mapping[str, Any]) -> str:
    answer = _int(item.get("answer_id"))
    return f"a{answer}" if answer else f"q{_int(item.get('question_id'))}"


def created(item: Mapping[str, Any]) -> int:
    return _int(item.get("creation_date")) or 0


def _owner(item: Mapping[str, Any]) -> tuple[str | None, str | None]:
    owner = _map(item.get("owner"))
    name = text_field(owner.get("display_name"))
    name = html.unescape(name) if name else None  # the API HTML-escapes names
    user_id = _int(owner.get("user_id"))
    return name, str(user_id) if user_id is not None else name


def post_from_item(
    item: Mapping[str, Any],
    *,
    site: str,
    source_id: str,
    fetched_at: datetime,
    lang_hint: str | None,
    question_link: str | None = None,
) -> Post | None:
    """A question or an answer; None for anything else or one without words."""
    question_id = _int(item.get("question_id"))
    answer_id = _int(item.get("answer_id"))
    if question_id is None:
        return None
    body = text_field(item.get("body")) or ""
    text = html_to_text(body)
    raw_title = text_field(item.get("title"))
    title = collapse_whitespace(html.unescape(raw_title)) if raw_title else None
    link = text_field(item.get("link"))
    if answer_id is not None:
        title = None  # an answer's `title` (when a filter adds it) is its question's
        if not link and question_link:
            host = urlsplit(question_link).netloc
            link = f"https://{host}/a/{answer_id}"
    if not text and not title:
        return None
    author, handle = _owner(item)
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=f"{site}/{'a' if answer_id else 'q'}/{answer_id or question_id}",
        url=link,
        author=author,
        author_handle=handle,
        title=title,
        text=text or (title or ""),
        lang_hint=lang_hint,
        published_at=from_epoch(item.get("creation_date")),
        fetched_at=fetched_at,
        likes=count(item.get("up_vote_count")),
        replies=count(item.get("answer_count")) if answer_id is None else None,
        score=count(item.get("score")),
        raw=dict(item),
        shared_url=first_link(links_in_html(body)),
    )
