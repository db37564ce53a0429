from __future__ import annotations

from spacy.language import Language


def test_hashtags_first_lowercase_without_hash(de_nlp: Language) -> None:
    terms = de_nlp("Neuer Fahrplan für die S-Bahn #Bahnchaos #München")._.earshot_key_terms
    assert terms[:2] == ("bahnchaos", "münchen")
    assert "fahrplan" in terms


def test_drops_stop_words_urls_numbers_mentions_and_short_tokens(en_nlp: Language) -> None:
    doc = en_nlp("@acme the 2024 pricing update is at https://acme.com/p?x=1 and it is ok")
    terms = doc._.earshot_key_terms
    assert "pricing update" in terms or {"pricing", "update"} <= set(terms)
    for dropped in ("the", "2024", "@acme", "acme", "https://acme.com/p?x=1", "ok", "is"):
        assert dropped not in terms


def test_repeated_phrase_becomes_a_bigram_and_terms_are_capped(en_nlp: Language) -> None:
    text = (
        "Customer experience matters. Customer experience wins. "
        "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo"
    )
    terms = en_nlp(text)._.earshot_key_terms
    assert terms[0] == "customer experience"
    assert "customer" not in terms
    assert len(terms) == 8
