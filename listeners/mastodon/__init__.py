"""Mastodon (any instance): hashtag timelines, account statuses, search with a token."""

from earshot.listeners.mastodon.client import fetch

__all__ = ["fetch"]
