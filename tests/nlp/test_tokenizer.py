"""The fast tokenizer: exact text round trip, social-media tokens kept whole, sentence starts."""

from __future__ import annotations

import pytest
import spacy

from earshot.nlp.normalise import token_view
from earshot.nlp.pipeline import build_pipeline
from earshot.nlp.tokenizer import _split_any, split


@pytest.mark.parametrize(
    "text",
    [
        "Hallo @DB_Bahn, die #Kundenservice-Hotline ist :( schlecht!!! https://t.co/x1.",
        "I can't   wait :D\n\nsee you 4:20 😂😂",
        " leading and trailing ",
        "",
        "tab\there",
    ],
)
def test_text_round_trips_exactly(text: str) -> None:
    words, spaces = split(text)
    assert "".join(w + (" " if s else "") for w, s in zip(words, spaces, strict=True)) == text
    assert (words, spaces) == _split_any(text)  # the fast path and the general one agree
    nlp = build_pipeline("en", ())
    assert nlp(text).text == text


def test_social_tokens_stay_whole() -> None:
    words, _ = split("@anna #CustomerExperience is great :-) see https://example.org/a?b=1.")
    assert words == [
        "@anna",
        "#CustomerExperience",
        "is",
        "great",
        ":-)",
        "see",
        "https://example.org/a?b=1",
        ".",
    ]
    assert split("Die S-Bahn, don't! Verspa\u0308tung")[0] == [
        "Die",
        "S-Bahn",
        ",",
        "don't",
        "!",
        "Verspa\u0308tung",
    ]


def test_sentence_starts_follow_sentence_final_punctuation() -> None:
    nlp = build_pipeline("de", ())
    view = token_view(nlp("Das ist gut. Wann kommt der Zug? Ok"))
    starts = [info.text for info, start in zip(view.infos, view.sent_start, strict=True) if start]
    assert starts == ["Das", "Wann", "Ok"]


def test_registered_for_spacy_configs() -> None:
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "earshot_tokenizer_v1"}}})
    assert [t.text for t in nlp("#tag @you :)")] == ["#tag", "@you", ":)"]


@pytest.mark.parametrize("lang", ["en", "de", "xx"])
def test_word_info_from_getters_is_the_lexeme_info(lang: str) -> None:
    from earshot.nlp.normalise import lexeme_info, text_info

    vocab = spacy.blank(lang).vocab
    words = ["", " ", "\n", "Zug", "can't", "#Tag", "@DB_Bahn", "https://t.co/x", "www.db.de"]
    words += ["a@b.de", "1.000,50", "ten", "zehn", "!!!", ":(", "😂", "S-Bahn", "Verspa\u0308tung"]
    for word in words:
        assert text_info(word, vocab.lex_attr_getters) == lexeme_info(vocab[word]), word
