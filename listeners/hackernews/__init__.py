"""Hacker News through Algolia search by date: stories and comments matching a query."""

from earshot.listeners.hackernews.client import fetch

__all__ = ["fetch"]
