"""Feed posts for warehouse tests: the `Post` a feed listener would store, with only what a
test varies (its number, text, language and times)."""

from __future__ import annotations

from datetime import datetime

from earshot.listeners.records import Post


def feed_post(
    n: int,
    text: str,
    *,
    published_at: datetime,
    fetched_at: datetime,
    lang: str | None = "de",
    source_id: str = "blog",
    site: str = "https://example.org",
) -> Post:
    """Item `n` of source `source_id`'s feed: external id `item-n`, URL `<site>/n`."""
    return Post(
        platform="feed",
        source_id=source_id,
        external_id=f"item-{n}",
        url=f"{site}/{n}",
        author=None,
        author_handle=None,
        title=None,
        text=text,
        lang_hint=lang,
        published_at=published_at,
        fetched_at=fetched_at,
    )
