"""YouTube channel and playlist feeds (Atom with media:group)."""

from earshot.listeners.youtube.client import fetch

__all__ = ["fetch"]
