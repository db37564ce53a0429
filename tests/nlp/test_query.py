from __future__ import annotations

import re

import pytest
import spacy

from earshot.nlp.pipeline import build_pipeline
from earshot.nlp.query import (
    All,
    Any_,
    Near,
    Not,
    QueryError,
    Term,
    evaluate,
    parse_query,
    query_terms,
)
from earshot.nlp.records import TopicRule
from earshot.nlp.topics import rule_from_config, rule_to_config


def test_parse_precedence_and_near() -> None:
    node = parse_query('"customer service" AND (hotline OR chat) OR a NEAR/3 b AND NOT jobs')
    assert node == Any_(
        (
            All((Term("customer service"), Any_((Term("hotline"), Term("chat"))))),
            All((Near(Term("a"), Term("b"), 3), Not(Term("jobs")))),
        )
    )
    assert query_terms(node) == ("customer service", "hotline", "chat", "a", "b", "jobs")


def test_lower_case_keywords_are_words() -> None:
    assert parse_query('"and or" AND not') == All((Term("and or"), Term("not")))
    with pytest.raises(QueryError):
        parse_query("and or not")  # three words with no operator between them


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("a AND", "at the end"),
        ("(a OR b", "expected ')'"),
        ('"unclosed', "unbalanced quote"),
        ("a NEAR b", "NEAR/<number>"),
        ("(a OR b) NEAR/2 c", "two terms"),
        ("a b", "character 3"),
        ('""', "empty phrase"),
    ],
)
def test_parse_errors_say_what_and_where(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        parse_query(query)


def test_near_counts_words_between_in_either_order() -> None:
    node = parse_query("a NEAR/2 b")
    assert evaluate(node, {"a": [(0, 0)], "b": [(3, 3)]})[0]
    assert not evaluate(node, {"a": [(0, 0)], "b": [(4, 4)]})[0]
    assert evaluate(node, {"a": [(5, 6)], "b": [(2, 2)]})[0]
    assert not evaluate(node, {"a": [(0, 0)]})[0]


def test_evidence_keeps_positive_terms_only() -> None:
    holds, evidence = evaluate(parse_query("(a OR b) AND NOT c"), {"a": [(0, 0)]})
    assert holds and evidence == {"a"}
    assert not evaluate(parse_query("(a OR b) AND NOT c"), {"a": [(0, 0)], "c": [(1, 1)]})[0]


RULES = (
    TopicRule(
        topic_id="service",
        bucket_id=None,
        terms={},
        query='("customer service" OR Kundenservice) AND NOT Stellenanzeige',
    ),
    TopicRule(
        topic_id="complaint",
        bucket_id=None,
        terms={"en": ("complaint",)},
        query="Hotline NEAR/2 schlecht",
    ),
)


@pytest.fixture(scope="module")
def de() -> spacy.language.Language:
    return build_pipeline("de", RULES)


def topics(nlp: spacy.language.Language, text: str) -> dict[str, tuple[str, ...]]:
    return {m.topic_id: m.matched_terms for m in nlp(text)._.earshot_topics}


def test_query_tags_with_evidence_and_tolerant_matching(de: spacy.language.Language) -> None:
    assert topics(de, "Der #Kundenservice ist super") == {"service": ("Kundenservice",)}
    assert topics(de, "Kundenservices. Stellenanzeige: wir suchen") == {}
    assert topics(de, "Die Hotline ist echt schlecht!") == {"complaint": ("Hotline", "schlecht")}
    assert topics(de, "Die Hotline war gestern gar nicht so schlecht") == {}


def test_query_or_terms_tag_a_topic(de: spacy.language.Language) -> None:
    assert topics(de, "Eine complaint") == {"complaint": ("complaint",)}


def test_query_round_trips_through_config_and_only_when_set() -> None:
    assert rule_from_config(rule_to_config(RULES[0])) == RULES[0]
    assert "query" not in rule_to_config(TopicRule("t", None, {"en": ("x",)}))


def test_bad_query_names_the_topic() -> None:
    bad = TopicRule(topic_id="broken", bucket_id=None, terms={}, query="a AND (b")
    with pytest.raises(QueryError, match="topic 'broken': query: expected"):
        build_pipeline("en", [bad])


def test_config_rejects_a_bad_query_under_the_topics_query_key() -> None:
    # the config lives in pipelines/; this checks the seam nlp offers it
    from pydantic import ValidationError

    from earshot.pipelines.config import TopicConfig

    ok = TopicConfig(id="svc", label="Service", query="a NEAR/2 b")
    assert ok.query == "a NEAR/2 b" and ok.terms == {}
    with pytest.raises(ValidationError) as err:
        TopicConfig(id="svc", label="Service", query="a AND (b")
    assert err.value.errors()[0]["loc"] == ("query",)
    assert "expected ')'" in str(err.value)
    with pytest.raises(ValidationError, match="at least one term"):
        TopicConfig(id="svc", label="Service")


@pytest.mark.parametrize(
    ("query", "position"),
    [
        ("a AND AND b", 6),  # the second AND
        ("a AND (b OR", 11),  # the end
        ("(a OR b) NEAR/2 c", 9),  # the NEAR
        ("a NEARx b", 2),
        ('a "" b', 2),  # the empty phrase
        ("a b", 2),  # "expected AND, OR or the end" at b
    ],
)
def test_a_query_error_carries_the_position_its_message_names(query: str, position: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert caught.value.position == position
    if "at character" in str(caught.value):
        assert f"at character {position + 1}" in str(caught.value)


def test_an_empty_query_has_no_position() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("   ")
    assert caught.value.position is None
