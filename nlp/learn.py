"""Learned sentiment: a model per language trained on the organisation's labels.

scikit-learn trains it (word and character n-gram TF-IDF, `nlp.ngram_features`, plus the
lexicon score, into a multinomial logistic regression) and cross-validates it against the rules
on the same labels, beside the rules calibrated (`nlp.calibration`, a handful of weights over the
rules' features). A model is kept only where it beats the rules; of the two, the better in
cross-validation. What is kept is the plain-data `SentimentModel` (`nlp.sentiment_model`): no
scikit-learn object is ever pickled.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from earshot.nlp.ngram_features import Features, FeatureSettings
from earshot.nlp.sentiment_model import (
    LABELS,
    SentimentModel,
    SentimentPredictor,
    model_identity,
)

MIN_PER_CLASS = 20  # labels of each class below which no model is trained
FOLDS = 5


@dataclass(frozen=True, slots=True)
class Figures:
    """Macro-F1, micro-F1 and F1 per class of predictions against the labels."""

    macro_f1: float
    micro_f1: float
    per_class: dict[str, float]

    @classmethod
    def of(cls, gold: Sequence[str], predicted: Sequence[str]) -> Figures:
        per_class: dict[str, float] = {}
        for label in LABELS:
            tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
            fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label != g)
            fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label != p)
            per_class[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        micro = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / max(len(gold), 1)
        return cls(sum(per_class.values()) / len(LABELS), micro, per_class)

    def beats(self, other: Figures) -> bool:
        """Better macro-F1 and no worse micro-F1: never silently worse on either."""
        return self.macro_f1 > other.macro_f1 and self.micro_f1 >= other.micro_f1


def fit(
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    settings: FeatureSettings,
    *,
    identity: str = "",
    counted: tuple[Any, Sequence[str]] | None = None,
) -> tuple[SentimentModel, Any]:
    """Train on all of the texts; (the stored model, the in-memory (features, regression)).

    `counted`: the texts' `Features.count`, when already made. The second part of the result
    is only for tests; it is never saved.
    """
    from sklearn.linear_model import LogisticRegression

    features = Features(settings)
    counts, names = counted if counted is not None else features.count(texts)
    x = features.fit_counts(counts, names, lexicon_scores)
    regression = LogisticRegression(
        C=settings.c,
        max_iter=500,
        class_weight=settings.class_weight,
        solver="newton-cg",
        tol=settings.tol,
    )
    regression.fit(x, list(labels))
    model = SentimentModel(
        lang=lang,
        classes=tuple(str(c) for c in regression.classes_),
        vocabulary=tuple(features.vocabulary),
        idf=np.asarray(features.idf, dtype=np.float64),
        coef=np.asarray(regression.coef_, dtype=np.float64),
        intercept=np.asarray(regression.intercept_, dtype=np.float64),
        settings=settings,
        identity=identity,
    )
    return model, (features, regression)


def sklearn_probabilities(
    fitted: Any, texts: Sequence[str], lexicon_scores: Sequence[float]
) -> np.ndarray:
    """The in-memory scikit-learn regression's probabilities (what a stored model must equal)."""
    features, regression = fitted
    return np.asarray(regression.predict_proba(features.transform(texts, lexicon_scores)))


@dataclass(frozen=True, slots=True)
class Learned:
    """What learning one language's sentiment gave: the figures, and the model if it is used."""

    lang: str
    counts: dict[str, int]  # labels per class
    rules: Figures | None
    model_cv: Figures | None  # the n-gram model's; None: too few labels
    model: SentimentPredictor | None  # set only when it beat the rules
    seconds: float
    needs: dict[str, int]  # class -> labels still missing for an n-gram model
    # the rules calibrated (`nlp.calibration`); None: fewer than its `MIN_PER_CLASS`
    calibrated_cv: Figures | None = None

    @property
    def used(self) -> bool:
        return self.model is not None

    @property
    def calibrated(self) -> bool:
        """The model in use is the rules calibrated, not an n-gram model."""
        from earshot.nlp.calibration import CalibratedModel

        return isinstance(self.model, CalibratedModel)


def held_out_probabilities(
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    settings: FeatureSettings,
    *,
    counted: tuple[Any, list[str]],
    folds: int = FOLDS,
    seed: int = 0,
    pool: ThreadPoolExecutor | None = None,
) -> tuple[list[str], np.ndarray]:
    """Each text's class probabilities from the model (`fit`) of the stratified fold that held
    it out, and the classes in column order (sorted). `counted`: `Features.count` of `texts`,
    which each fold's rows are taken from; the held-out rows are weighed as the model would
    weigh them (the same figures as `SentimentModel.predict`, tests/nlp check it), without
    counting again. With `pool`, the folds train in its threads."""
    from sklearn.model_selection import StratifiedKFold

    matrix, names = counted
    gold = np.asarray(labels)
    classes = sorted(set(labels))
    probabilities = np.zeros((len(labels), len(classes)))

    def fold(train: np.ndarray, test: np.ndarray) -> None:
        _, (features, regression) = fit(
            lang,
            [texts[i] for i in train],
            gold[train].tolist(),
            [lexicon_scores[i] for i in train],
            settings,
            counted=(matrix[train], names),
        )
        held_out = features.weigh(matrix[test][:, features.kept], [lexicon_scores[i] for i in test])
        columns = [list(regression.classes_).index(c) for c in classes]
        probabilities[test] = regression.predict_proba(held_out)[:, columns]

    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(gold, gold)
    if pool is None:
        for train, test in splits:
            fold(train, test)
    else:
        for done in [pool.submit(fold, train, test) for train, test in splits]:
            done.result()
    return classes, probabilities


