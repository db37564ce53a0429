"""Bluesky XRPC URLs. Pure."""

from __future__ import annotations

from urllib.parse import urlencode

PUBLIC_APPVIEW = "https://public.api.bsky.app"
SERVICE = "https://bsky.social"
PAGE_SIZE = 100


def _xrpc(base: str, method: str, params: dict[str, str | None] | None = None) -> str:
    query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
    return f"{base.rstrip('/')}/xrpc/{method}" + (f"?{query}" if query else "")


def author_feed(appview: str, actor: str, cursor: str | None = None) -> str:
    params = {"actor": actor.lstrip("@"), "limit": str(PAGE_SIZE), "cursor": cursor}
    return _xrpc(appview, "app.bsky.feed.getAuthorFeed", params)


def search_posts(service: str, query: str, cursor: str | None = None) -> str:
    params = {"q": query, "sort": "latest", "limit": str(PAGE_SIZE), "cursor": cursor}
    return _xrpc(service, "app.bsky.feed.searchPosts", params)


def create_session(service: str) -> str:
    return _xrpc(service, "com.atproto.server.createSession")


def refresh_session(service: str) -> str:
    return _xrpc(service, "com.atproto.server.refreshSession")


def web_url(handle: str | None, at_uri: str) -> str | None:
    """at://did/app.bsky.feed.post/rkey -> https://bsky.app/profile/<handle>/post/<rkey>."""
    parts = at_uri.removeprefix("at://").split("/")
    if len(parts) != 3 or parts[1] != "app.bsky.feed.post":
        return None
    return f"https://bsky.app/profile/{handle or parts[0]}/post/{parts[2]}"


# The public Jetstream (JSON over WebSocket, from the firehose); any Jetstream instance works.
PUBLIC_JETSTREAM = "wss://jetstream2.us-east.bsky.network/subscribe"
POST_COLLECTION = "app.bsky.feed.post"


def jetstream(base: str, cursor: int | None = None) -> str:
    """The subscription to post events, from `cursor` (microseconds since 1970) when given."""
    params = {"wantedCollections": POST_COLLECTION}
    if cursor is not None:
        params["cursor"] = str(cursor)
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}{urlencode(params)}"


def post_url(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"
