"""What the teach queue asks about: the model's uncertain texts, else the rules' near a class
boundary (the class short of labels first); batches predicted as text by text."""

from __future__ import annotations

import numpy as np
import pytest

from earshot.nlp.learn import MIN_PER_CLASS, fit
from earshot.nlp.ngram_features import FeatureSettings
from earshot.nlp.rule_scores import RuleScores
from earshot.nlp.sentiment import label_for
from earshot.nlp.teach import (
    BALANCE_POOL,
    BALANCE_UNTIL,
    BOUNDARIES,
    PROVISIONAL_MIN,
    Judge,
    judgement,
    judging_model,
    judging_relevance,
    margin_uncertainty,
    relevance_judgement,
    relevance_uncertainty,
    rules_uncertainty,
    short_class,
    uncertainty,
    verdicts,
)
from tests.nlp.test_learn import labelled


def test_the_boundaries_are_where_the_rules_change_their_answer() -> None:
    low, high = BOUNDARIES
    assert label_for(low - 1e-9) == "negative" and label_for(low + 1e-9) == "neutral"
    assert label_for(high - 1e-9) == "neutral" and label_for(high + 1e-9) == "positive"
    told = rules_uncertainty([0.05, -0.05, 0.0, 0.3, -0.9])
    assert told[0] == told[1] == 1.0  # on a boundary: most uncertain
    assert told[0] > told[2] > told[3] > told[4] == 0.0


def test_the_class_that_lacks_most_labels_is_asked_about_first() -> None:
    scores = [0.0, 0.5, -0.5, 0.05]
    labelled = {"negative": MIN_PER_CLASS, "neutral": MIN_PER_CLASS - 2, "positive": 3}
    told = rules_uncertainty(scores, labelled)
    assert np.argsort(-told).tolist()[:2] == [1, 3]  # the rules' positives (lacking 17)
    assert told[0] > told[2]  # neutral lacks 2, negative none


def test_margin_uncertainty() -> None:
    probabilities = np.array([[0.34, 0.33, 0.33], [0.9, 0.05, 0.05], [0.5, 0.5, 0.0]])
    assert np.allclose(margin_uncertainty(probabilities), [0.99, 0.15, 1.0])


@pytest.fixture(scope="module")
def rules() -> RuleScores:
    return RuleScores("de")


def test_a_model_judges_by_its_margin_and_batches_predict_as_single_texts(
    rules: RuleScores,
) -> None:
    texts, labels = labelled()
    scores = rules.scores(texts)
    model, _ = fit("de", texts, labels, scores, FeatureSettings())
    asked = [
        "Schienenersatzverkehr ab Kiel, das dritte Mal",  # like the negative labels
        "Der Zug nach Ulm fährt von Gleis 7, Sitzplatz am Fenster",  # neutral and positive
        "",
        "Sitzplatz im Zug, Sitzplatz!",
    ]
    asked_scores = rules.scores(asked)
    told = uncertainty(asked_scores, asked, model)
    assert told[1] > told[0]
    assert np.allclose(told, margin_uncertainty(model.probabilities(asked, asked_scores)))
    one_by_one = [model.probabilities([t], [s]) for t, s in zip(asked, asked_scores, strict=True)]
    assert np.allclose(model.probabilities(asked, asked_scores), np.vstack(one_by_one), atol=1e-12)
    # a text holding the batch's separator: that batch goes text by text, to the same figures
    odd = [*asked, "Sitzplatz\x00 im Zug"]
    mixed = model.probabilities(odd, [*asked_scores, 0.0])
    assert np.allclose(mixed[: len(asked)], np.vstack(one_by_one), atol=1e-12)


