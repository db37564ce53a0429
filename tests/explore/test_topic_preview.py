"""The query preview decides each piece of a definition (a term, an exclusion, the query) on its
own and remembers it; the result must be exactly what the product's matcher says of the whole
definition, evidence included."""

from __future__ import annotations

import numpy as np
import pytest

from earshot.explore import preview_matching, topic_preview
from earshot.nlp.records import TopicRule
from earshot.warehouse.search_facts import doc_facts
from tests.reports import history as planted_history
from tests.reports.history import NOW, History
from tests.warehouse.search_support import plant

history_file = planted_history.history_file  # fixtures
history = planted_history.history

RULES = (
    TopicRule("service", None, {"de": ("Kundenservice",), "en": ("hotline",)}),
    TopicRule("service", None, {"de": ("Kundenservice",)}, {"de": ("abends",)}),
    TopicRule("heat", None, {"de": ("Wärmepumpe",)}, query="Häuser NEAR/5 Wärmepumpen"),
    TopicRule("x", None, {}, query="Kundenservice AND NOT Wochenende"),
    TopicRule("y", None, {}, query="NOT Kundenservice"),  # holds without any term
    TopicRule("z", None, {"en": ("customer", "slow hotline")}, {"en": ("complained about",)}),
)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.query or ",".join(r.terms.get("de", ())))
def test_pieces_decide_as_the_whole_definition(history: History, rule: TopicRule) -> None:
    plant(history)
    facts = doc_facts(history.con)
    window = facts.stored
    tagged, evidence, _ = topic_preview._decide(history.con, rule, window, facts, (0, 1))
    [(whole, whole_evidence)] = preview_matching.match(
        history.con, [rule], preview_matching.candidates(history.con, [rule], window), facts
    )
    assert np.array_equal(tagged, whole)
    assert {d: evidence(d) for d in whole.tolist()} == whole_evidence
    again, _, looked = topic_preview._decide(history.con, rule, window, facts, (0, 1))
    assert np.array_equal(again, whole) and looked == 0  # every piece remembered


def test_the_preview_counts_the_planted_posts(history: History) -> None:
    plant(history)
    found = topic_preview.preview_topic(history.con, RULES[1], now=NOW, timezone="Europe/Berlin")
    assert found.matched == 3  # four say "Kundenservice", one of them "abends"
    assert sum(w.matched for w in found.weeks) == 3 and len(found.weeks) == 12


SEQUENCE_TEXTS = (
    "Mehr: https://lnk.example/p1919 und www.example.org/Datenschutz.",
    "Titel\nText mit @DB_Bahn, #Kundenservice und E-Mail-Marketing (siehe http://x.de/a).",
    "Look at https://example.com/a,b;c) — then    call the hotline!!",
    "mail me: info@example.org https:// www. http:x",
)


@pytest.mark.parametrize("text", SEQUENCE_TEXTS)
@pytest.mark.parametrize("lang", ["de", "en", "xx"])
def test_the_preview_reads_words_as_enrichment_does(text: str, lang: str) -> None:
    from earshot.nlp.topics import word_sequence

    tok = preview_matching._tokenizer(lang)
    assert preview_matching.word_sequence(tok, text) == word_sequence(tok(text))


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Kundenservice", "Hotline kaputt"),
        ("Customer", "service is slow"),  # a phrase across the line break, as enrichment reads
        ("Titel ", " Text mit  Lücken\nund Zeilen"),
        ("", "nur Text"),
        ("nur Titel", ""),
    ],
)
def test_title_and_text_read_as_one_post(title: str, text: str) -> None:
    from earshot.nlp.topics import word_sequence

    tok = preview_matching._tokenizer("de")
    whole = text if not title else title if not text else f"{title}\n{text}"
    assert preview_matching.post_sequence(tok, title, text) == word_sequence(tok(whole))
