"""Lemmy API v3 URLs. Pure."""

from __future__ import annotations

from urllib.parse import urlencode

PAGE_SIZE = 50  # the API's maximum for posts and comments


def _api(instance: str, path: str, params: dict[str, str]) -> str:
    return f"{instance.rstrip('/')}/api/v3/{path}?{urlencode(params)}"


def _paging(page: int | None, cursor: str | None) -> dict[str, str]:
    if cursor:
        return {"page_cursor": cursor}  # Lemmy 0.19's `next_page`
    return {"page": str(page)} if page and page > 1 else {}


def community_posts(
    instance: str, community: str, *, page: int | None = None, cursor: str | None = None
) -> str:
    params = {"community_name": community, "sort": "New", "type_": "All",
              "limit": str(PAGE_SIZE)}  # fmt: skip
    return _api(instance, "post/list", {**params, **_paging(page, cursor)})


def community_comments(instance: str, community: str, *, page: int | None = None) -> str:
    params = {"community_name": community, "sort": "New", "type_": "All",
              "limit": str(PAGE_SIZE)}  # fmt: skip
    return _api(instance, "comment/list", {**params, **_paging(page, None)})


def search(
    instance: str, query: str, *, kind: str, community: str | None = None, page: int | None = None
) -> str:
    """`kind` is `Posts` or `Comments`; search pages by number only."""
    params = {"q": query, "type_": kind, "sort": "New", "listing_type": "All",
              "limit": str(PAGE_SIZE)}  # fmt: skip
    if community:
        params["community_name"] = community
    return _api(instance, "search", {**params, **_paging(page, None)})
