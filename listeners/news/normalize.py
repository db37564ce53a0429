"""GDELT DOC 2.0 articles (`mode=ArtList`, JSON) as `Post`s: the headline is the post's
title; GDELT gives no article text. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from earshot.listeners.news.urls import CODES
from earshot.listeners.records import Post
from earshot.listeners.social.common import text_field
from earshot.listeners.text import collapse_whitespace

PLATFORM = "news"


def articles_of(document: Any) -> list[Mapping[str, Any]] | None:
    """The articles of an answer (GDELT answers `{}` when nothing matched); None for a body
    that is not an article list."""
    if not isinstance(document, Mapping):
        return None
    articles = document.get("articles", [])
    if not isinstance(articles, list):
        return None
    return [a for a in articles if isinstance(a, Mapping) and text_field(a.get("url"))]


def seen_at(article: Mapping[str, Any]) -> datetime | None:
    """`seendate` ('20240506T114500Z'): when GDELT first saw the article, UTC."""
    value = text_field(article.get("seendate"))
    if value is None:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def article_key(article: Mapping[str, Any]) -> str:
    when = seen_at(article)
    return when.strftime("%Y%m%d%H%M%S") if when else ""


def article_id(article: Mapping[str, Any]) -> str:
    return str(article.get("url") or "")


def post_from_article(
    article: Mapping[str, Any], *, source_id: str, fetched_at: datetime, lang_hint: str | None
) -> Post | None:
    url = text_field(article.get("url"))
    title = text_field(article.get("title"))
    if url is None or title is None:
        return None
    domain = text_field(article.get("domain"))
    language = (text_field(article.get("language")) or "").strip().lower()
    return Post(
        platform=PLATFORM,
        source_id=source_id,
        external_id=url,
        url=url,
        author=domain,
        author_handle=domain,
        title=collapse_whitespace(title),
        text="",  # GDELT carries headlines only; the title is what the NLP reads
        lang_hint=CODES.get(language) or lang_hint,
        published_at=seen_at(article),
        fetched_at=fetched_at,
        raw=dict(article),
        shared_url=url,
    )
