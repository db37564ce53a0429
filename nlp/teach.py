"""How much a label of a text would teach: the teach queue's judgement of texts.

A text's uncertainty is one minus the margin between the two most probable classes (1: a coin
toss, 0: sure) of the language's learned model; while no model is in use (too few labels, or
it does not beat the rules yet), of a provisional one trained on the labels so far, once each
class has `PROVISIONAL_MIN` labels (it judges only what to ask; it never tags a post).
Before that, it is the rules' score's closeness to the class boundaries of
`sentiment.label_for`, the texts the rules put in the class that lacks most labels first.
While a class has fewer than `BALANCE_UNTIL` labels, `Judgement.short` also marks the texts
likeliest of it (GermEval: 6% positive; uncertainty alone asks about few of them), and
`nlp.likeness.Likeness` tells near-duplicates apart. Which of them are asked (a share for each kind,
spread over topics and weeks) is the warehouse's `warehouse.teach_choice.choose`; this module only
judges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from earshot.nlp.learn import MIN_PER_CLASS, fit
from earshot.nlp.likeness import Likeness
from earshot.nlp.ngram_features import FeatureSettings
from earshot.nlp.rule_scores import RuleScores
from earshot.nlp.sentiment import label_for
from earshot.nlp.sentiment_model import LABELS, SentimentModel, SentimentPredictor

# the scores where `label_for` changes its answer: neutral lies between them
BOUNDARIES = (-0.05, 0.05)
PROVISIONAL_MIN = 3  # labels of each class from which a provisional model judges
# While the class with fewest labels has fewer than this, the queue also asks about texts
# likeliest of it (`Judgement.short`): enough of each class for a model (`MIN_PER_CLASS`)
# and a margin, since a model is used only where it beats the rules in cross-validation.
BALANCE_UNTIL = MIN_PER_CLASS + 10
# ... at random among this share of the candidates, the likeliest of that class. Narrower
# pools find more of the class but fewer typical ones (GermEval, 200 labels: asking among
# all that the provisional model put in the class gave a model that passed cross-validation
# on those labels and lost to the rules on held-out posts, macro-F1 .467 against .530;
# the most likely first, .446 against random's .510 on the posts not yet labelled).
BALANCE_POOL = 0.25
# with no model: how far from a boundary a rules' score may be and still count as unsure
_RULES_SPREAD = 0.5


def margin_uncertainty(probabilities: np.ndarray) -> np.ndarray:
    """1 - (largest - second largest class probability), per row of (texts x classes)."""
    top = np.sort(probabilities, axis=1)
    return 1.0 - (top[:, -1] - top[:, -2])


@dataclass(frozen=True, slots=True)
class Judgement:
    """Per text: how much its label would teach (`uncertainty`, higher: more; below 0:
    nothing to teach), and whether it is among the likeliest of the class that lacks labels
    (`short`: all False once each class has `BALANCE_UNTIL`)."""

    uncertainty: list[float]
    short: list[bool]


def short_class(labelled: Mapping[str, int], classes: Sequence[str]) -> str | None:
    """The class with fewest labels while it has fewer than `BALANCE_UNTIL`, else None."""
    fewest = min(classes, key=lambda c: (labelled.get(c, 0), classes.index(c)))
    return fewest if labelled.get(fewest, 0) < BALANCE_UNTIL else None


def likeliest(likelihood: np.ndarray) -> list[bool]:
    """The `BALANCE_POOL` share of texts with the highest likelihood (ties at the cut too)."""
    if not len(likelihood):
        return []
    cut = np.quantile(likelihood, 1.0 - BALANCE_POOL)
    return (likelihood >= cut).tolist()


def judgement(
    lexicon_scores: Sequence[float],
    texts: Sequence[str],
    model: SentimentPredictor | None,
    labelled: Mapping[str, int] | None = None,
) -> Judgement:
    """`uncertainty`, and which texts are likeliest of the class short of labels: by the
    model's probability of it, else by the rules' class (nearest a boundary first)."""
    if not texts:
        return Judgement([], [])
    counts = labelled or {}
    short = short_class(counts, LABELS)
    if model is None:
        told = rules_uncertainty(lexicon_scores, counts)
        if short is None:
            return Judgement(told.tolist(), [False] * len(texts))
        closeness = rules_uncertainty(lexicon_scores)
        likelihood = (
            np.fromiter((label_for(float(s)) == short for s in lexicon_scores), dtype=np.float64)
            + 0.01 * closeness
        )
        return Judgement(told.tolist(), likeliest(likelihood))
    probabilities = model.probabilities(texts, lexicon_scores)
    told = margin_uncertainty(probabilities)
    if short is None:
        return Judgement(told.tolist(), [False] * len(texts))
    return Judgement(told.tolist(), likeliest(probabilities[:, model.classes.index(short)]))


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
    model: SentimentPredictor | None,
    labelled: Mapping[str, int] | None = None,
) -> np.ndarray:
    """Per text: how much its sentiment label would teach (higher: more)."""
    if not texts:
        return np.zeros(0)
    if model is None:
        return rules_uncertainty(lexicon_scores, labelled)
    return margin_uncertainty(model.probabilities(texts, lexicon_scores))


def judging_model(
    model: SentimentPredictor | None,
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
) -> SentimentPredictor | None:
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
        models: Mapping[str, SentimentPredictor],
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
        return self.judge(lang, texts, labelled).uncertainty

    def judge(self, lang: str, texts: Sequence[str], labelled: Mapping[str, int]) -> Judgement:
        """`judgement` of texts of `lang`: uncertainty -1 (nothing to teach) for a language
        without rules' sentiment, since no model is learned for it."""
        scorer = self.rules.get(lang)
        if scorer is None or not scorer.rated:
            return Judgement([-1.0] * len(texts), [False] * len(texts))
        model = self.models.get(lang)
        if model is None and lang in self.labelled:
            taught, labels = self.labelled[lang]
            model = judging_model(None, lang, taught, labels, scorer.scores(taught))
            if model is not None:
                self.models[lang] = model  # asked again (another page of Explore): reused
        return judgement(scorer.scores(texts), texts, model, labelled)

    def near_duplicates(self, texts: Sequence[str]) -> Likeness:
        """Which of these texts are near-duplicates (`Likeness.too_close`)."""
        return Likeness(texts)

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
        return self.relevance_judge(topic_id, texts, matched_terms).uncertainty

    def relevance_judge(
        self, topic_id: str, texts: Sequence[str], matched_terms: Sequence[Sequence[str]]
    ) -> Judgement:
        """`relevance_judgement` of matches of `topic_id`; uncertainty -1 (not asked) for a
        topic without a model and too few labels for a provisional one."""
        given = self.relevance_labelled.get(topic_id)
        if topic_id not in self.relevance:
            self.relevance[topic_id] = (
                None
                if given is None
                else judging_relevance(None, given.texts, given.relevant, given.matched_terms)
            )
        core = self.relevance[topic_id]
        if core is None:
            return Judgement([-1.0] * len(texts), [False] * len(texts))
        return relevance_judgement(
            core, texts, matched_terms, verdicts(given.relevant if given else ())
        )


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


