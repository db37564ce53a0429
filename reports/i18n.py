"""UI strings and number/date formatting of the digest, in German and English."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal, get_args

Language = Literal["de", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)

_EN: dict[str, str] = {
    "check_unmatched": "The draft touches none of the configured topics.",
    "check_touches": "The draft touches: {touched}",
    "check_bucket_label": "bucket {bucket}",
    "check_topic": (
        "Topic {topic}: {posts} audience posts in {week} (baseline {baseline}/week, {change}); "
        "negative {negative} (baseline {baseline_negative})"
    ),
    "check_bucket": (
        "Bucket {bucket}: {share} of your posts over 4 weeks, target {target} ({balance})"
    ),
    "check_questions": "Open audience questions on these topics:",
    "check_warning": "WARNING: {warning}",
    "check_no_warnings": "No warnings: the draft does not land in a negative spike.",
    "check_warn_spike": (
        "{topic}: negative spike right now ({value} negative in 24 h, usually {baseline})"
    ),
    "check_warn_risk": "{topic}: on the risk watch in {week}",
    "check_warn_bucket": "bucket {bucket}: already above its target share",
    "summary_heading": "This week in 30 seconds",
    "summary_risk": (
        "{topic} is under pressure: {posts} posts against {baseline}, {negative} negative "
        "(usually {baseline_negative}), z = {z}."
    ),
    "summary_risk_talk_less": (
        "{topic} is under pressure: {posts} posts against {baseline}, {negative} negative "
        "(usually {baseline_negative}), z = {z}; you already give it {own} of your topic "
        "mentions against the audience's {audience}, so answer the critics instead of adding "
        "posts."
    ),
    "summary_rising": "{topic} is rising: {posts} posts against {baseline}, z = {z}.",
    "summary_falling": "{topic} is falling: {posts} posts against {baseline}, z = {z}.",
    "lead_post": " Most engaging: ",
    "lead_start": " Start with: ",
    "lead_example": " For example: ",
    "summary_question": "The question most worth answering: ",
    "summary_question_tail": " ({who}; {engagement} interactions).",
    "summary_emerging_plain": (
        "A term no topic covers is rising: {term}, {posts} posts by {authors} authors "
        "(before: Ø\N{NO-BREAK SPACE}{baseline} a week)."
    ),
    "summary_advice_question": "Your next post could answer ",
    "summary_advice_question_tail": (
        " ({who}): the audience gives {topic} {audience} of its topic mentions, you {own} "
        "(4 weeks){bucket}."
    ),
    "summary_advice": (
        "Your next post could be about {topic}: the audience gives it {audience} of its topic "
        "mentions, you {own} (4 weeks){bucket}."
    ),
    "summary_advice_bucket": (
        "; its bucket {bucket} is below target ({share} of your posts, target {target})"
    ),
    "summary_bucket": (
        "Your next post could be one for {bucket}: {share} of your posts in 4 weeks, "
        "target {target}."
    ),
    "summary_quiet": (
        "A quiet week: no topic rose, fell or turned negative beyond chance, no untracked term "
        "stood out and no audience question came in."
    ),
    "summary_no_data": "No audience posts were collected this week, so there is no data to sum up.",
    "summary_engagement": " ({engagement} interactions).",
    "headline_risk": "{topic} under pressure ({negative} negative)",
    "headline_rising": "{topic} rising ({posts} posts, usually {baseline})",
    "headline_falling": "{topic} falling ({posts} posts, usually {baseline})",
    "headline_question": "an audience question on {topic}",
    "headline_question_any": "an audience question",
    "headline_emerging": "new term {term}",
    "headline_advice": "talk more about {topic}",
    "headline_bucket": "more posts for {bucket}",
    "headline_quiet": "a quiet week",
    "headline_no_data": "no data",
    "baseline": "Ø\N{NO-BREAK SPACE}{mean} a week ({weeks}\N{NO-BREAK SPACE}weeks)",
    "baseline_one": "Ø\N{NO-BREAK SPACE}{mean} a week (1\N{NO-BREAK SPACE}week)",
    "notice_partial": (
        "Partial week: this digest covers {week} only up to {when}; the figures will still change."
    ),
    "subject_partial": "(partial)",
    "no_data": "No audience posts this week: no data for this section.",
    "no_bucket_posts": (
        "No own posts with a bucket in the last 4 weeks ({buckets} configured): no balance to show."
    ),
    "coverage_failing": "{source} is failing: {error} ({since}).",
    "failing_since": "{attempts} failed attempts in a row since its last success on {when}",
    "failing_never": "{attempts} failed attempts, never fetched successfully",
    "totals_duplicates": "{rows} collected, {duplicates} duplicates counted once",
    "sources_total": (
        "{rows} posts from these sources this week; {duplicates} of the audience's are duplicates "
        "of another source's and count once in the figures above."
    ),
    "question_meta": "{author} on {platform}, {date}",
    "analysts": (
        "For analysts: every figure is in the analytics copy's views topic_movement, "
        "emerging_terms, audience_questions, topic_share_4w, bucket_balance_4w and week_coverage "
        "(see the README)."
    ),
    "title": "Earshot digest",
    "week": "Week {week}",
    "totals": "{audience} audience posts · {own} own posts · {tagged} tagged with a topic",
    "notice_no_source": "No source could be reached this week — see source health below.",
    "notice_no_posts": "No audience posts were collected this week.",
    "moved_heading": "What moved",
    "moved_intro": (
        "Each topic's audience posts this week against last week and against its baseline "
        "(the mean of up to 8 weeks before). A rise or fall is only claimed when a test says it "
        "is unlikely to be chance (|z| ≥ 3) and there are at least 5 posts."
    ),
    "col_previous": "Last week",
    "col_baseline": "Baseline",
    "quote": "“{text}”",
    "col_signal": "Signal",
    "signal_rising": "rising",
    "signal_falling": "falling",
    "signal_steady": "no clear change",
    "signal_few posts": "too few posts to tell",
    "signal_no baseline": "no history yet",
    "chart_moved": "Posts this week (blue) against the weekly baseline (grey), per topic",
    "legend_week": "this week",
    "legend_baseline": "baseline (mean per week)",
    "risk_heading": "Risk watch",
    "risk_item": (
        "{topic}: {posts} posts, {negative} negative (baseline {baseline_negative}), z = {z}"
    ),
    "no_risk": "No topic shows a negative spike or a volume spike with mostly negative posts.",
    "gap_heading": "Talk more, talk less: audience vs. your own posts (last 4 weeks)",
    "gap_intro": (
        "Each topic's share of the audience's topic mentions ({audience} in 4 weeks) against its "
        "share of your own ({own}). Advice only where the difference passes a test (|z| ≥ 1.96) "
        "and both sides have at least 10 mentions."
    ),
    "col_audience_share": "Audience",
    "col_own_share": "Your posts",
    "col_advice": "Advice",
    "advice_talk more": "talk more about it",
    "advice_talk less": "talk less about it",
    "advice_in line": "in line",
    "advice_too few posts": "too few posts to tell",
    "chart_gap": (
        "Share of the audience's conversation (blue) against share of your own posts (grey)"
    ),
    "legend_audience": "audience",
    "legend_own": "your posts",
    "questions_heading": "Audience questions",
    "no_questions": "No audience questions were detected this week.",
    "no_topic": "No topic",
    "emerging_heading": "Emerging terms you are not tracking",
    "emerging_item": "{term}: {posts} posts by {authors} authors (baseline {baseline} per week)",
    "no_emerging": "No untracked term rose clearly this week.",
    "buckets_heading": "Content-bucket balance (your posts, last 4 weeks)",
    "buckets_intro": "Shares of {total} own posts with a bucket; 95% interval in brackets.",
    "col_bucket": "Bucket",
    "col_share": "Share",
    "col_target": "Target",
    "col_balance": "Balance",
    "balance_below target": "below target",
    "balance_above target": "above target",
    "balance_on target": "on target",
    "balance_no own posts": "no own posts",
    "chart_buckets": "Share of your posts per bucket (blue) against the target share (grey)",
    "legend_share": "your share",
    "legend_target": "target",
    "no_buckets": "No content buckets are configured.",
    "coverage_heading": "Coverage: how far to trust the numbers",
    "coverage_posts": (
        "{audience} audience posts ({duplicates} duplicates not counted), {enriched} analysed, "
        "{rated} with a sentiment, {tagged} with a topic, {questions} questions; "
        "{own} own posts."
    ),
    "coverage_set_aside": (
        "Topic matches set aside as not about their topic (by the topic's relevance model or "
        "a correction): {matches}; they are in no figure above."
    ),
    "coverage_languages": "Languages: {languages}.",
    "coverage_silent": "Silent this week although active before: {sources}.",
    "language_unknown": "not analysed",
    "alert_subject": "Earshot alert: {topics} — {organisation}",
    "alert_volume": ("{topic}: {posts} posts in the last {hours} h, usually {baseline} (z = {z})"),
    "alert_negative": (
        "{topic}: {value} of posts negative in the last {hours} h, usually {baseline} (z = {z})"
    ),
    "topics_heading": "Topics by volume",
    "topic_details": "{authors} authors · mean sentiment {sentiment} · {negative} negative",
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
        "How the figures are computed: audience posts only (posts of your own sources are "
        "excluded), near-duplicates counted once. Engagement = likes + reposts + replies. Mean "
        "sentiment runs from -1 (negative) to +1 (positive); negative = share of posts rated "
        "negative. Weeks are ISO weeks in the {timezone} time zone."
    ),
    "generated": "Generated {when}.",
    "index_title": "Earshot digests — {organisation}",
    "index_week": "Week",
    "index_period": "Period",
    "subject": "Earshot digest {week}: {headline} — {organisation}",
    "subject_week": "{week}",
}

_DE: dict[str, str] = {
    "check_unmatched": "Der Entwurf berührt keines der konfigurierten Themen.",
    "check_touches": "Der Entwurf berührt: {touched}",
    "check_bucket_label": "Kategorie {bucket}",
    "check_topic": (
        "Thema {topic}: {posts} Beiträge der Zielgruppe in {week} (Basis {baseline} je Woche, "
        "{change}); negativ {negative} (Basis {baseline_negative})"
    ),
    "check_bucket": (
        "Kategorie {bucket}: {share} Ihrer Beiträge in 4 Wochen, Ziel {target} ({balance})"
    ),
    "check_questions": "Offene Fragen der Zielgruppe zu diesen Themen:",
    "check_warning": "WARNUNG: {warning}",
    "check_no_warnings": "Keine Warnungen: Der Entwurf landet in keiner negativen Spitze.",
    "check_warn_spike": (
        "{topic}: gerade eine negative Spitze ({value} negativ in 24 Std., sonst {baseline})"
    ),
    "check_warn_risk": "{topic}: im Risiko-Radar in {week}",
    "check_warn_bucket": "Kategorie {bucket}: schon über ihrem Zielanteil",
    "summary_heading": "Diese Woche in 30 Sekunden",
    "summary_risk": (
        "{topic} steht unter Druck: {posts} Beiträge gegen {baseline}, {negative} negativ "
        "(sonst {baseline_negative}), z = {z}."
    ),
    "summary_risk_talk_less": (
        "{topic} steht unter Druck: {posts} Beiträge gegen {baseline}, {negative} negativ "
        "(sonst {baseline_negative}), z = {z}; Sie geben dem Thema schon {own} Ihrer "
        "Themen-Nennungen gegen {audience} bei der Zielgruppe, also besser auf die Kritik "
        "antworten als weitere Beiträge nachlegen."
    ),
    "summary_rising": ("{topic} steigt: {posts} Beiträge gegen {baseline}, z = {z}."),
    "summary_falling": ("{topic} fällt: {posts} Beiträge gegen {baseline}, z = {z}."),
    "lead_post": " Meiste Interaktionen: ",
    "lead_start": " Zuerst: ",
    "lead_example": " Zum Beispiel: ",
    "summary_question": "Die Frage, die sich am meisten zu beantworten lohnt: ",
    "summary_question_tail": " ({who}; {engagement} Interaktionen).",
    "summary_emerging_plain": (
        "Ein Begriff, den kein Thema abdeckt, steigt: {term}, {posts} Beiträge von {authors} "
        "Autor:innen (vorher Ø\N{NO-BREAK SPACE}{baseline} je Woche)."
    ),
    "summary_advice_question": "Ihr nächster Beitrag könnte antworten auf ",
    "summary_advice_question_tail": (
        " ({who}): Die Zielgruppe gibt {topic} {audience} ihrer Themen-Nennungen, Sie {own} "
        "(4 Wochen){bucket}."
    ),
    "summary_advice": (
        "Ihr nächster Beitrag könnte {topic} behandeln: Die Zielgruppe gibt dem Thema {audience} "
        "ihrer Themen-Nennungen, Sie {own} (4 Wochen){bucket}."
    ),
    "summary_advice_bucket": (
        "; die Kategorie {bucket} liegt unter dem Ziel ({share} Ihrer Beiträge, Ziel {target})"
    ),
    "summary_bucket": (
        "Ihr nächster Beitrag könnte in die Kategorie {bucket} gehören: {share} Ihrer Beiträge "
        "in 4 Wochen, Ziel {target}."
    ),
    "summary_quiet": (
        "Eine ruhige Woche: Kein Thema ist über den Zufall hinaus gestiegen, gefallen oder "
        "negativ geworden, kein nicht verfolgter Begriff fiel auf, und es kam keine Frage der "
        "Zielgruppe."
    ),
    "summary_no_data": (
        "Diese Woche wurden keine Beiträge der Zielgruppe gesammelt: Es gibt keine Daten "
        "zusammenzufassen."
    ),
    "summary_engagement": " ({engagement} Interaktionen).",
    "headline_risk": "{topic} unter Druck ({negative} negativ)",
    "headline_rising": "{topic} steigt ({posts} Beiträge, sonst {baseline})",
    "headline_falling": "{topic} fällt ({posts} Beiträge, sonst {baseline})",
    "headline_question": "eine Frage der Zielgruppe zu {topic}",
    "headline_question_any": "eine Frage der Zielgruppe",
    "headline_emerging": "neuer Begriff {term}",
    "headline_advice": "mehr über {topic} reden",
    "headline_bucket": "mehr Beiträge für {bucket}",
    "headline_quiet": "eine ruhige Woche",
    "headline_no_data": "keine Daten",
    "baseline": "Ø\N{NO-BREAK SPACE}{mean} je Woche ({weeks}\N{NO-BREAK SPACE}Wochen)",
    "baseline_one": "Ø\N{NO-BREAK SPACE}{mean} je Woche (1\N{NO-BREAK SPACE}Woche)",
    "notice_partial": (
        "Unvollständige Woche: Dieser Bericht umfasst {week} nur bis {when}; die Zahlen ändern "
        "sich noch."
    ),
    "subject_partial": "(unvollständig)",
    "no_data": "Diese Woche keine Beiträge der Zielgruppe: keine Daten für diesen Abschnitt.",
    "no_bucket_posts": (
        "Keine eigenen Beiträge mit Kategorie in den letzten 4 Wochen ({buckets} konfiguriert): "
        "keine Balance zu zeigen."
    ),
    "coverage_failing": "{source} schlägt fehl: {error} ({since}).",
    "failing_since": "{attempts} Fehlversuche in Folge seit dem letzten Erfolg am {when}",
    "failing_never": "{attempts} Fehlversuche, noch nie erfolgreich abgerufen",
    "totals_duplicates": "{rows} gesammelt, {duplicates} Duplikate einmal gezählt",
    "sources_total": (
        "{rows} Beiträge aus diesen Quellen diese Woche; {duplicates} der Zielgruppe sind "
        "Duplikate aus einer anderen Quelle und zählen oben einmal."
    ),
    "question_meta": "{author} auf {platform}, {date}",
    "analysts": (
        "Für Analyst:innen: Jede Zahl steht in den Sichten topic_movement, emerging_terms, "
        "audience_questions, topic_share_4w, bucket_balance_4w und week_coverage der "
        "Analyse-Kopie (siehe README)."
    ),
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
    "moved_heading": "Was sich bewegt hat",
    "moved_intro": (
        "Beiträge der Zielgruppe je Thema diese Woche gegen die Vorwoche und gegen die Basis "
        "(Mittel der bis zu 8 Wochen davor). Anstieg oder Rückgang wird nur gemeldet, wenn ein "
        "Test Zufall unwahrscheinlich macht (|z| ≥ 3) und mindestens 5 Beiträge vorliegen."
    ),
    "col_previous": "Vor\N{SOFT HYPHEN}woche",
    "col_baseline": "Basis",
    "quote": "„{text}“",
    "col_signal": "Signal",
    "signal_rising": "steigt",
    "signal_falling": "fällt",
    "signal_steady": "keine klare Veränderung",
    "signal_few posts": "zu wenige Beiträge für eine Aussage",
    "signal_no baseline": "noch keine Vorgeschichte",
    "chart_moved": "Beiträge diese Woche (blau) gegen die Wochenbasis (grau), je Thema",
    "legend_week": "diese Woche",
    "legend_baseline": "Basis (Mittel je Woche)",
    "risk_heading": "Risiko-Radar",
    "risk_item": (
        "{topic}: {posts} Beiträge, {negative} negativ (Basis {baseline_negative}), z = {z}"
    ),
    "no_risk": (
        "Kein Thema zeigt eine negative Spitze oder eine Volumenspitze mit überwiegend "
        "negativen Beiträgen."
    ),
    "gap_heading": "Mehr oder weniger darüber reden: Zielgruppe vs. eigene Beiträge (4 Wochen)",
    "gap_intro": (
        "Anteil jedes Themas an den Themen-Nennungen der Zielgruppe ({audience} in 4 Wochen) "
        "gegen seinen Anteil an Ihren eigenen ({own}). Eine Empfehlung nur, wo der Unterschied "
        "einen Test besteht (|z| ≥ 1,96) und beide Seiten mindestens 10 Nennungen haben."
    ),
    "col_audience_share": "Ziel\N{SOFT HYPHEN}gruppe",
    "col_own_share": "Eigene Bei\N{SOFT HYPHEN}träge",
    "col_advice": "Empfehlung",
    "advice_talk more": "mehr darüber reden",
    "advice_talk less": "weniger darüber reden",
    "advice_in line": "passt",
    "advice_too few posts": "zu wenige Beiträge für eine Aussage",
    "chart_gap": "Anteil am Gespräch der Zielgruppe (blau) gegen Anteil eigener Beiträge (grau)",
    "legend_audience": "Zielgruppe",
    "legend_own": "eigene Beiträge",
    "questions_heading": "Fragen der Zielgruppe",
    "no_questions": "Diese Woche wurden keine Fragen der Zielgruppe erkannt.",
    "no_topic": "Ohne Thema",
    "emerging_heading": "Neue Begriffe, die Sie noch nicht verfolgen",
    "emerging_item": (
        "{term}: {posts} Beiträge von {authors} Autor:innen (Basis {baseline} je Woche)"
    ),
    "no_emerging": "Kein nicht verfolgter Begriff ist diese Woche klar gestiegen.",
    "buckets_heading": "Balance der Inhaltskategorien (eigene Beiträge, 4 Wochen)",
    "buckets_intro": (
        "Anteile an {total} eigenen Beiträgen mit Kategorie; 95-%-Intervall in Klammern."
    ),
    "col_bucket": "Kate\N{SOFT HYPHEN}gorie",
    "col_share": "Anteil",
    "col_target": "Ziel",
    "col_balance": "Balance",
    "balance_below target": "unter dem Ziel",
    "balance_above target": "über dem Ziel",
    "balance_on target": "im Ziel",
    "balance_no own posts": "keine eigenen Beiträge",
    "chart_buckets": "Anteil Ihrer Beiträge je Kategorie (blau) gegen den Zielanteil (grau)",
    "legend_share": "Ihr Anteil",
    "legend_target": "Ziel",
    "no_buckets": "Es sind keine Inhaltskategorien konfiguriert.",
    "coverage_heading": "Abdeckung: wie belastbar die Zahlen sind",
    "coverage_posts": (
        "{audience} Beiträge der Zielgruppe ({duplicates} Duplikate nicht gezählt), "
        "{enriched} analysiert, {rated} mit Stimmung, {tagged} mit Thema, {questions} Fragen; "
        "{own} eigene Beiträge."
    ),
    "coverage_set_aside": (
        "Als nicht zum Thema gehörig beiseitegelegte Themen-Treffer (vom Relevanzmodell des "
        "Themas oder durch eine Korrektur): {matches}; sie zählen in keiner Zahl oben."
    ),
    "coverage_languages": "Sprachen: {languages}.",
    "coverage_silent": "Diese Woche still, obwohl vorher aktiv: {sources}.",
    "language_unknown": "nicht analysiert",
    "alert_subject": "Earshot-Alarm: {topics} — {organisation}",
    "alert_volume": (
        "{topic}: {posts} Beiträge in den letzten {hours} Std., sonst {baseline} (z = {z})"
    ),
    "alert_negative": (
        "{topic}: {value} der Beiträge negativ in den letzten {hours} Std., sonst {baseline} "
        "(z = {z})"
    ),
    "topics_heading": "Themen nach Umfang",
    "topic_details": "{authors} Autor:innen · Stimmung {sentiment} · {negative} negativ",
    "col_topic": "Thema",
    "col_posts": "Bei\N{SOFT HYPHEN}träge",
    "col_change": "Zur Vor\N{SOFT HYPHEN}woche",
    "col_authors": "Autor:\N{SOFT HYPHEN}innen",
    "col_sentiment": "Stimmung (Mittel)",
    "col_negative": "Negativ",
    "col_engagement": "Inter\N{SOFT HYPHEN}aktionen",
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
    "col_posts_week": "Bei\N{SOFT HYPHEN}träge diese Woche",
    "status_ok": "ok",
    "status_not_modified": "ok (unverändert)",
    "status_failed": "fehlgeschlagen",
    "status_never": "noch nicht abgerufen",
    "own": "eigene",
    "sources_failed": "{failed} von {total} Quellen schlugen beim letzten Abruf fehl.",
    "no_sources": "Es sind keine Quellen konfiguriert.",
    "method": (
        "So entstehen die Zahlen: nur Beiträge der Zielgruppe (Beiträge eigener Quellen sind "
        "ausgenommen), Beinahe-Duplikate einmal gezählt. Interaktionen = Likes + Reposts + "
        "Antworten. Die mittlere Stimmung reicht von -1 (negativ) bis +1 (positiv); Negativ = "
        "Anteil der als negativ bewerteten Beiträge. Wochen sind ISO-Kalenderwochen in der "
        "Zeitzone {timezone}."
    ),
    "generated": "Erstellt am {when}.",
    "index_title": "Earshot-Wochenberichte — {organisation}",
    "index_week": "Woche",
    "index_period": "Zeitraum",
    "subject": "Earshot-Wochenbericht {week}: {headline} — {organisation}",
    "subject_week": "KW {num}/{year}",
}

DASH = "\N{EN DASH}"  # between dates, and for a missing figure

STRINGS: Mapping[str, Mapping[str, str]] = {"en": _EN, "de": _DE}


SOFT_HYPHEN = "\N{SOFT HYPHEN}"  # where a German column header may hyphenate in the HTML


def plain(text: str) -> str:
    """`text` without its soft hyphens (for the plain-text part and the subject)."""
    return text.replace(SOFT_HYPHEN, "")


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


def format_decimal(
    value: float | None, language: str, *, signed: bool = False, digits: int = 2
) -> str:
    """`digits` decimals (two by default), decimal comma in German; a dash for a missing
    value. A minus is the real minus sign only where `signed` asks for a sign."""
    if value is None:
        return DASH
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "de" else text


def format_percent(share: float | None, language: str, *, signed: bool = False) -> str:
    """A share (0.25) or ratio as a rounded percentage: '25%' (en) / '25 %' (de)."""
    if share is None:
        return DASH
    number = round(share * 100)
    head = format_signed_int(number, language) if signed else format_int(number, language)
    # German puts a space before the sign; a no-break space, so that "38 %" never wraps.
    return f"{head}\N{NO-BREAK SPACE}%" if language == "de" else f"{head}%"


def format_date(day: date, language: str) -> str:
    return day.strftime("%d.%m.%Y") if language == "de" else day.isoformat()


def format_datetime(moment: datetime, language: str) -> str:
    zone = moment.tzname() or ""
    if language == "de":
        return f"{moment:%d.%m.%Y}, {moment:%H:%M} Uhr ({zone})"
    return f"{moment:%Y-%m-%d %H:%M} ({zone})"
