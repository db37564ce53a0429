"""How much a label of a text would teach: uncertainty of the sentiment the models (or rules) give.

A text's uncertainty is one minus the margin between the two most probable classes (1: a coin
toss, 0: sure) of the language's learned model; while no model is in use (too few labels, or
it does not beat the rules yet), of a provisional one trained on the labels so far, once each
class has `PROVISIONAL_MIN` labels (it judges only what to ask; it never tags a post).
Before that, it is the rules' score's closeness to the class boundaries of
`sentiment.label_for`, the texts the rules put in the class that lacks most labels first.
On the GermEval dev set (`bench/learning_curve.py`) the provisional model is what makes the
queue beat random choice: the rules' closeness alone asks about few positive posts.
The choice among uncertain texts (spread over topics and weeks) is the warehouse's
`warehouse.teach.choose`; this module only scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from earshot.nlp.learn import (
    LABELS,
    MIN_PER_CLASS,
    FeatureSettings,
    RuleScores,
    SentimentModel,
    fit,
)
from earshot.nlp.sentiment import label_for

# the scores where `label_for` changes its answer: neutral lies between them
BOUNDARIES = (-0.05, 0.05)
PROVISIONAL_MIN = 3  # labels of each class from which a provisional model judges
# with no model: how far from a boundary a rules' score may be and still count as unsure
_RULES_SPREAD = 0.5


def margin_uncertainty(probabilities: np.ndarray) -> np.ndarray:
    """1 - (largest - second largest class probability), per row of (texts x classes)."""
    top = np.sort(probabilities, axis=1)
    return 1.0 - (top[:, -1] - top[:, -2])


def rules_uncertainty(
    lexicon_scores: Sequence[float], labelled: Mapping[str, int] | None = None
) -> np.ndarray:
    """Closeness of the rules' scores to the nearest class boundary, in [0, 1].

    `labelled`: the language's labels per class. A text the rules put in a class still short
    of `MIN_PER_CLASS` labels gets the number of labels missing added, so the class that
    lacks most comes first, and within a class the texts nearest a boundary.
    """
    scores = np.asarray(lexicon_scores, dtype=np.float64)
    distance = np.min(np.abs(scores[:, None] - np.asarray(BOUNDARIES)[None, :]), axis=1)
    closeness = 1.0 - np.minimum(distance / _RULES_SPREAD, 1.0)
    if labelled:
        missing = {c: max(MIN_PER_CLASS - labelled.get(c, 0), 0) for c in LABELS}
        closeness += np.fromiter(
            (missing[label_for(float(s))] for s in scores), dtype=np.float64, count=len(scores)
        )
    return closeness


def uncertainty(
    lexicon_scores: Sequence[float],
    texts: Sequence[str],
    model: SentimentModel | None,
    labelled: Mapping[str, int] | None = None,
) -> np.ndarray:
    """Per text: how much its sentiment label would teach (higher: more)."""
    if not texts:
        return np.zeros(0)
    if model is None:
        return rules_uncertainty(lexicon_scores, labelled)
    return margin_uncertainty(model.probabilities(texts, lexicon_scores))


def judging_model(
    model: SentimentModel | None,
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
) -> SentimentModel | None:
    """The model in use, else one trained on these labels (no cross-validation) when each
    class has `PROVISIONAL_MIN` of them, else None (the rules judge)."""
    if model is not None:
        return model
    if any(sum(1 for g in labels if g == c) < PROVISIONAL_MIN for c in LABELS):
        return None
    return fit(lang, texts, labels, lexicon_scores, FeatureSettings())[0]


class RelevanceLabelled(Protocol):
    """A topic's relevance labels (`warehouse.teach.RelevanceLabels` is one)."""

    @property
    def texts(self) -> Sequence[str]: ...
    @property
    def relevant(self) -> Sequence[bool]: ...
    @property
    def matched_terms(self) -> Sequence[Sequence[str]]: ...


