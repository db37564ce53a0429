"""Listeners: fetch public posts from the web and normalise them into `Post` records.

This package imports nothing else of Earshot's; it knows no Prefect and no warehouse.
"""

from listeners.dispatch import fetch_source, fetch_sources
from listeners.errors import FetchError, ListenerError, ParseError
from listeners.http import HttpPolicy, build_client
from listeners.records import FetchResult, FetchStatus, Post, SourceSpec

__all__ = [
    "FetchError",
    "FetchResult",
    "FetchStatus",
    "HttpPolicy",
    "ListenerError",
    "ParseError",
    "Post",
    "SourceSpec",
    "build_client",
    "fetch_source",
    "fetch_sources",
]
