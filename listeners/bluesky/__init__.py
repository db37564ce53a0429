"""Bluesky: author feeds from the public AppView, post search with an app-password session."""

from earshot.listeners.bluesky.client import fetch

__all__ = ["fetch"]
