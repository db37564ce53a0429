"""Algolia HN Search URLs. Pure."""

from __future__ import annotations

from urllib.parse import urlencode

API = "https://hn.algolia.com/api/v1"
PAGE_SIZE = 100
DEFAULT_TAGS = "(story,comment)"


def search_by_date(
    base: str, query: str, *, tags: str = DEFAULT_TAGS, since: int | None = None, page: int = 0
) -> str:
    """Newest first; `since` keeps only items created at or after that epoch second."""
    params = {"query": query, "tags": tags, "hitsPerPage": str(PAGE_SIZE), "page": str(page)}
    if since is not None:
        params["numericFilters"] = f"created_at_i>={since}"
    return f"{base.rstrip('/')}/search_by_date?{urlencode(params)}"


def item_url(object_id: str) -> str:
    return f"https://news.ycombinator.com/item?id={object_id}"


def search_window(
    base: str, query: str, *, tags: str, since: int, before: int, page: int = 0
) -> str:
    """Newest first, only items created in [`since`, `before`) (epoch seconds)."""
    params = {
        "query": query,
        "tags": tags,
        "hitsPerPage": str(PAGE_SIZE),
        "page": str(page),
        "numericFilters": f"created_at_i>={since},created_at_i<{before}",
    }
    return f"{base.rstrip('/')}/search_by_date?{urlencode(params)}"
