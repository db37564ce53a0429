"""Lexicon-based sentiment: VADER's rules, our own scorer over spaCy tokens, per language."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from earshot.nlp.lexicon import emoji_valences, load_lexicon, packaged_lexicon_path
from earshot.nlp.normalise import TokenView, WordInfo, fold, token_view
from earshot.nlp.sentiment_rules import DEFAULT_RULES, RULES, LanguageRules

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


_MEMO_LIMIT = 200_000
_WORD, _BREAK, _SKIP, _PUNCT = 0, 1, 2, 3  # kinds of token, see `SentimentScorer._entry`
_ANYWHERE, _OPENING = 1, 2  # contrast words, see `_Word.pivot`
# Emoticons whose case matters, which a folded lexicon key cannot tell apart ("D:" vs "d:")
_CASED_EMOTICONS = {"D:": -2.9, "D=": -3.0, "D;": -2.9, "DX": -3.0, "D8": -2.9}
_ELONGATED = re.compile(r"(\w)\1{2,}")  # a letter written three or more times
_PLURALS = ("en", "n", "e", "s")  # plural tails: "Zugausfälle", "Fahrpreiserhöhungen"


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


@dataclass(slots=True)
class _Word:
    """A word's text and what the scorer asks of it, computed once per distinct text.

    Read only (shared through the scorer's memo), but not frozen: a frozen dataclass takes
    several times longer to build, and a post with new words builds one per word.
    """

    text: str
    key: str  # folded
    upper: bool  # `text.isupper()`
    caps: bool  # all capitals and letters only: counts towards the post's shouting
    negated: bool  # a negator ("not", "don't", "nicht")
    booster: float | None  # the booster's scalar, None when not a booster
    idiom_start: bool  # the first word of one of the language's idioms
    pivot: int  # _ANYWHERE: a contrast word ("but"); _OPENING: only when it opens a clause
    special: bool  # any of caps, booster, idiom_start or pivot: most words are none of them


@dataclass(slots=True)
class _Words:
    """A doc's words as the scorer sees them, with what it asks of them as a whole."""

    words: list[_Word]
    valences: list[float]  # lexicon valences
    ends: list[bool]  # a clause ends after the word
    idioms: list[int]  # positions of words that may open an idiom
    boosters: list[int]  # positions of boosters
    caps: int  # words in all capitals
    pivot: int  # position of the contrast word that splits the post, or -1


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
        self.emoji = emoji_valences()
        self._memo: dict[str, float] = {}
        self._compound_memo: dict[str, float] = {}
        self._entries: dict[str, tuple[_Word, float, int]] = {}
        self._pairs: dict[tuple[str, str], tuple[_Word, float, int] | None] = {}
        self._idiom_starts = frozenset(phrase[0] for phrase in rules.idioms)
        # first word of an idiom → the lengths of its idioms worth trying, longest first
        self._idiom_lengths: dict[str, tuple[int, ...]] = {
            first: tuple(
                n for n in (5, 4, 3, 2) if any(p[0] == first and len(p) == n for p in rules.idioms)
            )
            for first in self._idiom_starts
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
    def valence(self, key: str) -> float:
        """Lexicon valence of a folded word: exact, then minus inflection suffixes, then emoji."""
        memo = self._memo
        if key in memo:
            return memo[key]
        value = self.lexicon.get(key)
        if value is None:
            value = self._inflected(key)
        if value is None:
            value = sum(self.emoji.get(ch, 0.0) for ch in key) if not key.isalnum() else 0.0
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        memo[key] = value
        return value

    def compound_valence(self, key: str) -> float:
        """Valence of the longest known tail of a compound noun ("streckensperrung"), or 0.0.

        Only for capitalised words (German nouns): verbs and adjectives with a prefix
        ("aufgefallen", "allgemein") would take the wrong word's valence.
        """
        memo = self._compound_memo
        if key in memo:
            return memo[key]
        tail = self.rules.compound_tail
        value = 0.0
        if tail and key.isalpha():
            for start in range(4, len(key) - tail + 1):  # longest tail first
                rest = key[start:]
                found = self.lexicon.get(rest)
                if found is None:
                    found = next(
                        (
                            self.lexicon[rest[: -len(e)]]
                            for e in _PLURALS
                            if rest.endswith(e) and rest[: -len(e)] in self.lexicon
                        ),
                        None,
                    )
                if found is not None:
                    value = found
                    break
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        memo[key] = value
        return value

    def _inflected(self, key: str) -> float | None:
        suffixes = self.rules.suffixes
        if not suffixes or not key.isalpha():
            return None
        for first in suffixes:
            if key.endswith(first) and len(key) - len(first) >= 3:
                stem = key[: -len(first)]
                if stem in self.lexicon:
                    return self.lexicon[stem]
                for second in suffixes:  # "geilsten" → "geilst" → "geil"
                    shorter = stem[: -len(second)]
                    if stem.endswith(second) and len(shorter) >= 3 and shorter in self.lexicon:
                        return self.lexicon[shorter]
        return None

    def _word(self, text: str, key: str) -> _Word:
        upper = text.isupper()
        caps = upper and text.isalpha()
        booster = self.rules.boosters.get(key)
        idiom_start = key in self._idiom_starts
        pivot = (
            _ANYWHERE
            if key in self.rules.contrast
            else _OPENING
            if key in self.rules.contrast_clause_initial
            else 0
        )
        return _Word(
            text,
            key,
            upper,
            caps,
            key in self.rules.negators or key.endswith("n't"),
            booster,
            idiom_start,
            pivot,
            caps or booster is not None or idiom_start or pivot != 0,
        )

    def _joined(self, text: str, following: str) -> tuple[_Word, float, int] | None:
        """(word, valence, kind) of two tokens without space between that make an emoticon
        of the lexicon ("D" ":"), else None; remembered per pair."""
        pair = (text, following)
        if pair in self._pairs:
            return self._pairs[pair]
        joined = fold(text + following)
        found = (
            (self._word(text, joined), self.lexicon[joined], _WORD)
            if joined in self.lexicon
            else None
        )
        if len(self._pairs) > _MEMO_LIMIT:
            self._pairs.clear()
        self._pairs[pair] = found
        return found

    def _entry(self, info: WordInfo) -> tuple[_Word, float, int]:
        """(word, valence, kind) of a token's text, remembered per text.

        kind: `_WORD`, `_BREAK` (punctuation without valence: ends a clause), `_SKIP` (space,
        URL, mention), or `_PUNCT` (punctuation with valence, e.g. an emoticon).
        """
        entry = self._entries.get(info.text)
        if entry is None:
            text = info.text
            key = fold(text.lstrip("#") or text) if text.startswith("#") else info.folded
            value = _CASED_EMOTICONS.get(text) or self.valence(key)
            if value == 0.0 and "-" in key and self.rules.suffixes:
                value = self.valence(key.rsplit("-", 1)[1])  # "Infrastruktur-Chaos"
            if value == 0.0 and _ELONGATED.search(key):
                value = self.valence(_ELONGATED.sub(r"\1", key))  # "loooove", "LAAAME"
            if info.is_space or info.is_url or info.is_mention:
                kind = _SKIP
            elif info.is_punct:
                kind = _BREAK if value == 0.0 else _PUNCT
            else:
                kind = _WORD
            entry = (self._word(text, key), value, kind)
            if len(self._entries) > _MEMO_LIMIT:
                self._entries.clear()
            self._entries[info.text] = entry
        return entry

    def _words(self, view: TokenView) -> _Words:
        """The doc's words (URLs, mentions and spaces left out), their lexicon valences,
        whether punctuation or the end of the text follows each (a clause ends), and what
        the scoring asks of them as a whole (see `_Words`), in one pass."""
        words: list[_Word] = []
        valences: list[float] = []
        ends: list[bool] = []
        idioms: list[int] = []
        boosters: list[int] = []
        caps = 0
        pivot = -1
        spaced = view.spaced
        infos = view.infos
        entries = self._entries
        n = len(infos)
        skip = False
        for i, info in enumerate(infos):
            if skip:
                skip = False
                continue
            word, value, kind = entries.get(info.text) or self._entry(info)
            if kind == _SKIP:
                continue
            if (
                not spaced[i]
                and i + 1 < n
                and (kind != _WORD or infos[i + 1].is_punct)
                and not infos[i + 1].is_space
            ):
                # emoticons another tokenizer split: "D:" → "D" ":", ":l" → ":" "l"
                joined = self._joined(info.text, infos[i + 1].text)
                if joined is not None:
                    word, value, kind = joined
                    skip = True
            if kind == _BREAK:
                if ends:
                    ends[-1] = True
                continue
            if word.special:
                if word.pivot and pivot < 0 and (word.pivot == _ANYWHERE or not ends or ends[-1]):
                    pivot = len(words)  # the clause before it ended already: ends[-1] is final
                if word.idiom_start:
                    idioms.append(len(words))
                if word.booster is not None:
                    boosters.append(len(words))
                if word.caps:
                    caps += 1
            words.append(word)
            valences.append(value)
            ends.append(False)
        if ends:
            ends[-1] = True
        return _Words(words, valences, ends, idioms, boosters, caps, pivot)

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
        found = self._words(view)
        words, valences, ends = found.words, found.valences, found.ends
        if not words:
            return 0.0, 0
        rules = self.rules
        if rules.compound_tail:
            for i, w in enumerate(words):
                if valences[i] == 0.0 and w.text[:1].isupper():
                    valences[i] = self.compound_valence(w.key)
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

    def _idioms(self, words: Sequence[_Word], valences: list[float], starts: list[int]) -> None:
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
