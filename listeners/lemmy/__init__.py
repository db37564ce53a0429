"""Lemmy (any instance): a community's posts and comments, or a search; newest first."""

from earshot.listeners.lemmy.client import fetch

__all__ = ["fetch"]
