"""The rules calibrated: a handful of weights over the rules' features, stored as plain arrays,
predicting as scikit-learn does, and used only where they beat the rules (and the n-gram
model, when that is possible too)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from earshot.nlp import calibration
from earshot.nlp.calibration import CalibratedModel, features
from earshot.nlp.learn import learn_sentiment
from earshot.nlp.sentiment import label_for
from earshot.nlp.sentiment_model import ModelError, load_model, model_path


def shifted(n: int = 90, cut: float = 0.4) -> tuple[list[str], list[str], list[float]]:
    """Texts whose organisation draws the classes' lines at +-`cut`, not at the rules'
    +-0.05: the scores are given (the rules' scores of these texts, as it were)."""
    scores = [round(-0.95 + 1.9 * i / (n - 1), 4) for i in range(n)]
    texts = [f"Beitrag Nummer {i}" + ("?" if i % 3 == 0 else "") for i in range(n)]
    labels = ["positive" if s > cut else "negative" if s < -cut else "neutral" for s in scores]
    return texts, labels, scores


def test_the_rules_calibrated_move_the_thresholds_to_the_labels() -> None:
    texts, labels, scores = shifted()
    model = calibration.fit("de", texts, labels, scores)
    # a post the rules call positive at 0.2 is neutral by these labels, and so for the model
    (_, label), (_, strong) = model.predict(["Na gut", "Super"], [0.2, 0.9])
    assert label_for(0.2) == "positive" and label == "neutral" and strong == "positive"


def test_the_better_in_cross_validation_of_those_that_beat_the_rules_is_used() -> None:
    texts, labels, scores = shifted()
    learned = learn_sentiment("de", texts, labels, scores)
    rules, ngram, calibrated = learned.rules, learned.model_cv, learned.calibrated_cv
    assert rules is not None and ngram is not None and calibrated is not None
    assert calibrated.beats(rules)
    better = not ngram.beats(rules) or (calibrated.macro_f1, calibrated.micro_f1) > (
        ngram.macro_f1,
        ngram.micro_f1,
    )
    assert learned.calibrated == better and learned.used
    assert learned.model is not None and learned.model.identity
    if learned.calibrated:
        assert isinstance(learned.model, CalibratedModel)
        assert learned.model.info["kind"] == "calibrated"


def test_labels_that_are_the_rules_own_answers_keep_the_rules() -> None:
    texts, _, scores = shifted()
    texts += [f"Noch ein Beitrag {i}" for i in range(20)]
    scores += [round(-0.045 + 0.0045 * i, 4) for i in range(20)]  # the rules: neutral
    own = [label_for(s) for s in scores]
    learned = learn_sentiment("de", texts, own, scores)
    assert learned.rules is not None and learned.rules.micro_f1 == 1.0
    assert learned.calibrated_cv is not None and learned.model is None


def test_stored_calibration_predicts_as_scikit_learn_and_loads_without_pickles(
    tmp_path: Path,
) -> None:
    from sklearn.linear_model import LogisticRegression

    texts, labels, scores = shifted()
    model = calibration.fit("de", texts, labels, scores, identity="abc")
    path = model_path(tmp_path, "de")
    model.save(path)
    stored = load_model(path)
    assert isinstance(stored, CalibratedModel) and stored.identity == "abc"
    reference = LogisticRegression(C=calibration.C, max_iter=500, solver="newton-cg").fit(
        features(texts, scores), labels
    )
    expected = reference.predict_proba(features(texts, scores))
    assert np.allclose(stored.probabilities(texts, scores), expected, atol=1e-6)
    assert json.loads(path.with_suffix(".json").read_text())["format"] == calibration.FORMAT

    # arrays that hold a pickled object are refused before anything is unpickled
    with path.open("wb") as handle:
        np.savez(handle, coef=np.array([object()], dtype=object), intercept=model.intercept)
    with pytest.raises(ModelError, match="no pickles"):
        load_model(path)
    path.write_bytes(pickle.dumps({"coef": 1}))
    with pytest.raises(ModelError, match=str(path)):
        load_model(path)


def test_a_calibration_whose_arrays_do_not_fit_is_refused(tmp_path: Path) -> None:
    texts, labels, scores = shifted()
    path = model_path(tmp_path, "de")
    calibration.fit("de", texts, labels, scores).save(path)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    meta["features"] = meta["features"][:-1]
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="do not fit"):
        load_model(path)


def test_an_enricher_takes_sentiment_from_a_calibrated_model(tmp_path: Path) -> None:
    from earshot.nlp import Enricher

    texts, labels, scores = shifted()
    path = model_path(tmp_path, "de")
    calibration.fit("de", texts, labels, scores, identity="cal1").save(path)
    plain = Enricher(())
    calibrated = Enricher((), sentiment_models={"de": path})
    assert calibrated.analysis_version != plain.analysis_version
    posts = [("1", "Pünktlich angekommen, danke!", "de"), ("2", "Der Zug fährt um 9", "de")]
    before = [a.sentiment or 0.0 for a in plain.annotate(posts)]
    expected = load_model(path).predict([t for _, t, _ in posts], before)
    got = [(a.sentiment, a.sentiment_label) for a in calibrated.annotate(posts)]
    assert got == expected
