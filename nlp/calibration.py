"""The rules, calibrated: a small sentiment model where an n-gram model is not yet possible.

A multinomial logistic regression over the rules' own few features (their score, its
strength, the rules' class, the text's length, whether it asks and how it exclaims): a
handful of weights per class, with the class priors learned from the labels, that moves the
rules' fixed thresholds to where the organisation's labels put them. It goes through the
same gate as the n-gram model (`nlp.learn.learn_sentiment`: used only where it beats the
rules in cross-validation) from `MIN_PER_CLASS` labels of each class, and is stored as plain
arrays (`.npz`, read with `allow_pickle=False`) and JSON; prediction is numpy.

Measured (5-fold CV, `nlp.evaluate --learned`): English tweets, all 4,200 labels, macro-F1
.725 / micro-F1 .815 against the rules' .702 / .808; German (GermEval 2017 dev) .451 / .732
against .509 / .722, so there the rules stay (their thresholds already sit where the German
labels put them: the best two thresholds on all labels reach macro-F1 .510).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from earshot.nlp.ngram_features import words_of
from earshot.nlp.sentiment_model import LABELS, ModelError, scored_labels

VERSION = "1"  # bump when the features or the prediction change: part of a model's identity
FORMAT = "earshot-sentiment-calibrated/1"
FEATURES = (
    "score",  # the rules' score in [-1, 1]
    "strength",  # its absolute value
    "rules_positive",  # the rules' class (`sentiment.label_for`'s thresholds)
    "rules_negative",
    "log_words",  # ln(1 + words): long texts collect stray lexicon hits
    "question",  # holds a "?"
    "exclamations",  # "!" count, at most 3
)
# Labels of each class from which it is cross-validated: as many as the n-gram model needs.
# Fewer let the gate's CV noise through (English tweets, 50 labels, 10 seeds: from 5 of each
# class the models in use averaged macro-F1 .691, from 10 .695, against the rules' .703).
MIN_PER_CLASS = 20
C = 1.0  # inverse regularisation strength (English tweets, CV: 1 and 10 alike, 0.1 lower)
_POSITIVE, _NEGATIVE = 0.05, -0.05  # `sentiment.label_for`'s thresholds


def features(texts: Sequence[str], lexicon_scores: Sequence[float]) -> np.ndarray:
    """(texts x `FEATURES`) of the texts and the rules' scores of them."""
    s = np.asarray(lexicon_scores, dtype=np.float64)
    words = np.fromiter((len(words_of(t)) for t in texts), dtype=np.float64, count=len(texts))
    asks = np.fromiter(("?" in t for t in texts), dtype=np.float64, count=len(texts))
    exclaims = np.fromiter(
        (min(t.count("!"), 3) for t in texts), dtype=np.float64, count=len(texts)
    )
    return np.column_stack(
        [s, np.abs(s), s > _POSITIVE, s < _NEGATIVE, np.log1p(words), asks, exclaims]
    ).astype(np.float64)


@dataclass(frozen=True, slots=True)
class CalibratedModel:
    """A trained calibration of the rules as plain data, and the numpy prediction over it."""

    lang: str
    classes: tuple[str, ...]
    coef: np.ndarray  # (n_classes, len(FEATURES))
    intercept: np.ndarray  # (n_classes,)
    identity: str
    info: dict[str, Any] = field(default_factory=dict)  # labels, figures: for people

    def probabilities(self, texts: Sequence[str], lexicon_scores: Sequence[float]) -> np.ndarray:
        """(n_texts, n_classes) class probabilities, as the trained regression gives them."""
        return features_probabilities(self, features(texts, lexicon_scores))

    def predict(
        self, texts: Sequence[str], lexicon_scores: Sequence[float]
    ) -> list[tuple[float, str]]:
        """(score in [-1, 1] = P(positive) - P(negative), label) per text."""
        return scored_labels(self.probabilities(texts, lexicon_scores), self.classes)

    def save(self, npz_path: Path) -> None:
        """`<name>.npz` (arrays) and `<name>.json` beside it; renamed into place, JSON last."""
        npz_path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "lang": self.lang,
            "classes": list(self.classes),
            "features": list(FEATURES),
            "identity": self.identity,
            "info": self.info,
        }
        tmp_npz = npz_path.with_name(npz_path.name + ".tmp.npz")
        with tmp_npz.open("wb") as handle:
            np.savez(handle, coef=self.coef, intercept=self.intercept)
        json_path = npz_path.with_suffix(".json")
        tmp_json = json_path.with_name(json_path.name + ".tmp")
        tmp_json.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        tmp_npz.replace(npz_path)
        tmp_json.replace(json_path)