def test_a_provisional_model_judges_from_a_few_labels_of_each_class(rules: RuleScores) -> None:
    texts, labels = labelled()
    few = [i for c in ("negative", "neutral", "positive") for i in
           [j for j, g in enumerate(labels) if g == c][:PROVISIONAL_MIN]]  # fmt: skip
    picked = ([texts[i] for i in few], [labels[i] for i in few])
    assert judging_model(None, "de", *picked, rules.scores(picked[0])) is not None
    assert judging_model(None, "de", picked[0][1:], picked[1][1:], [0.0] * 8) is None
    judge = Judge({"de": rules}, {}, {"de": picked})
    asked = ["Stellwerk in Kiel ausgefallen", "Pünktlich in Ulm"]
    assert judge.uncertainty("de", asked, {}) != rules_uncertainty(rules.scores(asked)).tolist()
    assert "de" in judge.models  # trained once, kept for the next question
    assert judge.uncertainty("fr", asked, {}) == [-1.0, -1.0]  # no rules: nothing to teach


def test_relevance_is_judged_by_a_provisional_model_once_both_verdicts_have_labels() -> None:
    cities = ("Kiel", "Ulm", "Jena", "Gera")
    about = [f"Die Bahn nach {c} fällt aus" for c in cities]
    beside = [f"Bahnhofstraße {n} in {c}: Wohnung frei" for n, c in enumerate(cities)]
    texts, relevant = [*about, *beside], [True] * 4 + [False] * 4
    terms = [("Bahn",)] * 8
    assert judging_relevance(None, texts[3:], relevant[3:], terms[3:]) is None  # 1 relevant
    core = judging_relevance(None, texts, relevant, terms)
    assert core is not None and core.coef.shape[0] == 2  # a softmax of two classes
    asked = ["Die Bahn nach Essen fällt aus", "Bahnhofstraße 9 in Essen: Wohnung frei", "Bahn"]
    told = relevance_uncertainty(core, asked, [("Bahn",)] * 3)
    assert told.shape == (3,) and ((told >= 0.0) & (told <= 1.0)).all()
    # without a model, the matches of fewest distinct terms first
    fallback = relevance_uncertainty(None, asked, [("Bahn", "DB"), ("Bahn",), ()])
    assert fallback[2] > fallback[1] > fallback[0]


def test_the_likeliest_of_the_class_short_of_labels_are_marked_until_it_has_enough(
    rules: RuleScores,
) -> None:
    asked = ["Super, danke!", "Toll, pünktlich", "Störung in Kiel", "Zug um 7", "Gleis 3"] * 4
    scores = rules.scores(asked)
    few = {"negative": BALANCE_UNTIL, "neutral": BALANCE_UNTIL, "positive": 2}
    told = judgement(scores, asked, None, few)
    marked = {t for t, s in zip(asked, told.short, strict=True) if s}
    assert marked
    assert all(
        label_for(s) == "positive" for t, s in zip(asked, scores, strict=True) if t in marked
    )
    assert told.uncertainty == rules_uncertainty(scores, few).tolist()
    enough = dict.fromkeys(("negative", "neutral", "positive"), BALANCE_UNTIL)
    assert not any(judgement(scores, asked, None, enough).short)
    assert short_class(few, ("negative", "neutral", "positive")) == "positive"
    assert short_class(enough, ("negative", "neutral", "positive")) is None
    # with a model: by its probability of the short class, a `BALANCE_POOL` share of the texts
    texts, labels = labelled()
    model, _ = fit("de", texts, labels, rules.scores(texts), FeatureSettings())
    by_model = judgement(scores, asked, model, few)
    p = model.probabilities(asked, scores)[:, model.classes.index("positive")]
    assert sum(by_model.short) >= round(len(asked) * BALANCE_POOL)
    assert min(p[np.asarray(by_model.short)]) >= max(p[~np.asarray(by_model.short)])


def test_relevance_marks_the_matches_likeliest_not_relevant_while_that_verdict_is_short() -> None:
    asked = ["Bahn", "Bahn und DB", "Deutsche Bahn, DB, Bahn", "Bahnhof"]
    terms = [("Bahn",), ("Bahn", "DB"), ("Deutsche Bahn", "DB", "Bahn"), ("Bahn",)]
    told = relevance_judgement(None, asked, terms, verdicts([True] * 30 + [False] * 2))
    assert told.short == [True, False, False, True]  # fewest distinct terms
    assert not any(relevance_judgement(None, asked, terms, verdicts([True, False] * 30)).short)
