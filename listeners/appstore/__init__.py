"""Apple App Store customer reviews of an app, per country (the public reviews feed)."""

from earshot.listeners.appstore.client import fetch

__all__ = ["fetch"]
