"""Lexicon-based sentiment: VADER's rules, our own scorer over spaCy tokens, per language.

The scorer and its spaCy factory; the languages' rules are `nlp.sentiment_rules`, the words'
look-up (lexicon, inflections, emoticons) `nlp.sentiment_words`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from earshot.nlp.lexicon import load_lexicon, packaged_lexicon_path
from earshot.nlp.normalise import TokenView, token_view
from earshot.nlp.sentiment_rules import DEFAULT_RULES, RULES, LanguageRules
from earshot.nlp.sentiment_words import Word, WordReader

VERSION = "3"  # bump (and the factory name) when scoring changes

# VADER's empirically derived constants (Hutto & Gilbert 2014).
CAPS_BOOST = 0.733
NEGATION_SCALAR = -0.74
EXCLAMATION_BOOST = 0.292
ALPHA = 15.0
SHORT_POST = 3  # words
# Contrast ("but", "aber"): what precedes counts half; what follows counts more. VADER uses
# 1.5 for the second part; on tweets and on German posts alike 1.2 correlates better, as
# the second part already carries the post's final word.
CONTRAST_BEFORE = 0.5
CONTRAST_AFTER = 1.2
# The largest valence sum that still scores as neutral (|score| <= 0.05 with ALPHA = 15)
NEUTRAL_TOP = 0.15


def normalise_score(total: float, alpha: float = ALPHA) -> float:
    """VADER's squashing of a valence sum into [-1, 1]."""
    score = total / math.sqrt(total * total + alpha)
    return max(-1.0, min(1.0, score))


def label_for(score: float) -> str:
    if score > 0.05:
        return "positive"
    if score < -0.05:
        return "negative"
    return "neutral"


