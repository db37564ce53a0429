from __future__ import annotations

import pytest
from spacy.language import Language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Does anyone know when the next train leaves?", True),
        ("How do I cancel my subscription", True),
        ("@support why is the app down again", True),
        ("Anyone know a good tailor in Berlin", True),
        ("Great concert tonight.", False),
        ("What a day!", False),
        ("Read more at https://x.de/a?b=1 today", False),
        ("Is this real? I can't believe it", True),
    ],
)
def test_english_questions(en_nlp: Language, text: str, expected: bool) -> None:
    assert en_nlp(text)._.earshot_is_question is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wann kommt der nächste Zug", True),
        ("@bahn warum ist der ICE schon wieder zu spät", True),
        ("Weiß jemand, ob der Laden heute offen hat", True),
        ("Gibt es eine Alternative zu Outlook", True),
        ("Kann mir jemand helfen?", True),
        ("Der Zug ist pünktlich.", False),
        ("Was für ein Tag!", False),
        ("Mehr unter https://x.de/a?b=1 lesen", False),
    ],
)
def test_german_questions(de_nlp: Language, text: str, expected: bool) -> None:
    assert de_nlp(text)._.earshot_is_question is expected
