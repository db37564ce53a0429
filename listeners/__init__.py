"""Listeners: fetch public posts from the web and normalise them into `Post` records.

This package imports nothing else of Earshot's; it knows no Prefect and no warehouse.
"""

from earshot.listeners.dispatch import fetch_source, fetch_sources
from earshot.listeners.errors import FetchError, ListenerError, ParseError
from earshot.listeners.http import HttpPolicy, build_client
from earshot.listeners.records import FetchResult, FetchStatus, Post, SourceSpec

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
