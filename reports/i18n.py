"""UI strings and number/date formatting of the digest, in German and English."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal, get_args

Language = Literal["de", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)

_EN: dict[str, str] = {
    "title": "Earshot digest",
    "week": "Week {week}",
    "totals": "{audience} audience posts · {own} own posts · {tagged} tagged with a topic",
    "notice_no_source": "No source could be reached this week — see source health below.",
    "notice_no_posts": "No audience posts were collected this week.",
    "topics_heading": "Topics by volume",
    "col_topic": "Topic",
    "col_posts": "Posts",
    "col_change": "Change vs. last week",
    "col_authors": "Authors",
    "col_sentiment": "Mean sentiment",
    "col_negative": "Negative",
    "col_engagement": "Engagement",
    "change_new": "new",
    "change_few": "few posts",
    "no_topics": "No topics are configured.",
    "posts_heading": "Most engaging posts",
    "no_top_posts": "No audience posts this week.",
    "source": "Source",
    "topics": "Topics",
    "engagement": "Engagement",
    "not_a_web_link": "not a web link",
    "sources_heading": "Source health",
    "col_source": "Source",
    "col_status": "Status",
    "col_error": "Last error",
    "col_posts_week": "Posts this week",
    "status_ok": "ok",
    "status_not_modified": "ok (no change)",
    "status_failed": "failed",
    "status_never": "not fetched yet",
    "own": "own",
    "sources_failed": "{failed} of {total} sources failed on their last attempt.",
    "no_sources": "No sources are configured.",
    "method": (
        "How the figures are computed: topic figures come from the analyst view topic_weekly "
        "(audience posts only; posts of your own sources are excluded), the most engaging "
        "posts from the view posts. Engagement = likes + reposts + replies. Mean sentiment "
        "runs from -1 (negative) to +1 (positive); negative = share of posts rated negative. "
        "Weeks are ISO weeks in the {timezone} time zone."
    ),
    "generated": "Generated {when}.",
    "index_title": "Earshot digests — {organisation}",
    "index_week": "Week",
    "index_period": "Period",
    "subject": "Earshot digest {week} — {organisation}",
}

_DE: dict[str, str] = {
    "title": "Earshot-Wochenbericht",
    "week": "KW {num}/{year}",
    "totals": (
        "{audience} Beiträge der Zielgruppe · {own} eigene Beiträge · "
        "{tagged} einem Thema zugeordnet"
    ),
    "notice_no_source": (
        "Diese Woche war keine Quelle erreichbar — siehe Zustand der Quellen unten."
    ),
    "notice_no_posts": "Diese Woche wurden keine Beiträge der Zielgruppe gesammelt.",
    "topics_heading": "Themen nach Umfang",
    "col_topic": "Thema",
    "col_posts": "Beiträge",
    "col_change": "Veränderung zur Vorwoche",
    "col_authors": "Autor:innen",
    "col_sentiment": "Stimmung (Mittel)",
    "col_negative": "Negativ",
    "col_engagement": "Interaktionen",
    "change_new": "neu",
    "change_few": "wenige Beiträge",
    "no_topics": "Es sind keine Themen konfiguriert.",
    "posts_heading": "Beiträge mit den meisten Interaktionen",
    "no_top_posts": "Diese Woche keine Beiträge der Zielgruppe.",
    "source": "Quelle",
    "topics": "Themen",
    "engagement": "Interaktionen",
    "not_a_web_link": "kein Weblink",
    "sources_heading": "Zustand der Quellen",
    "col_source": "Quelle",
    "col_status": "Status",
    "col_error": "Letzter Fehler",
    "col_posts_week": "Beiträge diese Woche",
    "status_ok": "ok",
    "status_not_modified": "ok (unverändert)",
    "status_failed": "fehlgeschlagen",
    "status_never": "noch nicht abgerufen",
    "own": "eigene",
    "sources_failed": "{failed} von {total} Quellen schlugen beim letzten Abruf fehl.",
    "no_sources": "Es sind keine Quellen konfiguriert.",
    "method": (
        "So entstehen die Zahlen: Themenzahlen stammen aus der Analyse-Sicht topic_weekly "
        "(nur Beiträge der Zielgruppe; Beiträge eigener Quellen sind ausgenommen), die "
        "Beiträge mit den meisten Interaktionen aus der Sicht posts. Interaktionen = Likes + "
        "Reposts + Antworten. Die mittlere Stimmung reicht von -1 (negativ) bis +1 (positiv); "
        "Negativ = Anteil der als negativ bewerteten Beiträge. Wochen sind ISO-Kalenderwochen "
        "in der Zeitzone {timezone}."
    ),
    "generated": "Erstellt am {when}.",
    "index_title": "Earshot-Wochenberichte — {organisation}",
    "index_week": "Woche",
    "index_period": "Zeitraum",
    "subject": "Earshot-Wochenbericht KW {num}/{year} — {organisation}",
}

DASH = "\N{EN DASH}"  # between dates, and for a missing figure

STRINGS: Mapping[str, Mapping[str, str]] = {"en": _EN, "de": _DE}


def strings(language: str) -> Mapping[str, str]:
    """The UI strings of `language` ('de' or 'en'); a clear ValueError otherwise."""
    try:
        return STRINGS[language]
    except KeyError:
        raise ValueError(
            f"digest language {language!r}: expected one of {', '.join(LANGUAGES)}"
        ) from None


def format_int(value: int, language: str) -> str:
    """1234 -> '1,234' (en) / '1.234' (de)."""
    text = f"{value:,}"
    return text.replace(",", ".") if language == "de" else text


def format_signed_int(value: int, language: str) -> str:
    if value == 0:
        return "±0"
    return ("+" if value > 0 else "-") + format_int(abs(value), language)


def format_decimal(value: float | None, language: str, *, signed: bool = False) -> str:
    """Two decimals, decimal comma in German; a dash for a missing value."""
    if value is None:
        return DASH
    text = f"{value:+.2f}" if signed else f"{value:.2f}"
    return text.replace(".", ",") if language == "de" else text


def format_percent(share: float | None, language: str, *, signed: bool = False) -> str:
    """A share (0.25) or ratio as a rounded percentage: '25%' (en) / '25 %' (de)."""
    if share is None:
        return DASH
    number = round(share * 100)
    head = format_signed_int(number, language) if signed else format_int(number, language)
    return f"{head} %" if language == "de" else f"{head}%"


def format_date(day: date, language: str) -> str:
    return day.strftime("%d.%m.%Y") if language == "de" else day.isoformat()


def format_datetime(moment: datetime, language: str) -> str:
    zone = moment.tzname() or ""
    if language == "de":
        return f"{moment:%d.%m.%Y}, {moment:%H:%M} Uhr ({zone})"
    return f"{moment:%Y-%m-%d %H:%M} ({zone})"
