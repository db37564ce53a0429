from __future__ import annotations

import pytest
from spacy.language import Language

from earshot.nlp.records import TopicRule
from earshot.nlp.topics import rule_from_config, rule_to_config


def topics_of(nlp: Language, text: str) -> dict[str, tuple[str, ...]]:
    return {m.topic_id: m.matched_terms for m in nlp(text)._.earshot_topics}


@pytest.mark.parametrize(
    "text",
    [
        "Der Kundenservice war heute schnell.",
        "Alle Kundenservices sind überlastet.",
        "Die Kundenservice-Hotline ist nie erreichbar",
        "Wieder mal #Kundenservice am Limit",
        "kundenservice antwortet nicht",
    ],
)
def test_german_term_matches_inflections_hashtags_and_hyphen_compounds(
    de_nlp: Language, text: str
) -> None:
    assert topics_of(de_nlp, text).get("service") == ("Kundenservice",)


@pytest.mark.parametrize(
    "text",
    [
        "Loving the new #CustomerExperience at the store",
        "customer experiences matter",
        "Our Customer-Experience team rocks",
        "#customerexperience is everything",
    ],
)
def test_english_multiword_term_matches_hashtags_plurals_and_hyphens(
    en_nlp: Language, text: str
) -> None:
    assert topics_of(en_nlp, text).get("service") == ("customer experience",)


def test_german_plural_dative_and_compound_end(de_nlp: Language) -> None:
    # "Newsletter" is configured for de and en: both configured strings are evidence
    found = topics_of(de_nlp, "In den Newslettern stand nichts")
    assert found["newsletter"] == ("Newsletter", "newsletter")
    # an English term at the end of a German compound
    assert topics_of(de_nlp, "Contentmarketing ist kein Hexenwerk") == {"marketing": ("Marketing",)}


def test_compound_end_is_german_only_and_words_must_be_whole(en_nlp: Language) -> None:
    assert topics_of(en_nlp, "Contentmarketing is hard") == {}
    assert topics_of(en_nlp, "The customer had a bad experience") == {}
    assert topics_of(en_nlp, "Ask the customer. Experience tells.") == {}


def test_not_matched_without_the_term(de_nlp: Language) -> None:
    assert topics_of(de_nlp, "Der Kunde ist König, der Service nicht") == {}


def test_exclusion_of_any_language_drops_the_topic(en_nlp: Language, de_nlp: Language) -> None:
    assert topics_of(en_nlp, "customer experience job offer, apply now") == {}
    assert topics_of(de_nlp, "Stellenanzeige: Kundenservice in Berlin") == {}
    assert "service" in topics_of(de_nlp, "Kundenservice in Berlin")


def test_evidence_is_deduplicated_and_sorted(en_nlp: Language) -> None:
    found = topics_of(en_nlp, "Newsletter, newsletters and our mailing list. Newsletter!")
    assert found == {"newsletter": ("Newsletter", "mailing list", "newsletter")}


def test_terms_of_all_languages_apply_to_every_post(en_nlp: Language) -> None:
    assert topics_of(en_nlp, "Our Kundenservice is great")["service"] == ("Kundenservice",)


def test_matches_keep_taxonomy_order_and_bucket(de_nlp: Language) -> None:
    doc = de_nlp("Marketing per Newsletter und Kundenservice")
    assert [(m.topic_id, m.bucket_id) for m in doc._.earshot_topics] == [
        ("service", "care"),
        ("newsletter", "owned"),
        ("marketing", None),
    ]


def test_rule_config_round_trip() -> None:
    rule = TopicRule("t", "b", {"de": ("A", "B")}, {"en": ("c",)})
    assert rule_from_config(rule_to_config(rule)) == rule


def test_a_mention_matches_the_terms_in_its_handle_but_joins_no_phrase() -> None:
    from earshot.nlp.pipeline import build_pipeline

    rule = TopicRule("db", None, {"de": ("Bahn", "Deutsche Bahn", "Zug kaputt")})
    nlp = build_pipeline("de", (rule,))

    def terms(text: str) -> set[str]:
        return {t for m in nlp(text)._.earshot_topics or () for t in m.matched_terms}

    assert terms("@DB_Bahn mein Zug ist weg") == {"Bahn"}
    assert terms("@DeutscheBahn danke!") == {"Bahn", "Deutsche Bahn"}
    assert terms("@Zug kaputt heute") == set()  # the handle's words end at the handle
    assert terms("@Fahrgastverband meldet sich") == set()
