"""Stack Exchange (API 2.x): a site's questions and their answers, by tag and/or search."""

from earshot.listeners.stackexchange.client import fetch

__all__ = ["fetch"]
