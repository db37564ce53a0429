"""Hacker News through Algolia search by date: stories and comments matching a query."""

from listeners.hackernews.client import fetch

__all__ = ["fetch"]
