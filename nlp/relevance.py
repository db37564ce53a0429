"""Learned topic relevance: per topic, a model of which of the topic's matches are about it.

The rules say every match is relevant. A relevance model, trained on the organisation's
labels of one topic (`relevant` true/false), judges each match from the post's words and
character n-grams (`nlp.ngram_features`), the terms that matched (one feature per term)
and the rules' score (the number of distinct terms that matched). Cross-validated on the
labels against the rules, it is kept only where it beats them. Stored, like the sentiment
models, as a plain `.npz` (read with `allow_pickle=False`) and JSON; prediction is numpy.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from earshot.nlp import learn, ngram_features, sentiment_model
from earshot.nlp.learn import Figures
from earshot.nlp.ngram_features import FeatureSettings
from earshot.nlp.sentiment_model import SentimentModel

VERSION = "1"  # bump when the features or the prediction change: part of a model's identity
FORMAT = "earshot-relevance-model/1"
RELEVANT, IRRELEVANT = "relevant", "not relevant"
CLASSES = (RELEVANT, IRRELEVANT)
MIN_PER_CLASS = 20  # labels of each class below which no model is trained
THRESHOLD = 0.5  # P(relevant) below which a match is set aside
# Settings chosen by 5-fold CV on the GermEval 2017 dev labels (`nlp.evaluate --learned`).
SETTINGS = FeatureSettings(c=30.0, class_weight=None, lexicon_weight=0.5)
_NOT_WORD = re.compile(r"\W+", re.UNICODE)


def term_feature(term: str) -> str:
    """One word standing for a matched term in the model's text ("Deutsche Bahn" ->
    "earshottermdeutsche_bahn"): its own unigram, never confused with a word of the post."""
    return "earshotterm" + _NOT_WORD.sub("_", term.lower()).strip("_")


def model_text(text: str, matched_terms: Sequence[str]) -> str:
    """The text the n-gram features are taken from: the matched terms' words, then the post."""
    return " ".join([*(term_feature(t) for t in sorted(set(matched_terms))), text])


def rules_score(matched_terms: Sequence[str]) -> float:
    """The rules' evidence for a match: how many distinct terms matched (0: no match)."""
    return float(len(set(matched_terms)))


def binary_figures(gold: Sequence[bool], predicted: Sequence[bool]) -> Figures:
    """Macro-F1, micro-F1 (= accuracy) and F1 per class of relevance verdicts."""
    per_class: dict[str, float] = {}
    for name, value in ((RELEVANT, True), (IRRELEVANT, False)):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == value)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == value != g)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == value != p)
        per_class[name] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    micro = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / max(len(gold), 1)
    return Figures(sum(per_class.values()) / len(CLASSES), micro, per_class)


@dataclass(frozen=True, slots=True)
class RelevanceModel:
    """A topic's trained relevance model: a two-class `SentimentModel` core (the n-gram
    transform and a logistic regression written as a softmax of two classes)."""

    topic_id: str
    core: SentimentModel
    identity: str
    info: dict[str, Any] = field(default_factory=dict)

    def scores(self, texts: Sequence[str], matched_terms: Sequence[Sequence[str]]) -> list[float]:
        """P(relevant) of each match: its post's text and the terms that matched."""
        if not texts:
            return []
        probs = self.core.probabilities(
            [model_text(t, m) for t, m in zip(texts, matched_terms, strict=True)],
            [rules_score(m) for m in matched_terms],
        )
        column = self.core.classes.index(RELEVANT)
        return [round(float(p), 4) for p in probs[:, column]]

    def save(self, npz_path: Path) -> None:
        """`<name>.npz` (arrays) and `<name>.json` beside it; renamed into place, JSON last."""
        extra = {"topic_id": self.topic_id, "identity": self.identity, "info": self.info}
        self.core.save(npz_path, fmt=FORMAT, extra=extra)


def model_path(folder: Path, topic_id: str) -> Path:
    """Where a topic's relevance model lives in the models folder."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", topic_id)
    return folder / f"relevance-{safe}.npz"


def load_model(npz_path: Path) -> RelevanceModel:
    """Read a model saved by `RelevanceModel.save`; `ModelError` for anything else."""
    meta, core = sentiment_model.read_model(npz_path, fmt=FORMAT, what="relevance", classes=CLASSES)
    info = dict(core.info)
    return RelevanceModel(str(meta["topic_id"]), replace(core, info={}), core.identity, info)


# -- training (scikit-learn, through `nlp.learn`) --------------------------------------------


def model_identity(
    topic_id: str,
    texts: Sequence[str],
    relevant: Sequence[bool],
    matched_terms: Sequence[Sequence[str]],
    settings: FeatureSettings,
    code: str,
) -> str:
    """A hash of the labels, the settings and the code version: the model's identity."""
    digest = hashlib.sha256()
    header = {
        "topic": topic_id,
        "settings": settings.to_json(),
        "code": code,
        "version": VERSION,
        "learn": sentiment_model.VERSION,
    }
    digest.update(json.dumps(header, sort_keys=True).encode())
    rows = sorted(
        (t, bool(r), sorted(set(m))) for t, r, m in zip(texts, relevant, matched_terms, strict=True)
    )
    for text, verdict, terms in rows:
        digest.update(f"{len(text)}:{text}{verdict}{terms}\0".encode())
    return digest.hexdigest()[:16]