def read(npz_path: Path, meta: dict[str, Any]) -> CalibratedModel:
    """The model of a `.npz` whose description (`meta`, its `.json`) says it is calibrated."""
    try:
        with np.load(npz_path, allow_pickle=False) as arrays:
            coef, intercept = (np.array(arrays[k]) for k in ("coef", "intercept"))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(
            f"{npz_path}: not a model's arrays (plain .npz, no pickles): {exc}"
        ) from None
    classes = tuple(str(c) for c in meta.get("classes", ()))
    if (
        tuple(meta.get("features", ())) != FEATURES
        or set(classes) != set(LABELS)
        or any(a.dtype != np.float64 for a in (coef, intercept))
        or coef.shape != (len(classes), len(FEATURES))
        or intercept.shape != (len(classes),)
    ):
        raise ModelError(f"{npz_path}: arrays do not fit the calibrated model's description")
    return CalibratedModel(
        lang=str(meta.get("lang", "")),
        classes=classes,
        coef=coef,
        intercept=intercept,
        identity=str(meta["identity"]),
        info=dict(meta.get("info") or {}),
    )


def model_identity(lang: str, texts: Sequence[str], labels: Sequence[str], code: str) -> str:
    """A hash of the labels, the features and the code version: the model's identity."""
    digest = hashlib.sha256()
    header = {"lang": lang, "kind": "calibrated", "features": FEATURES, "c": C}
    header |= {"code": code, "version": VERSION}
    digest.update(json.dumps(header, sort_keys=True).encode())
    for text, label in sorted(zip(texts, labels, strict=True)):
        digest.update(f"{len(text)}:{text}{label}\0".encode())
    return digest.hexdigest()[:16]


def fit(
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    *,
    identity: str = "",
) -> CalibratedModel:
    """Train on all of the texts (scikit-learn's multinomial logistic regression)."""
    return _fit(lang, features(texts, lexicon_scores), labels, identity)


def _fit(lang: str, x: np.ndarray, labels: Sequence[str], identity: str) -> CalibratedModel:
    from sklearn.linear_model import LogisticRegression

    # newton-cg: 8 iterations on the tweets where lbfgs takes 62 (0.04 s against 0.11 s)
    regression = LogisticRegression(C=C, max_iter=500, solver="newton-cg")
    regression.fit(x, list(labels))
    return CalibratedModel(
        lang=lang,
        classes=tuple(str(c) for c in regression.classes_),
        coef=np.asarray(regression.coef_, dtype=np.float64),
        intercept=np.asarray(regression.intercept_, dtype=np.float64),
        identity=identity,
    )


def held_out_predictions(
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    *,
    folds: int,
    seed: int = 0,
) -> list[str]:
    """Each text's class from the model of the stratified fold that held it out (the same
    folds as `nlp.learn.held_out_probabilities` with the same seed)."""
    from sklearn.model_selection import StratifiedKFold

    gold = np.asarray(labels)
    x = features(texts, lexicon_scores)  # once: a text's features are its own
    predicted = np.empty(len(labels), dtype=object)
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(gold, gold)
    for train, test in splits:
        model = _fit("", x[train], gold[train].tolist(), "")
        probabilities = features_probabilities(model, x[test])
        predicted[test] = [model.classes[int(k)] for k in probabilities.argmax(axis=1)]
    return [str(p) for p in predicted]


def features_probabilities(model: CalibratedModel, x: np.ndarray) -> np.ndarray:
    """`CalibratedModel.probabilities` of rows of `features` already made."""
    out = x @ model.coef.T + model.intercept
    out -= out.max(axis=1, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out