class SentimentScorer:
    """Sets `doc._.earshot_sentiment` (float in [-1, 1]) and `doc._.earshot_sentiment_label`."""

    def __init__(
        self,
        lexicon: dict[str, float],
        rules: LanguageRules,
        *,
        negation_window: int = 3,
        alpha: float = ALPHA,
    ) -> None:
        self.lexicon = lexicon
        self.rules = rules
        self.negation_window = negation_window
        self.alpha = alpha
        self.reader = WordReader(lexicon, rules)
        # first word of an idiom → the lengths of its idioms worth trying, longest first
        self._idiom_lengths: dict[str, tuple[int, ...]] = {
            first: tuple(
                n for n in (5, 4, 3, 2) if any(p[0] == first and len(p) == n for p in rules.idioms)
            )
            for first in self.reader.idiom_starts
        }
        for name in ("earshot_sentiment", "earshot_sentiment_label"):
            if not Doc.has_extension(name):
                Doc.set_extension(name, default=None)

    def __call__(self, doc: Doc) -> Doc:
        score = self.score_view(token_view(doc))
        doc._.earshot_sentiment = score
        doc._.earshot_sentiment_label = label_for(score)
        return doc

    # -- scoring -------------------------------------------------------------------------
    def score(self, doc: Doc) -> float:
        return self.score_view(token_view(doc))

    def score_view(self, view: TokenView) -> float:
        """The score of a doc's `TokenView`: what the component and the Enricher's fast path use."""
        total, n_words = self.raw_view(view)
        rules = self.rules
        # short posts are all opinion; the band only grows with the words beyond a few
        extra = max(0, n_words - SHORT_POST)
        band = (rules.positive_band if total > 0 else rules.neutral_band) * extra**0.75
        if band > 0.0:
            # Inside the band the post stays neutral but keeps its order (a weak lean still
            # counts for correlation); beyond it the band is taken off, continuously.
            size = abs(total)
            if size <= band:
                size *= NEUTRAL_TOP / band
            else:
                size += NEUTRAL_TOP - band
            total = math.copysign(size, total)
        return normalise_score(total, self.alpha)

    def raw(self, doc: Doc) -> tuple[float, int]:
        """(valence sum with emphasis, number of words) of a doc."""
        return self.raw_view(token_view(doc))

    def raw_view(self, view: TokenView) -> tuple[float, int]:
        """`raw` of a doc's `TokenView`."""
        found = self.reader.read(view)
        words, valences, ends = found.words, found.valences, found.ends
        if not words:
            return 0.0, 0
        rules = self.rules
        if rules.compound_tail:
            for i, w in enumerate(words):
                if valences[i] == 0.0 and w.text[:1].isupper():
                    valences[i] = self.reader.compound_valence(w.key)
        if found.idioms:
            self._idioms(words, valences, found.idioms)
        if not any(valences):
            return 0.0, len(words)
        negators = rules.negators
        last = len(words) - 1
        for i in found.boosters:
            # "so good": a booster; "Damn!" or "Super." on its own: a word with its own valence
            if i < last and valences[i + 1] != 0.0 and not ends[i]:
                valences[i] = 0.0
        cap_diff = 0 < found.caps < len(words)
        sentiments = [0.0] * len(words)
        window = self.negation_window
        for i in [i for i, v in enumerate(valences) if v != 0.0]:  # words without valence: 0.0
            word = words[i]
            if (
                word.negated
                and not ends[i]
                and any(valences[j] != 0.0 for j in range(i + 1, min(len(words), i + 1 + window)))
            ):
                continue  # "no problems": the negator negates its neighbour, not itself
            value = valences[i]
            if cap_diff and word.upper:
                value += CAPS_BOOST if value > 0 else -CAPS_BOOST
            for distance in range(1, window + 1):
                j = i - distance
                if j < 0:
                    break
                prev = words[j]
                if ends[j]:
                    break  # negation and boosting stay inside their clause
                if valences[j] != 0.0 and not prev.negated:
                    break  # a sentiment word between: "don't care, don't care" negates once each
                if prev.negated:
                    value *= NEGATION_SCALAR
                elif valences[j] == 0.0 and prev.booster is not None:
                    scalar = prev.booster
                    if value < 0:
                        scalar = -scalar
                    if cap_diff and prev.upper:
                        scalar += CAPS_BOOST if value > 0 else -CAPS_BOOST
                    value += scalar * (1.0, 0.95, 0.9)[min(distance - 1, 2)]
            if rules.final_negators and not ends[i]:
                # German verb-second: "Das gefällt mir nicht." negates from behind
                for j in range(i + 1, min(len(words), i + 1 + window)):
                    if valences[j] != 0.0 and words[j].key not in negators:
                        break
                    if words[j].key in rules.final_negators and ends[j]:
                        value *= NEGATION_SCALAR
                        break
            sentiments[i] = value
        pivot = found.pivot
        if pivot >= 0:
            # contrast ("but", "aber"): what precedes counts less, what follows more
            for i in range(len(sentiments)):
                if i < pivot:
                    sentiments[i] *= CONTRAST_BEFORE
                elif i > pivot:
                    sentiments[i] *= CONTRAST_AFTER
        total = sum(sentiments)
        if total:
            text = view.text
            emphasis = min(text.count("!"), 4) * EXCLAMATION_BOOST
            questions = text.count("?")
            if questions > 1:
                emphasis += questions * 0.18 if questions <= 3 else 0.96
            total += emphasis if total > 0 else -emphasis
        return total, len(words)

    def _idioms(self, words: Sequence[Word], valences: list[float], starts: list[int]) -> None:
        idioms = self.rules.idioms
        lengths = self._idiom_lengths
        for i in starts:
            for length in lengths[words[i].key]:  # longest first: "thank you for your"
                phrase = tuple(w.key for w in words[i : i + length])
                if len(phrase) == length and phrase in idioms:
                    valences[i] = idioms[phrase]
                    for j in range(i + 1, i + length):
                        valences[j] = 0.0
                    break


_SENTIMENT_CONFIG = {"lexicon_path": None, "negation_window": 3, "alpha": ALPHA}
_SENTIMENT_ASSIGNS = ["doc._.earshot_sentiment", "doc._.earshot_sentiment_label"]


@Language.factory(
    "earshot_sentiment_v2", default_config=_SENTIMENT_CONFIG, assigns=_SENTIMENT_ASSIGNS
)
def make_sentiment(
    nlp: Language,
    name: str,
    *,
    lexicon_path: str | None,
    negation_window: int,
    alpha: float,
) -> SentimentScorer:
    """Lexicon from `lexicon_path`, or the one packaged for `nlp.lang` when None."""
    lang = nlp.lang or ""
    path = Path(lexicon_path) if lexicon_path else packaged_lexicon_path(lang)
    if path is None:
        raise ValueError(f"no sentiment lexicon packaged for language {nlp.lang!r}; pass one")
    return SentimentScorer(
        load_lexicon(path),
        RULES.get(lang, DEFAULT_RULES),
        negation_window=negation_window,
        alpha=alpha,
    )


# The old name stays registered so existing configs load; it builds the current scorer.
Language.factory(
    "earshot_sentiment_v1", default_config=_SENTIMENT_CONFIG, assigns=_SENTIMENT_ASSIGNS
)(make_sentiment)
