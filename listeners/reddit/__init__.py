"""Reddit: subreddit listings and search (public JSON, or OAuth client credentials)."""

from earshot.listeners.reddit.client import fetch

__all__ = ["fetch"]
