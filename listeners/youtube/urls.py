"""YouTube feed and Data API v3 URLs. Pure."""

from __future__ import annotations

from urllib.parse import quote, urlencode

FEEDS = "https://www.youtube.com/feeds/videos.xml"
API = "https://www.googleapis.com/youtube/v3"
PAGE_SIZE = 100  # the most `commentThreads` and `comments` list per call


def channel_feed(channel_id: str, base: str = FEEDS) -> str:
    return f"{base}?{urlencode({'channel_id': channel_id})}"


def playlist_feed(playlist_id: str, base: str = FEEDS) -> str:
    return f"{base}?{urlencode({'playlist_id': playlist_id})}"


def comment_threads(base: str, video_id: str, page_token: str | None = None) -> str:
    """One page of a video's comment threads, newest first, with the replies each includes."""
    query = {
        "part": "snippet,replies",
        "videoId": video_id,
        "maxResults": PAGE_SIZE,
        "order": "time",
        "textFormat": "plainText",
    }
    if page_token:
        query["pageToken"] = page_token
    return f"{base.rstrip('/')}/commentThreads?{urlencode(query)}"


def replies(base: str, parent_id: str, page_token: str | None = None) -> str:
    """One page of the replies to a top-level comment (for threads that include only some)."""
    query = {
        "part": "snippet",
        "parentId": parent_id,
        "maxResults": PAGE_SIZE,
        "textFormat": "plainText",
    }
    if page_token:
        query["pageToken"] = page_token
    return f"{base.rstrip('/')}/comments?{urlencode(query)}"


def comment_page(video_id: str, comment_id: str) -> str:
    """Where a comment is shown: its video, scrolled to it."""
    return f"https://www.youtube.com/watch?{urlencode({'v': video_id, 'lc': comment_id})}"


def video_page(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={quote(video_id, safe='')}"
