"""Near-duplicates: texts alike enough that one answer of the teach queue covers both."""

from __future__ import annotations

import pytest

from earshot.nlp.likeness import Likeness


def test_near_duplicates_are_told_apart_from_other_texts() -> None:
    texts = [
        "Die S-Bahn nach Laim fällt heute wegen einer Stellwerksstörung aus",
        "Die S-Bahn nach Laim fällt heute wegen einer Stellwerksstörung aus!! http://t.co/x",
        "Danke an das freundliche Personal im ICE nach Hamburg",
        "Die S-Bahn nach Pasing ist pünktlich",
    ]
    near = Likeness(texts)
    assert not near.too_close(1, [])
    assert near.too_close(1, [0]) and near.too_close(0, [2, 1])
    assert not near.too_close(2, [0, 1]) and not near.too_close(3, [0])


def test_near_duplicates_from_a_sample_of_many_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    import earshot.nlp.likeness as likeness

    monkeypatch.setattr(likeness, "LIKENESS_SAMPLE", 6)  # 12 texts: the vocabulary from 6
    stems = [
        "Die S-Bahn nach Laim fällt heute wegen einer Stellwerksstörung aus",
        "Danke an das freundliche Personal im ICE nach Hamburg",
        "Der Regionalexpress nach Kiel hat zwanzig Minuten Verspätung",
    ]
    texts = [f"{stems[i % 3]} {'!' * (i // 3)}" for i in range(12)]
    near = Likeness(texts)
    assert near.too_close(3, [0]) and near.too_close(4, [2, 1])  # the same stem
    assert not near.too_close(1, [0, 2]) and not near.too_close(5, [3, 4])
