from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from earshot.nlp import Enricher, LexiconError
from earshot.nlp.lexicon import packaged_lexicon_path, read_lexicon
from earshot.nlp.pipeline import build_pipeline


def score(nlp: Language, text: str) -> float:
    return float(nlp(text)._.earshot_sentiment)


def label(nlp: Language, text: str) -> str:
    return str(nlp(text)._.earshot_sentiment_label)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love this, the support was amazing", "positive"),
        ("This is the worst service ever, terrible and rude", "negative"),
        ("The train leaves at 9 from platform 4", "neutral"),
    ],
)
def test_english_clear_cases(en_nlp: Language, text: str, expected: str) -> None:
    assert label(en_nlp, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Super Service, ich bin total begeistert!", "positive"),
        ("Der Zug hatte schon wieder Verspätung, einfach katastrophal", "negative"),
        ("Die Sitzungen waren die schlechtesten seit Jahren", "negative"),
        ("Der Zug fährt um 9 Uhr von Gleis 4", "neutral"),
    ],
)
def test_german_clear_cases_and_inflection(de_nlp: Language, text: str, expected: str) -> None:
    assert label(de_nlp, text) == expected


def test_negation(en_nlp: Language, de_nlp: Language) -> None:
    assert score(de_nlp, "Das ist gut") > 0
    assert score(de_nlp, "Das ist nicht gut") < 0
    assert score(de_nlp, "Das gefällt mir nicht.") < 0
    assert score(de_nlp, "Kein Problem") >= 0
    assert score(en_nlp, "This is bad") < 0
    assert score(en_nlp, "This is not bad") >= 0
    assert score(en_nlp, "I don't like it") < 0


def test_contrast_weighs_the_second_clause(en_nlp: Language, de_nlp: Language) -> None:
    assert score(en_nlp, "The food was good but the service was terrible") < 0
    assert score(de_nlp, "Das Essen war gut, aber der Service war schrecklich") < 0


def test_intensifiers_exclamations_and_caps_amplify(en_nlp: Language, de_nlp: Language) -> None:
    assert score(en_nlp, "very good") > score(en_nlp, "good") > score(en_nlp, "slightly good")
    assert score(de_nlp, "sehr gut") > score(de_nlp, "gut") > score(de_nlp, "etwas gut")
    assert score(en_nlp, "good!!!") > score(en_nlp, "good")
    assert score(en_nlp, "the food was GOOD") > score(en_nlp, "the food was good")


def test_emoji(en_nlp: Language, de_nlp: Language) -> None:
    assert score(de_nlp, "Bahnfahren heute 😍") > 0
    assert score(en_nlp, "train ride today 😠") < 0


def test_scores_are_bounded(en_nlp: Language) -> None:
    text = "amazing wonderful fantastic excellent love love love!!!! " * 10
    assert 0.9 < score(en_nlp, text) <= 1.0


def test_user_lexicon_replaces_packaged_one(tmp_path: Path) -> None:
    lexicon = tmp_path / "de.tsv"
    lexicon.write_text("gut\t-3\nmies\t2.5\n", encoding="utf-8")
    nlp = build_pipeline("de", (), lexicon_path=lexicon)
    assert score(nlp, "Das ist gut") < 0
    assert score(nlp, "Das ist mies") > 0
    assert score(nlp, "Das ist katastrophal") == 0  # not in the user lexicon


def test_malformed_lexicon_names_file_and_line(tmp_path: Path) -> None:
    lexicon = tmp_path / "broken.tsv"
    lexicon.write_text("gut\t2\n\nschlecht -2\n", encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        read_lexicon(lexicon)
    assert caught.value.line == 3
    assert f"{lexicon}:3" in str(caught.value)
    with pytest.raises(LexiconError, match=r"broken\.tsv:3"):
        Enricher((), lexicons={"de": lexicon})


@pytest.mark.parametrize("line", ["gut\tsehr", "gut\t7", "\t1"])
def test_malformed_valences(tmp_path: Path, line: str) -> None:
    lexicon = tmp_path / "x.tsv"
    lexicon.write_text(f"# comment\n{line}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"x\.tsv:2"):
        read_lexicon(lexicon)


def test_missing_lexicon_is_a_lexicon_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match=r"missing\.tsv"):
        Enricher((), lexicons={"de": tmp_path / "missing.tsv"})


def test_packaged_german_lexicon_is_large_and_valid() -> None:
    path = packaged_lexicon_path("de")
    assert path is not None
    lexicon = read_lexicon(path)
    assert sum(1 for v in lexicon.values() if v) >= 400
    assert lexicon["gut"] > 0 > lexicon["schlecht"]


def test_boosters_alone_keep_their_own_valence(en_nlp: Language) -> None:
    assert score(en_nlp, "Damn damn damn") < 0
    assert score(en_nlp, "damn good") > score(en_nlp, "good")


def test_greetings_are_not_opinions(de_nlp: Language) -> None:
    assert label(de_nlp, "Liebe Grüße und guten Morgen aus Köln") == "neutral"
    assert label(de_nlp, "Ich liebe diesen Zug") == "positive"


def test_long_neutral_text_with_a_stray_positive_word_stays_neutral(de_nlp: Language) -> None:
    report = (
        "Die Bahn baut in den kommenden Wochen die Strecke zwischen Hamburg und Berlin aus. "
        "Nach Angaben des Unternehmens werden dabei neue Gleise verlegt und Signale erneuert. "
        "Die Arbeiten sollen bis zum Herbst dauern, eine gute Nachricht für Pendler aus der Region."
    )
    assert label(de_nlp, report) == "neutral"


def test_german_compound_nouns_take_the_valence_of_their_tail(de_nlp: Language) -> None:
    assert label(de_nlp, "Schon wieder eine Streckensperrung") == "negative"
    assert label(de_nlp, "Wieder ein Stellwerksausfall") == "negative"
    # lowercase words with a prefix are not compounds: "allgemein" is not "gemein"
    assert label(de_nlp, "Das gilt allgemein") == "neutral"


def test_negation_stops_at_a_sentiment_word(en_nlp: Language) -> None:
    # each "don't" negates its own "care", not the next one too
    assert score(en_nlp, "don't care don't care don't care") < 0


def test_elongated_words_and_cased_emoticons(en_nlp: Language) -> None:
    assert score(en_nlp, "this is sooooo goooood") > 0
    assert score(en_nlp, "LAAAAME") < 0
    assert score(en_nlp, "I lost my keys D:") < 0
    assert score(en_nlp, "Going to the beach :D") > 0


def test_english_idioms_and_hedges(en_nlp: Language) -> None:
    assert score(en_nlp, "can't wait for the weekend") > 0
    assert score(en_nlp, "that guitar solo was bad ass") > 0
    assert abs(score(en_nlp, "what kind of food is that")) < 0.05


def test_old_factory_name_still_builds_the_scorer() -> None:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("earshot_sentiment_v1")
    assert nlp("I love it")._.earshot_sentiment > 0
    assert "earshot_sentiment_v2" in build_pipeline("en", ()).pipe_names
