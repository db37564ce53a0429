"""Lexicon-based sentiment: VADER's rules, our own scorer over spaCy tokens, per language."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from nlp.lexicon import emoji_valences, load_lexicon, packaged_lexicon_path
from nlp.normalise import fold, token_view

VERSION = "2"  # bump (and the factory name) when scoring changes

# VADER's empirically derived constants (Hutto & Gilbert 2014).
BOOST = 0.293
CAPS_BOOST = 0.733
NEGATION_SCALAR = -0.74
EXCLAMATION_BOOST = 0.292
ALPHA = 15.0
SHORT_POST = 3  # words


def _word_set(text: str) -> frozenset[str]:
    """Folded words of a space-separated list (so "äußerst" matches "aeusserst")."""
    return frozenset(fold(w) for w in text.split())


@dataclass(frozen=True, slots=True)
class LanguageRules:
    negators: frozenset[str]
    boosters: dict[str, float]
    contrast: frozenset[str]
    contrast_clause_initial: frozenset[str]  # contrast words only when they open a clause
    suffixes: tuple[str, ...]  # tried, longest first, when a word is not in the lexicon
    final_negators: frozenset[str]  # negate the preceding word at the end of a clause (German)
    # Fixed phrases whose words mean less than they say: greetings, sign-offs ("Liebe Grüße").
    idioms: dict[tuple[str, ...], float] = field(default_factory=dict)
    # Valence a post must exceed, per extra word**0.75, to take a side: long texts (news, press
    # releases) collect stray lexicon hits without an opinion. Positive words are spent more
    # freely in neutral text (politeness, adverts), so the positive band may be wider.
    neutral_band: float = 0.0
    positive_band: float = 0.0


def _idioms(text: str, valence: float = 0.0) -> dict[tuple[str, ...], float]:
    """Comma-separated phrases, folded word by word, all with the same valence."""
    return {tuple(fold(w) for w in p.split()): valence for p in text.split(",") if p.strip()}


RULES: dict[str, LanguageRules] = {
    "en": LanguageRules(
        negators=_word_set(
            "not n't no never nobody nothing none nowhere neither nor without cannot cant "
            "dont doesnt didnt isnt arent wasnt werent wont wouldnt couldnt shouldnt aint "
            "hasnt havent hadnt mustnt neednt rarely seldom"
        ),
        boosters={
            **dict.fromkeys(
                _word_set(
                    "very extremely really so totally absolutely completely incredibly highly "
                    "especially particularly utterly truly super most more deeply hugely "
                    "terribly awfully entirely fully quite remarkably seriously damn"
                ),
                BOOST,
            ),
            **dict.fromkeys(
                _word_set(
                    "slightly somewhat barely hardly kinda sorta little less almost marginally "
                    "partly occasionally scarcely"
                ),
                -BOOST,
            ),
        },
        contrast=frozenset({"but"}),
        contrast_clause_initial=frozenset({"however", "yet"}),
        suffixes=(),
        final_negators=frozenset(),
        idioms=_idioms(
            "good morning, good night, good afternoon, good evening, best regards, "
            "kind regards, best wishes, thank you for your, dear customer"
        ),
        neutral_band=0.06,
        positive_band=0.06,
    ),
    "de": LanguageRules(
        negators=_word_set(
            "nicht kein keine keinen keiner keinem keines nie niemals nichts ohne niemand "
            "weder nirgends nimmer net"
        ),
        boosters={
            **dict.fromkeys(
                _word_set(
                    "sehr extrem total voll mega echt ziemlich richtig wirklich besonders "
                    "absolut völlig komplett äußerst höchst unglaublich unheimlich ungemein "
                    "dermaßen derart tierisch enorm irre wahnsinnig so zu"
                ),
                BOOST,
            ),
            **dict.fromkeys(
                _word_set(
                    "etwas kaum wenig bisschen leicht eher fast relativ halbwegs einigermaßen "
                    "teilweise"
                ),
                -BOOST,
            ),
        },
        contrast=frozenset({"aber", "jedoch", "allerdings"}),
        contrast_clause_initial=frozenset({"doch", "trotzdem", "dennoch"}),
        suffixes=("ten", "est", "en", "er", "es", "em", "st", "et", "te", "e", "n", "s", "t"),
        final_negators=frozenset({"nicht", "nie", "niemals", "kaum"}),
        idioms=_idioms(
            "liebe grüße, lieben gruß, lieben dank, liebe bahn, liebe db, liebe kunden, "
            "liebe fahrgäste, lieber kunde, liebe leute, liebe freunde, liebes team, "
            "guten morgen, guten tag, guten abend, gute nacht, gute fahrt, gute reise, "
            "schönen tag, schönen abend, schönes wochenende, schönen sonntag, schönen gruß, "
            "schöne grüße, beste grüße, besten gruß, besten dank, vielen dank, danke schön, "
            "danke sehr, bitte schön, gerne geschehen, mit freundlichen grüßen, "
            "viel glück, viel erfolg, viel spaß, frohe weihnachten, gutes neues"
        ),
        neutral_band=0.1,
        positive_band=0.5,
    ),
}
DEFAULT_RULES = LanguageRules(
    negators=frozenset(),
    boosters={},
    contrast=frozenset(),
    contrast_clause_initial=frozenset(),
    suffixes=(),
    final_negators=frozenset(),
)

_MEMO_LIMIT = 200_000


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
    text: str
    key: str  # folded
    clause_end: bool  # punctuation or the end of the text follows


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
        for name in ("earshot_sentiment", "earshot_sentiment_label"):
            if not Doc.has_extension(name):
                Doc.set_extension(name, default=None)

    def __call__(self, doc: Doc) -> Doc:
        score = self.score(doc)
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

    def _words(self, doc: Doc) -> list[_Word]:
        words: list[_Word] = []
        lexicon = self.lexicon
        view = token_view(doc)
        spaced = view.spaced
        tokens = [
            (info, spaced[i])
            for i, info in enumerate(view.infos)
            if not (info.is_space or info.is_url or info.is_mention)
        ]
        n = len(tokens)
        skip = False
        for i, (token, space) in enumerate(tokens):
            if skip:
                skip = False
                continue
            text = token.text
            is_punct = token.is_punct
            if i + 1 < n and not space and (is_punct or tokens[i + 1][0].is_punct):
                # emoticons the tokenizer split: "D:" → "D" ":", ":l" → ":" "l"
                joined = text + tokens[i + 1][0].text
                if fold(joined) in lexicon:
                    text, is_punct, skip = joined, False, True
            if skip or text.startswith("#"):
                text = text.lstrip("#") or text
                key = fold(text)
            else:
                key = token.folded
            if is_punct and self.valence(key) == 0.0:
                if words:
                    words[-1].clause_end = True
                continue
            nxt = i + 2 if skip else i + 1
            clause_end = nxt >= n or tokens[nxt][0].is_punct
            words.append(_Word(text, key, clause_end))
        return words

    def score(self, doc: Doc) -> float:
        total, n_words = self.raw(doc)
        rules = self.rules
        # short posts are all opinion; the band only grows with the words beyond a few
        extra = max(0, n_words - SHORT_POST)
        band = (rules.positive_band if total > 0 else rules.neutral_band) * extra**0.75
        total = math.copysign(max(0.0, abs(total) - band), total)
        return normalise_score(total, self.alpha)

    def raw(self, doc: Doc) -> tuple[float, int]:
        """(valence sum with emphasis, number of words) of a doc."""
        words = self._words(doc)
        if not words:
            return 0.0, 0
        rules = self.rules
        upper = sum(1 for w in words if w.text.isupper())
        cap_diff = 0 < upper < len(words)
        valences = [self.valence(w.key) for w in words]
        if rules.idioms:
            self._idioms(words, valences)
        last = len(words) - 1
        for i, word in enumerate(words):
            # "so good": a booster; "Damn!" or "Super." on its own: a word with its own valence
            boosts = i < last and not word.clause_end and valences[i + 1] != 0.0
            if boosts and word.key in rules.boosters:
                valences[i] = 0.0
        sentiments: list[float] = []
        window = self.negation_window
        for i, word in enumerate(words):
            base = valences[i]
            if base == 0.0:
                sentiments.append(0.0)
                continue
            if (
                word.key in rules.negators
                and not word.clause_end
                and any(valences[j] != 0.0 for j in range(i + 1, min(len(words), i + 1 + window)))
            ):
                # "no problems": the negator negates its neighbour instead of counting itself
                sentiments.append(0.0)
                continue
            value = base
            if cap_diff and word.text.isupper():
                value += CAPS_BOOST if value > 0 else -CAPS_BOOST
            for distance in range(1, window + 1):
                j = i - distance
                if j < 0:
                    break
                prev = words[j]
                if prev.clause_end:
                    break  # negation and boosting stay inside their clause
                if prev.key in rules.negators:
                    value *= NEGATION_SCALAR
                elif valences[j] == 0.0 and prev.key in rules.boosters:
                    scalar = rules.boosters[prev.key]
                    if value < 0:
                        scalar = -scalar
                    if cap_diff and prev.text.isupper():
                        scalar += CAPS_BOOST if value > 0 else -CAPS_BOOST
                    value += scalar * (1.0, 0.95, 0.9)[min(distance - 1, 2)]
            if rules.final_negators and not word.clause_end:
                # German verb-second: "Das gefällt mir nicht." negates from behind
                for j in range(i + 1, min(len(words), i + 1 + window)):
                    if valences[j] != 0.0 and words[j].key not in rules.negators:
                        break
                    if words[j].key in rules.final_negators and words[j].clause_end:
                        value *= NEGATION_SCALAR
                        break
            sentiments.append(value)
        self._contrast(words, sentiments)
        total = sum(sentiments)
        if total:
            text = token_view(doc).text
            emphasis = min(text.count("!"), 4) * EXCLAMATION_BOOST
            questions = text.count("?")
            if questions > 1:
                emphasis += questions * 0.18 if questions <= 3 else 0.96
            total += emphasis if total > 0 else -emphasis
        return total, len(words)

    def _idioms(self, words: Sequence[_Word], valences: list[float]) -> None:
        idioms = self.rules.idioms
        for i in range(len(words)):
            if valences[i] == 0.0:
                continue
            for length in (2, 3, 4, 5):
                phrase = tuple(w.key for w in words[i : i + length])
                if len(phrase) == length and phrase in idioms:
                    valences[i] = idioms[phrase]
                    for j in range(i + 1, i + length):
                        valences[j] = 0.0
                    break

    def _contrast(self, words: Sequence[_Word], sentiments: list[float]) -> None:
        rules = self.rules
        pivot = None
        for i, word in enumerate(words):
            if word.key in rules.contrast or (
                word.key in rules.contrast_clause_initial and (i == 0 or words[i - 1].clause_end)
            ):
                pivot = i
                break
        if pivot is None:
            return
        for i in range(len(sentiments)):
            if i < pivot:
                sentiments[i] *= 0.5
            elif i > pivot:
                sentiments[i] *= 1.5


@Language.factory(
    "earshot_sentiment_v1",
    default_config={"lexicon_path": None, "negation_window": 3, "alpha": ALPHA},
    assigns=["doc._.earshot_sentiment", "doc._.earshot_sentiment_label"],
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