class Judge:
    """The languages' rules and learned models, asked how uncertain they are about texts.

    What `warehouse.teach.teach_queue` (and Explore) takes as its `judge`. `labelled`: the
    sentiment labels per language as (texts, labels), for the provisional models.
    """

    def __init__(
        self,
        rules: Mapping[str, RuleScores],
        models: Mapping[str, SentimentModel],
        labelled: Mapping[str, tuple[Sequence[str], Sequence[str]]] | None = None,
        relevance: Mapping[str, SentimentModel] | None = None,
        relevance_labelled: Mapping[str, RelevanceLabelled] | None = None,
    ) -> None:
        self.rules = dict(rules)
        self.models = dict(models)
        self.labelled = dict(labelled or {})
        # per topic: the relevance model's core in use, and the topic's relevance labels
        self.relevance: dict[str, SentimentModel | None] = dict(relevance or {})
        self.relevance_labelled = dict(relevance_labelled or {})

    def uncertainty(
        self, lang: str, texts: Sequence[str], labelled: Mapping[str, int]
    ) -> Sequence[float]:
        """Uncertainty per text of `lang`; -1 (nothing to teach) for a language without
        rules' sentiment, since no model is learned for it."""
        scorer = self.rules.get(lang)
        if scorer is None or not scorer.rated:
            return [-1.0] * len(texts)
        model = self.models.get(lang)
        if model is None and lang in self.labelled:
            taught, labels = self.labelled[lang]
            model = judging_model(None, lang, taught, labels, scorer.scores(taught))
            if model is not None:
                self.models[lang] = model  # asked again (another page of Explore): reused
        return uncertainty(scorer.scores(texts), texts, model, labelled).tolist()

    def relevance_topics(self) -> list[str]:
        """The topics with a relevance model, or `PROVISIONAL_MIN` labels of each verdict."""
        enough = [
            t
            for t, given in self.relevance_labelled.items()
            if min(sum(given.relevant), len(given.relevant) - sum(given.relevant))
            >= PROVISIONAL_MIN
        ]
        return sorted({t for t, core in self.relevance.items() if core is not None} | set(enough))

    def relevance_uncertainty(
        self, topic_id: str, texts: Sequence[str], matched_terms: Sequence[Sequence[str]]
    ) -> Sequence[float]:
        """Uncertainty per match of `topic_id`; -1 (not asked) for a topic without a model
        and too few labels for a provisional one."""
        if topic_id not in self.relevance:
            given = self.relevance_labelled.get(topic_id)
            self.relevance[topic_id] = (
                None
                if given is None
                else judging_relevance(None, given.texts, given.relevant, given.matched_terms)
            )
        core = self.relevance[topic_id]
        if core is None:
            return [-1.0] * len(texts)
        return relevance_uncertainty(core, texts, matched_terms).tolist()


def relevance_uncertainty(
    core: SentimentModel | None, texts: Sequence[str], matched_terms: Sequence[Sequence[str]]
) -> np.ndarray:
    """Per match: how much its relevance label would teach, by the margin of a relevance
    model's core (`nlp.relevance.RelevanceModel.core`, or a provisional one). Without one,
    the matches of fewest distinct terms first (the rules' weakest evidence)."""
    from earshot.nlp.relevance import model_text, rules_score

    scores = [rules_score(m) for m in matched_terms]
    if core is None:
        return 1.0 / (1.0 + np.asarray(scores, dtype=np.float64))
    inputs = [model_text(t, m) for t, m in zip(texts, matched_terms, strict=True)]
    return margin_uncertainty(core.probabilities(inputs, scores))


def judging_relevance(
    model_core: SentimentModel | None,
    texts: Sequence[str],
    relevant: Sequence[bool],
    matched_terms: Sequence[Sequence[str]],
) -> SentimentModel | None:
    """The relevance model in use (its core), else a provisional one from `PROVISIONAL_MIN`
    labels of each verdict (trained as `nlp.relevance` trains, no CV), else None."""
    from earshot.nlp.relevance import (
        IRRELEVANT,
        RELEVANT,
        SETTINGS,
        _two_classes,
        model_text,
        rules_score,
    )

    if model_core is not None:
        return model_core
    if min(sum(relevant), len(relevant) - sum(relevant)) < PROVISIONAL_MIN:
        return None
    inputs = [model_text(t, m) for t, m in zip(texts, matched_terms, strict=True)]
    names = [RELEVANT if r else IRRELEVANT for r in relevant]
    core = fit("", inputs, names, [rules_score(m) for m in matched_terms], SETTINGS)[0]
    return _two_classes(core)  # scikit-learn's one row of weights as a softmax of two