def verdicts(relevant: Sequence[bool]) -> dict[str, int]:
    """Relevance labels per verdict (`nlp.relevance.CLASSES`)."""
    from earshot.nlp.relevance import IRRELEVANT, RELEVANT

    yes = sum(1 for r in relevant if r)
    return {RELEVANT: yes, IRRELEVANT: len(relevant) - yes}


def relevance_judgement(
    core: SentimentModel | None,
    texts: Sequence[str],
    matched_terms: Sequence[Sequence[str]],
    labelled: Mapping[str, int],
) -> Judgement:
    """`relevance_uncertainty`, and which matches are likeliest of the verdict short of
    labels (`labelled`: per verdict, `verdicts`): by the model's probability of it, else
    by the number of distinct terms matched (fewest first for "not relevant")."""
    from earshot.nlp.relevance import CLASSES, RELEVANT, model_text, rules_score

    if not texts:
        return Judgement([], [])
    short = short_class(labelled, CLASSES)
    scores = np.asarray([rules_score(m) for m in matched_terms], dtype=np.float64)
    if core is None:
        told = 1.0 / (1.0 + scores)
        likelihood = scores if short == RELEVANT else -scores
    else:
        inputs = [model_text(t, m) for t, m in zip(texts, matched_terms, strict=True)]
        probabilities = core.probabilities(inputs, scores.tolist())
        told = margin_uncertainty(probabilities)
        likelihood = probabilities[:, core.classes.index(short or RELEVANT)]
    return Judgement(told.tolist(), likeliest(likelihood) if short else [False] * len(texts))


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
