"""The search and query-preview pages' UI strings, German and English (beside `explore.i18n`,
which holds the other pages')."""

from __future__ import annotations

from collections.abc import Mapping

_EN = {
    "search_title": "Search",
    "search_label": "Words (every one must occur, any inflection; -word: must not)",
    "search_button": "Search",
    "search_total": "{total} posts found",
    "search_none": "No post has these words.",
    "search_hint": "Type one or more words, e.g. Kundenservice or customer -jobs.",
    "week_from": "From week",
    "week_to": "To week",
    "filter_own": "Whose",
    "filter_question": "Questions",
    "only_questions": "questions only",
    "no_questions": "no questions",
    "preview_title": "Query preview",
    "preview_intro": "Try a topic's terms, exclusions or a boolean query (AND, OR, NOT, "
    'NEAR/n, "phrases") on the last 12 weeks before saving it.',
    "preview_topic": "Topic",
    "preview_new_topic": "new topic",
    "preview_topic_id": "Id of a new topic",
    "preview_label": "Label",
    "preview_terms": "Terms ({lang}), one per line",
    "preview_exclude": "Exclusions ({lang}), one per line",
    "preview_query": "Boolean query",
    "preview_button": "Preview",
    "preview_save": "Save to listening.yaml",
    "preview_week": "Week",
    "preview_matched": "Matched",
    "preview_current": "Tagged now",
    "preview_summary": "{matched} posts in 12 weeks (tagged now: {current}); adds {added}, "
    "loses {lost}.",
    "preview_sample": "Sample of the matched posts",
    "preview_added": "Posts it adds",
    "preview_lost": "Posts it loses",
    "preview_error": "Error in {field}",
    "preview_saved": "Saved topic {topic} to {path}: the next enrich re-tags its posts.",
    "preview_cannot_save": "Saving is not available: Explore was started without a config file.",
    "preview_seconds": "answered in {seconds} s, {candidates} candidate posts checked",
    "change_kept": "tagged now too",
    "change_added": "added",
    "change_lost": "lost",
}

_DE = {
    "search_title": "Suche",
    "search_label": "Wörter (alle müssen vorkommen, in jeder Form; -wort: darf nicht)",
    "search_button": "Suchen",
    "search_total": "{total} Beiträge gefunden",
    "search_none": "Kein Beitrag enthält diese Wörter.",
    "search_hint": "Ein oder mehrere Wörter, z. B. Kundenservice oder customer -jobs.",
    "week_from": "Ab Woche",
    "week_to": "Bis Woche",
    "filter_own": "Von wem",
    "filter_question": "Fragen",
    "only_questions": "nur Fragen",
    "no_questions": "keine Fragen",
    "preview_title": "Abfrage-Vorschau",
    "preview_intro": "Begriffe, Ausschlüsse oder eine boolesche Abfrage (AND, OR, NOT, NEAR/n, "
    '"Phrasen") eines Themas an den letzten 12 Wochen ausprobieren, bevor sie gespeichert wird.',
    "preview_topic": "Thema",
    "preview_new_topic": "neues Thema",
    "preview_topic_id": "Id eines neuen Themas",
    "preview_label": "Bezeichnung",
    "preview_terms": "Begriffe ({lang}), einer pro Zeile",
    "preview_exclude": "Ausschlüsse ({lang}), einer pro Zeile",
    "preview_query": "Boolesche Abfrage",
    "preview_button": "Vorschau",
    "preview_save": "In listening.yaml speichern",
    "preview_week": "Woche",
    "preview_matched": "Treffer",
    "preview_current": "Jetzt getaggt",
    "preview_summary": "{matched} Beiträge in 12 Wochen (jetzt getaggt: {current}); "
    "kommen hinzu: {added}, fallen weg: {lost}.",
    "preview_sample": "Stichprobe der Treffer",
    "preview_added": "Beiträge, die hinzukommen",
    "preview_lost": "Beiträge, die wegfallen",
    "preview_error": "Fehler in {field}",
    "preview_saved": "Thema {topic} in {path} gespeichert: der nächste Enrich-Lauf taggt "
    "seine Beiträge neu.",
    "preview_cannot_save": "Speichern nicht möglich: Explore wurde ohne Konfigurationsdatei "
    "gestartet.",
    "preview_seconds": "beantwortet in {seconds} s, {candidates} Kandidaten geprüft",
    "change_kept": "auch jetzt getaggt",
    "change_added": "kommt hinzu",
    "change_lost": "fällt weg",
}

_STRINGS = {"en": _EN, "de": _DE}


def search_strings(language: str) -> Mapping[str, str]:
    """The strings of `language` (`de` or `en`; English for any other)."""
    return _STRINGS.get(language, _EN)
