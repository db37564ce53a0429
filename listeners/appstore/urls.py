"""App Store customer-reviews feed URLs. Pure."""

from __future__ import annotations

from urllib.parse import quote

API = "https://itunes.apple.com"
MAX_PAGE = 10  # the feed serves pages 1..10; page 11 answers "page depth is limited to 10"


def reviews(base: str, app_id: str, country: str, *, page: int = 1) -> str:
    """One page (up to 50 reviews) of the country's store, newest first."""
    return (
        f"{base.rstrip('/')}/{quote(country.lower(), safe='')}/rss/customerreviews/"
        f"page={page}/id={quote(app_id, safe='')}/sortby=mostrecent/json"
    )


def app_page(app_id: str, country: str) -> str:
    return f"https://apps.apple.com/{country.lower()}/app/id{app_id}?see-all=reviews"
