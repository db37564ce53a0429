"""Relevance models: learned per topic from labels, judged against "every match is relevant",
stored as plain arrays, predicting as scikit-learn does; the Enricher sets aside the matches
a topic's model rejects, and without models every version stays as it was."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from earshot.nlp.enricher import Enricher
from earshot.nlp.learn import fit
from earshot.nlp.records import TopicRule
from earshot.nlp.relevance import (
    IRRELEVANT,
    MIN_PER_CLASS,
    RELEVANT,
    SETTINGS,
    learn_relevance,
    load_model,
    model_path,
    model_text,
    rules_score,
)
from earshot.nlp.sentiment_model import ModelError

RULES = (
    TopicRule("bahn", "risk", {"de": ("Bahn",)}),
    TopicRule("wetter", None, {"de": ("Regen",)}),
)
# "Bahn" the rail company, and "Bahn" the lane of a pool, a rink or a racetrack
RAIL = ["Zug", "Verspätung", "Stellwerk", "Bahnsteig", "Fahrkarte", "Schaffner", "ICE"]
LANE = ["Schwimmbad", "Eisbahn", "Rodel", "Kegeln", "Sprinter", "Becken", "Schlittschuh"]


def texts_of(words: list[str], template: str, n: int) -> list[str]:
    pairs = itertools.islice(itertools.cycle(itertools.permutations(words, 2)), n)
    return [template.format(a=a, b=b, n=i) for i, (a, b) in enumerate(pairs)]


RELEVANT_TEXTS = texts_of(RAIL, "Die Bahn: {a} und {b}, schon wieder ({n}).", 40)
IRRELEVANT_TEXTS = texts_of(LANE, "Heute ist die Bahn frei: {a} mit {b} ({n}).", 40)
TEXTS = RELEVANT_TEXTS + IRRELEVANT_TEXTS
GOLD = [True] * len(RELEVANT_TEXTS) + [False] * len(IRRELEVANT_TEXTS)
TERMS = [("Bahn",)] * len(TEXTS)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    learned = learn_relevance("bahn", TEXTS, GOLD, TERMS)
    assert learned.model is not None, learned
    path = model_path(tmp_path_factory.mktemp("models"), "bahn")
    learned.model.save(path)
    return path


def test_too_few_labels_say_how_many_more_of_which_class() -> None:
    learned = learn_relevance("bahn", TEXTS[:45], GOLD[:45], TERMS[:45])
    assert learned.model is None and learned.model_cv is None
    assert learned.counts == {RELEVANT: 40, IRRELEVANT: 5}
    assert learned.needs == {IRRELEVANT: MIN_PER_CLASS - 5}
    assert learned.rules is not None and learned.rules.micro_f1 == pytest.approx(40 / 45)


def test_a_model_that_beats_every_match_is_relevant_is_kept() -> None:
    learned = learn_relevance("bahn", TEXTS, GOLD, TERMS)
    assert learned.rules is not None and learned.model_cv is not None
    assert learned.rules.micro_f1 == 0.5 and learned.rules.per_class[IRRELEVANT] == 0.0
    assert learned.model_cv.macro_f1 > 0.9 and learned.model_cv.beats(learned.rules)
    assert learned.model is not None and learned.model.info["labels"] == learned.counts


def test_labels_the_model_cannot_learn_keep_the_rules() -> None:
    # one text, judged both ways: no model beats "every match is relevant"
    same = ["Die Bahn ist da."] * 80
    learned = learn_relevance("bahn", same, [n % 4 != 0 for n in range(80)], TERMS)
    assert learned.model_cv is not None and learned.model is None


def test_stored_model_predicts_what_scikit_learn_predicts(model_file: Path) -> None:
    model = load_model(model_file)
    probe = ["Die Bahn hat Verspätung am Bahnsteig", "Die Bahn im Schwimmbad ist frei", "Bahn"]
    terms = [("Bahn",)] * len(probe)
    inputs = [model_text(t, m) for t, m in zip(TEXTS, TERMS, strict=True)]
    names = [RELEVANT if g else IRRELEVANT for g in GOLD]
    _, (features, regression) = fit("", inputs, names, [rules_score(m) for m in TERMS], SETTINGS)
    expected = regression.predict_proba(
        features.transform([model_text(t, m) for t, m in zip(probe, terms, strict=True)], [1.0] * 3)
    )[:, list(regression.classes_).index(RELEVANT)]
    assert model.scores(probe, terms) == pytest.approx(np.round(expected, 4).tolist(), abs=1e-4)
    assert model.scores(probe[:2], terms[:2])[0] > 0.5 > model.scores(probe[:2], terms[:2])[1]


def test_a_pickled_array_file_is_refused(model_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "relevance-bahn.npz"
    bad.with_suffix(".json").write_bytes(model_file.with_suffix(".json").read_bytes())
    with bad.open("wb") as handle:
        np.savez(handle, idf=np.array([object()], dtype=object), coef=np.zeros(1), intercept=[0])
    with pytest.raises(ModelError, match="no pickles"):
        load_model(bad)
    sentiment = tmp_path / "sentiment-de.json"
    sentiment.write_text('{"format": "earshot-sentiment-model/1"}', encoding="utf-8")
    with pytest.raises(ModelError, match="not an Earshot relevance model"):
        load_model(sentiment.with_suffix(".npz"))


def test_the_enricher_sets_aside_what_the_model_rejects(model_file: Path) -> None:
    plain = Enricher(RULES, languages=("de",))
    judged = Enricher(RULES, languages=("de",), relevance_models={"bahn": model_file})
    posts = [
        ("rail", "Die Bahn: Zug und Stellwerk, Verspätung bei Regen.", "de"),
        ("lane", "Heute ist die Bahn frei: Schwimmbad mit Becken, kein Regen.", "de"),
    ]
    before = {a.post_id: a for a in plain.annotate(posts)}
    after = {a.post_id: a for a in judged.annotate(posts)}
    assert [m.topic_id for m in before["lane"].topics] == ["bahn", "wetter"]
    assert [m.topic_id for m in after["lane"].topics] == ["wetter"]  # no model: kept as is
    assert after["lane"].topics[0].relevance is None
    (rejected,) = after["lane"].rejected_topics
    assert rejected.topic_id == "bahn" and rejected.matched_terms == ("Bahn",)
    assert rejected.relevance is not None and rejected.relevance < 0.5
    kept = after["rail"].topics[0]
    assert kept.topic_id == "bahn" and kept.relevance is not None and kept.relevance >= 0.5
    assert after["rail"].rejected_topics == ()
    # the topics-only re-tag judges alike
    tags = {t.post_id: t for t in judged.tag_topics(posts)}
    assert tags["lane"].rejected_topics == after["lane"].rejected_topics
    assert tags["rail"].topics == after["rail"].topics
    # settings cross to workers with the model
    assert judged.settings.build().topics_version == judged.topics_version


def test_versions_change_with_a_model_only(model_file: Path, tmp_path: Path) -> None:
    plain = Enricher(RULES, languages=("de",))
    none = Enricher(RULES, languages=("de",), relevance_models={})
    judged = Enricher(RULES, languages=("de",), relevance_models={"bahn": model_file})
    other = tmp_path / "relevance-gone.npz"
    learned = learn_relevance("gone", TEXTS, GOLD, TERMS)
    assert learned.model is not None
    learned.model.save(other)
    unknown_topic = Enricher(RULES, languages=("de",), relevance_models={"gone": other})
    assert none.topics_version == plain.topics_version == unknown_topic.topics_version
    assert judged.topics_version != plain.topics_version
    assert judged.analysis_version == plain.analysis_version  # relevance is about topics only
    with pytest.raises(ModelError, match="a model for 'bahn', not 'wetter'"):
        Enricher(RULES, languages=("de",), relevance_models={"wetter": model_file})
