"""YouTube channel and playlist feeds (Atom with media:group)."""

from listeners.youtube.client import fetch

__all__ = ["fetch"]
