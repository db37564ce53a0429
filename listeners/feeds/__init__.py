"""Feed listener: RSS 0.9x/1.0 (RDF)/2.0 and Atom via feedparser, JSON Feed 1.0/1.1."""

from earshot.listeners.feeds.client import fetch

__all__ = ["fetch"]
