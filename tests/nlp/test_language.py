from __future__ import annotations

import pytest

from earshot.nlp.language import LanguageIdentifier


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier(("de", "en"))


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Der Zug ist schon wieder zu spät", "de"),
        ("Wo bleibt mein Paket?", "de"),
        ("The train is late again", "en"),
        ("Where is my parcel?\nStill waiting", "en"),
        ("Le train est encore en retard ce matin", "fr"),
    ],
)
def test_short_posts(identifier: LanguageIdentifier, text: str, lang: str) -> None:
    guess = identifier.identify(text)
    assert guess.lang == lang
    assert 0.0 < guess.score <= 1.0


def test_hint_decides_when_detection_is_unsure(identifier: LanguageIdentifier) -> None:
    # a lone German compound: too short to trust the detector
    assert identifier.identify("Kundenservice", "de").lang == "de"
    assert identifier.identify("Kundenservice", "en").lang == "en"


def test_hint_does_not_override_a_confident_detection(identifier: LanguageIdentifier) -> None:
    assert identifier.identify("Der Zug ist schon wieder viel zu spät dran", "en").lang == "de"


def test_hint_of_unconfigured_language_is_ignored(identifier: LanguageIdentifier) -> None:
    assert identifier.identify("Kundenservice", "pl").lang != "pl"


def test_empty_and_letterless_texts(identifier: LanguageIdentifier) -> None:
    assert identifier.identify("").lang == "und"
    assert identifier.identify("   \n").lang == "und"
    assert identifier.identify("https://x.de 123 🙂").lang == "und"
    assert identifier.identify("https://x.de 123 🙂", "de-DE").lang == "de"


def test_configured_languages_win_short_ambiguous_posts(identifier: LanguageIdentifier) -> None:
    assert identifier.identify("@someone great! :)").lang == "en"
    assert identifier.identify("Boah, schon wieder zu spät").lang == "de"
    assert identifier.identify("Où est la gare, s'il vous plaît ?").lang == "fr"


@pytest.mark.parametrize(
    "text",
    [
        "The train is late again",
        "Der Zug ist schon wieder zu spät",
        "Le train est encore en retard ce matin",
        "great! :)",
        "ok",
        "Kundenservice",
        "Danke, super Service, aber die App ist ein Krampf",
        "lol same",
    ],
)
def test_first_choice_shortcut_decides_as_the_top_five_would(
    identifier: LanguageIdentifier, text: str
) -> None:
    # `_guess` asks fastText for its first choice alone when that settles the decision
    clean = text.lower()
    vote = identifier._vote(clean.split())
    predictions = identifier._model.f.predict(clean + "\n", 5, 0.0, "strict")
    lang, score = identifier._decide(vote, identifier._scores(predictions))
    guess = identifier._guess(clean, vote, None)
    assert (guess.lang, guess.score) == (lang, score)