def learn_sentiment(
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    *,
    settings: FeatureSettings | None = None,
    code: str = "",
    folds: int = FOLDS,
    seed: int = 0,
    jobs: int = 2,
) -> Learned:
    """Cross-validate the models against the rules on these labels; train the one in use on
    all of them: of the n-gram model (from `MIN_PER_CLASS` labels of each class) and the
    rules calibrated (`nlp.calibration`, from its own `MIN_PER_CLASS`), the better in CV
    (macro-F1, then micro-F1; the n-gram model on a tie) of those that beat the rules.

    `lexicon_scores` are the rules' scores of the texts (the same the Enricher computes);
    the rules' labels follow from them. `code` is the version of everything else the model
    relies on (the rules' scoring): it goes into the identity. `jobs`: threads training
    the folds (2 cores: 2).
    """
    from earshot.nlp import calibration
    from earshot.nlp.sentiment import label_for

    settings = settings or FeatureSettings()
    start = time.perf_counter()
    counts = {label: sum(1 for g in labels if g == label) for label in LABELS}
    rules = Figures.of(labels, [label_for(s) for s in lexicon_scores]) if labels else None
    needs = {label: MIN_PER_CLASS - n for label, n in counts.items() if n < MIN_PER_CLASS}
    calibrated_cv: Figures | None = None
    if min(counts.values()) >= calibration.MIN_PER_CLASS:
        calibrated_cv = Figures.of(
            list(labels),
            calibration.held_out_predictions(texts, labels, lexicon_scores, folds=folds, seed=seed),
        )
    if needs:
        small = _calibrated(lang, texts, labels, lexicon_scores, code, rules, calibrated_cv)
        if small is not None:
            small.info.update({"labels": counts, "folds": folds})
        seconds = time.perf_counter() - start
        return Learned(lang, counts, rules, None, small, seconds, needs, calibrated_cv)
    # scikit-learn imported here, before the threads: two threads importing it at once can
    # meet it half-initialised
    import sklearn.linear_model
    import sklearn.model_selection  # noqa: F401

    matrix, names = Features(settings).count(texts)
    identity = model_identity(lang, texts, labels, settings, code)

    def whole() -> SentimentModel:
        return fit(
            lang,
            texts,
            labels,
            lexicon_scores,
            settings,
            identity=identity,
            counted=(matrix, names),
        )[0]

    # The folds and the model on all labels in `jobs` threads: the solver's sparse products
    # release the GIL. The whole model is trained beside the folds, not after them, and
    # dropped when the folds say it does not beat the rules (wall time over CPU time).
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        candidate = pool.submit(whole)
        classes, probabilities = held_out_probabilities(
            lang, texts, labels, lexicon_scores, settings,
            counted=(matrix, names), folds=folds, seed=seed, pool=pool,
        )  # fmt: skip
        predicted = [classes[i] for i in probabilities.argmax(axis=1)]
        cv = Figures.of(list(labels), predicted)
        ngram_wins = cv.beats(rules or cv) and not (
            calibrated_cv is not None
            and calibrated_cv.beats(rules or calibrated_cv)
            and (calibrated_cv.macro_f1, calibrated_cv.micro_f1) > (cv.macro_f1, cv.micro_f1)
        )
        ngram = candidate.result() if ngram_wins else None
        if ngram is None:
            candidate.cancel()
    chosen: SentimentPredictor | None = ngram
    if ngram is None:
        chosen = _calibrated(lang, texts, labels, lexicon_scores, code, rules, calibrated_cv)
    else:
        ngram.info.update({"cv": asdict(cv), "rules": asdict(rules) if rules else None})
    if chosen is not None:
        chosen.info.update({"labels": counts, "folds": folds})
    seconds = time.perf_counter() - start
    return Learned(lang, counts, rules, cv, chosen, seconds, {}, calibrated_cv)


def _calibrated(
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    code: str,
    rules: Figures | None,
    cv: Figures | None,
) -> SentimentPredictor | None:
    """The rules calibrated, trained on all labels, when its CV figures beat the rules'."""
    from earshot.nlp import calibration

    if cv is None or rules is None or not cv.beats(rules):
        return None
    identity = calibration.model_identity(lang, texts, labels, code)
    model = calibration.fit(lang, texts, labels, lexicon_scores, identity=identity)
    model.info.update({"kind": "calibrated", "cv": asdict(cv), "rules": asdict(rules)})
    return model


class Saving(Protocol):
    def save(self, npz_path: Path) -> None: ...


def keep_model(model: Saving | None, npz_path: Path) -> None:
    """Put the model learning chose at `npz_path`, or, when it chose none (the rules stay),
    take the one there out of use."""
    if model is not None:
        model.save(npz_path)
    else:
        remove_model(npz_path)


def remove_model(npz_path: Path) -> None:
    """Take a model out of use: remove its files (no error when there are none)."""
    npz_path.with_suffix(".json").unlink(missing_ok=True)
    npz_path.unlink(missing_ok=True)
