"""Discourse forums: the latest posts of a forum, or the latest topics of a category or tag
with their posts; incremental by post id."""

from earshot.listeners.discourse.client import fetch

__all__ = ["fetch"]
