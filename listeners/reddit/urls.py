"""Reddit listing URLs. Pure."""

from __future__ import annotations

from urllib.parse import quote, urlencode

PUBLIC_API = "https://www.reddit.com"
OAUTH_API = "https://oauth.reddit.com"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
PAGE_SIZE = 100


def listing(
    base: str, *, subreddit: str | None, query: str | None, after: str | None, oauth: bool
) -> str:
    """New posts of a subreddit, or a search (in a subreddit or site-wide), newest first."""
    suffix = "" if oauth else ".json"
    prefix = f"/r/{quote(subreddit.removeprefix('r/'), safe='+')}" if subreddit else ""
    params: dict[str, str] = {"limit": str(PAGE_SIZE), "raw_json": "1"}
    if query:
        path = f"{prefix}/search{suffix}"
        params.update({"q": query, "sort": "new", "restrict_sr": "1" if subreddit else "0"})
    else:
        path = f"{prefix}/new{suffix}"
    if after:
        params["after"] = after
    return base.rstrip("/") + path + "?" + urlencode(params)


def permalink(path: str | None) -> str | None:
    if not path:
        return None
    return path if path.startswith("http") else "https://www.reddit.com" + path
