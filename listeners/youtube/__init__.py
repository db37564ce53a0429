"""YouTube channel and playlist feeds (Atom with media:group), and with an API key the
comments of their recent videos (Data API v3)."""

from earshot.listeners.youtube.client import fetch, reads_comments

__all__ = ["fetch", "reads_comments"]
