"""YouTube feed URLs. Pure."""

from __future__ import annotations

from urllib.parse import urlencode

FEEDS = "https://www.youtube.com/feeds/videos.xml"


def channel_feed(channel_id: str, base: str = FEEDS) -> str:
    return f"{base}?{urlencode({'channel_id': channel_id})}"


def playlist_feed(playlist_id: str, base: str = FEEDS) -> str:
    return f"{base}?{urlencode({'playlist_id': playlist_id})}"