def _two_classes(model: SentimentModel) -> SentimentModel:
    """scikit-learn's binary regression (one row of weights) as a softmax of two classes:
    softmax(-z/2, z/2) = sigmoid(z), so `SentimentModel.probabilities` computes it."""
    if model.coef.shape[0] == 2:
        return model
    coef = np.vstack([-model.coef / 2.0, model.coef / 2.0])
    intercept = np.concatenate([-model.intercept / 2.0, model.intercept / 2.0])
    return SentimentModel(
        lang=model.lang,
        classes=model.classes,
        vocabulary=model.vocabulary,
        idf=model.idf,
        coef=np.asarray(coef, dtype=np.float64),
        intercept=np.asarray(intercept, dtype=np.float64),
        settings=model.settings,
        identity=model.identity,
    )


@dataclass(frozen=True, slots=True)
class LearnedRelevance:
    """What learning one topic's relevance gave: the figures, and the model if it is used."""

    topic_id: str
    counts: dict[str, int]  # labels per class
    rules: Figures | None
    model_cv: Figures | None  # None: too few labels
    model: RelevanceModel | None  # set only when it beat the rules
    seconds: float
    needs: dict[str, int]  # class -> labels still missing (too few labels)
    # each labelled text's held-out verdict in the cross-validation (empty: too few labels)
    cv_predicted: tuple[bool, ...] = ()

    @property
    def used(self) -> bool:
        return self.model is not None


def learn_relevance(
    topic_id: str,
    texts: Sequence[str],
    relevant: Sequence[bool],
    matched_terms: Sequence[Sequence[str]],
    *,
    settings: FeatureSettings | None = None,
    code: str = "",
    folds: int = learn.FOLDS,
    seed: int = 0,
) -> LearnedRelevance:
    """Cross-validate a model against the rules on one topic's labels; train it on all.

    `matched_terms`: the topic's terms the rules found in each labelled text (empty: none
    found, e.g. the topic was named only in a mention). A relevance label is a verdict on a
    match, so the rules' figure is that of "every match is relevant"; the model judges each
    labelled text as it would judge that match.
    """
    settings = settings or SETTINGS
    start = time.perf_counter()
    gold = [bool(r) for r in relevant]
    counts = {RELEVANT: sum(gold), IRRELEVANT: len(gold) - sum(gold)}
    rules = binary_figures(gold, [True] * len(gold)) if gold else None
    needs = {c: MIN_PER_CLASS - n for c, n in counts.items() if n < MIN_PER_CLASS}
    if needs:
        return LearnedRelevance(
            topic_id, counts, rules, None, None, time.perf_counter() - start, needs
        )
    inputs = [model_text(t, m) for t, m in zip(texts, matched_terms, strict=True)]
    scores = [rules_score(m) for m in matched_terms]
    names = [RELEVANT if g else IRRELEVANT for g in gold]
    counted = ngram_features.Features(settings).count(inputs)
    classes, probabilities = learn.held_out_probabilities(
        "", inputs, names, scores, settings, counted=counted, folds=folds, seed=seed
    )
    predicted = probabilities[:, classes.index(RELEVANT)] >= THRESHOLD
    cv = binary_figures(gold, predicted.tolist())
    chosen: RelevanceModel | None = None
    if rules is not None and cv.beats(rules):
        identity = model_identity(topic_id, texts, gold, matched_terms, settings, code)
        core, _ = learn.fit("", inputs, names, scores, settings, identity=identity, counted=counted)
        chosen = RelevanceModel(topic_id, _two_classes(core), identity)
        chosen.info.update(
            {
                "labels": counts,
                "cv": asdict(cv),
                "rules": asdict(rules),
                "folds": folds,
            }
        )
    return LearnedRelevance(
        topic_id,
        counts,
        rules,
        cv,
        chosen,
        time.perf_counter() - start,
        {},
        tuple(bool(p) for p in predicted),
    )
