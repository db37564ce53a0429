"""Mastodon API URLs and the `Link` header. Pure."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit

PAGE_SIZE = 40  # the API's maximum for timelines


def _base(instance: str) -> str:
    return instance.rstrip("/")


def hashtag_timeline(instance: str, hashtag: str, *, min_id: str | None = None) -> str:
    tag = quote(hashtag.lstrip("#"), safe="")
    return _with(f"{_base(instance)}/api/v1/timelines/tag/{tag}", min_id=min_id)


def account_lookup(instance: str, account: str) -> str:
    return f"{_base(instance)}/api/v1/accounts/lookup?" + urlencode({"acct": account.lstrip("@")})


def account_statuses(instance: str, account_id: str, *, min_id: str | None = None) -> str:
    url = f"{_base(instance)}/api/v1/accounts/{quote(account_id, safe='')}/statuses"
    return _with(url, min_id=min_id)


def search(instance: str, query: str, *, min_id: str | None = None) -> str:
    url = f"{_base(instance)}/api/v2/search?" + urlencode({"q": query, "type": "statuses"})
    return _with(url, min_id=min_id, sep="&")


def _with(url: str, *, min_id: str | None, sep: str = "?") -> str:
    params = {"limit": str(PAGE_SIZE)}
    if min_id:
        params["min_id"] = min_id
    return url + sep + urlencode(params)


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";,]+)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    """'<u1>; rel="next", <u2>; rel="prev"' -> {'next': 'u1', 'prev': 'u2'}."""
    return {rel: url for url, rel in _LINK.findall(value or "")}


def min_id_of(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("min_id")
    return values[0] if values else None
