"""Listeners: fetch public posts from the web and normalise them into `Post` records.

This package imports nothing else of Earshot's; it knows no Prefect and no warehouse.
"""

from listeners.records import FetchResult, FetchStatus, Post, SourceSpec

__all__ = ["FetchResult", "FetchStatus", "Post", "SourceSpec"]
