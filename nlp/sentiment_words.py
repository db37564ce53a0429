"""A post's words as the sentiment scorer (`nlp.sentiment`) sees them: per token text its
folded key, its lexicon valence (exact, inflected, compound, emoji) and what the language's
rules make of it (negator, booster, contrast word, idiom start), remembered per text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from earshot.nlp.lexicon import emoji_valences
from earshot.nlp.normalise import TokenView, WordInfo, fold
from earshot.nlp.sentiment_rules import LanguageRules

_MEMO_LIMIT = 200_000
_WORD, _BREAK, _SKIP, _PUNCT = 0, 1, 2, 3  # kinds of token, see `WordReader._entry`
_ANYWHERE, _OPENING = 1, 2  # contrast words, see `Word.pivot`
# Emoticons whose case matters, which a folded lexicon key cannot tell apart ("D:" vs "d:")
_CASED_EMOTICONS = {"D:": -2.9, "D=": -3.0, "D;": -2.9, "DX": -3.0, "D8": -2.9}
_ELONGATED = re.compile(r"(\w)\1{2,}")  # a letter written three or more times
_PLURALS = ("en", "n", "e", "s")  # plural tails: "Zugausfälle", "Fahrpreiserhöhungen"


@dataclass(slots=True)
class Word:
    """A word's text and what the scorer asks of it, computed once per distinct text.

    Read only (shared through the reader's memo), but not frozen: a frozen dataclass takes
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
class Words:
    """A doc's words as the scorer sees them, with what it asks of them as a whole."""

    words: list[Word]
    valences: list[float]  # lexicon valences
    ends: list[bool]  # a clause ends after the word
    idioms: list[int]  # positions of words that may open an idiom
    boosters: list[int]  # positions of boosters
    caps: int  # words in all capitals
    pivot: int  # position of the contrast word that splits the post, or -1


class WordReader:
    """A lexicon's and a language's rules' look-up of words, remembered per distinct text."""

    def __init__(self, lexicon: dict[str, float], rules: LanguageRules) -> None:
        self.lexicon = lexicon
        self.rules = rules
        self.emoji = emoji_valences()
        self._memo: dict[str, float] = {}
        self._compound_memo: dict[str, float] = {}
        self._entries: dict[str, tuple[Word, float, int]] = {}
        self._pairs: dict[tuple[str, str], tuple[Word, float, int] | None] = {}
        self.idiom_starts = frozenset(phrase[0] for phrase in rules.idioms)

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

    def _word(self, text: str, key: str) -> Word:
        upper = text.isupper()
        caps = upper and text.isalpha()
        booster = self.rules.boosters.get(key)
        idiom_start = key in self.idiom_starts
        pivot = (
            _ANYWHERE
            if key in self.rules.contrast
            else _OPENING
            if key in self.rules.contrast_clause_initial
            else 0
        )
        return Word(
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

    def _joined(self, text: str, following: str) -> tuple[Word, float, int] | None:
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

    def _entry(self, info: WordInfo) -> tuple[Word, float, int]:
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

    def read(self, view: TokenView) -> Words:
        """The doc's words (URLs, mentions and spaces left out), their lexicon valences,
        whether punctuation or the end of the text follows each (a clause ends), and what
        the scoring asks of them as a whole (see `Words`), in one pass."""
        words: list[Word] = []
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
        return Words(words, valences, ends, idioms, boosters, caps, pivot)
