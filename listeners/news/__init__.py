"""News: GDELT DOC 2.0 article search (headlines, their pages, domains, languages, times)."""

from earshot.listeners.news.client import fetch

__all__ = ["fetch"]
