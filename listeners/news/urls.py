"""GDELT DOC 2.0 API URLs and query terms. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode

API = "https://api.gdeltproject.org/api/v2/doc/doc"
HOST = "api.gdeltproject.org"
MIN_INTERVAL_SECONDS = 5.0  # GDELT asks for at most one request every 5 s
MAX_RECORDS = 250  # the API's maximum per request

# ISO 639-1 codes to the language names GDELT's `sourcelang:` knows; others pass as given.
LANGUAGES = {
    "ar": "arabic", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "fi": "finnish", "fr": "french", "hu": "hungarian",
    "it": "italian", "ja": "japanese", "ko": "korean", "nl": "dutch", "no": "norwegian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish",
    "tr": "turkish", "uk": "ukrainian", "zh": "chinese",
}  # fmt: skip
CODES = {name: code for code, name in LANGUAGES.items()}


def _any_of(operator: str, values: Sequence[str]) -> str:
    terms = [f"{operator}:{v}" for v in values]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def full_query(query: str, *, languages: Sequence[str] = (), countries: Sequence[str] = ()) -> str:
    """The search with its language and country filters (`sourcelang:`, `sourcecountry:`)."""
    parts = [query.strip()]
    if languages:
        parts.append(
            _any_of("sourcelang", [LANGUAGES.get(x.lower(), x.lower()) for x in languages])
        )
    if countries:
        parts.append(_any_of("sourcecountry", [c.replace(" ", "").lower() for c in countries]))
    return " ".join(parts)


def stamp(when: datetime) -> str:
    """GDELT's date form, UTC: 20240506114500."""
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def article_list(base: str, query: str, *, start: datetime, end: datetime | None = None) -> str:
    """Articles matching `query` seen in [start, end], newest first."""
    params = {
        "query": query,
        "mode": "ArtList",
        "format": "json",
        "sort": "DateDesc",
        "maxrecords": str(MAX_RECORDS),
        "startdatetime": stamp(start),
    }
    if end is not None:
        params["enddatetime"] = stamp(end)
    return f"{base}?{urlencode(params)}"
