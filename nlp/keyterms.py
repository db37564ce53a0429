"""Key terms for emerging-topic detection: hashtags, then salient content words and bigrams."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from nlp.normalise import TokenView, WordInfo, token_view

VERSION = "1"


class KeyTermExtractor:
    """Sets `doc._.earshot_key_terms`: lowercase strings, hashtags first, at most `max_terms`."""

    def __init__(
        self,
        *,
        stop_words: frozenset[str],
        max_terms: int = 8,
        min_length: int = 3,
        hashtags_only: bool = False,
    ) -> None:
        self.stop_words = stop_words
        self.max_terms = max_terms
        self.min_length = min_length
        self.hashtags_only = hashtags_only
        self._memo: dict[str, str | None] = {}
        if not Doc.has_extension("earshot_key_terms"):
            Doc.set_extension("earshot_key_terms", default=None)

    def __call__(self, doc: Doc) -> Doc:
        doc._.earshot_key_terms = self.extract_view(token_view(doc))
        return doc

    def _content(self, info: WordInfo) -> str | None:
        """The lowercase word if it can be a key term, else None; remembered per word."""
        memo = self._memo
        if info.text in memo:
            return memo[info.text]
        if len(memo) > 200_000:
            memo.clear()
        memo[info.text] = word = self._decide(info)
        return word

    def _decide(self, info: WordInfo) -> str | None:
        lower = info.lower
        if (
            len(info.text) < self.min_length
            or not info.is_word
            or info.is_punct
            or info.like_num
            or info.is_url
            or info.is_mention
            or lower in self.stop_words
        ):
            return None
        return lower

    def extract(self, doc: Doc) -> tuple[str, ...]:
        return self.extract_view(token_view(doc))

    def extract_view(self, view: TokenView) -> tuple[str, ...]:
        """Key terms of a doc's `TokenView`: what the component and the fast path use."""
        terms: list[str] = []
        seen: set[str] = set()
        infos, hashtag, starts = view.infos, view.hashtag, view.sent_start
        tagged = True in hashtag
        if tagged:
            for i, info in enumerate(infos):
                if hashtag[i] and info.text != "#":
                    tag = info.lower.lstrip("#")
                    if tag and tag not in seen:
                        seen.add(tag)
                        terms.append(tag)
        if self.hashtags_only or len(terms) >= self.max_terms:
            return tuple(terms[: self.max_terms])
        # Candidates: score by frequency; bigrams and mid-sentence capitalised words weigh more.
        scores: dict[str, float] = {}
        first: dict[str, int] = {}
        parts_of: dict[str, tuple[str, str]] = {}
        prev: int | None = None
        content, memo = self._content, self._memo
        for i, info in enumerate(infos):
            if tagged and hashtag[i] and info.text != "#":
                word = None
            else:
                text = info.text
                word = memo[text] if text in memo else content(info)
            if word is None:
                prev = None
                continue
            capitalised = info.text[:1].isupper() and not starts[i]
            scores[word] = scores.get(word, 0.0) + (1.5 if capitalised else 1.0)
            first.setdefault(word, i)
            if prev is not None:
                before = infos[prev]
                bigram = f"{before.lower} {word}"
                name = capitalised and before.text[:1].isupper() and not starts[prev]
                scores[bigram] = scores.get(bigram, 0.0) + (1.6 if name else 1.0)
                first.setdefault(bigram, prev)
                parts_of[bigram] = (before.lower, word)
            prev = i
        for bigram in parts_of:
            # A phrase beats its words when it recurs or looks like a name; a one-off
            # pairing of ordinary words does not.
            scores[bigram] += 0.1 if scores[bigram] >= 1.6 else -0.2
        ranked = sorted(scores, key=lambda t: (-scores[t], first[t]))
        covered: set[str] = set()
        for term in ranked:
            if len(terms) >= self.max_terms:
                break
            if term in seen or term in covered:
                continue
            if term in parts_of:
                if any(p in covered or p in seen for p in parts_of[term]):
                    continue  # one phrase per word
                covered.update(parts_of[term])
            seen.add(term)
            terms.append(term)
        return tuple(terms)


@Language.factory(
    "earshot_keyterms_v1",
    default_config={"max_terms": 8, "min_length": 3, "hashtags_only": False},
    assigns=["doc._.earshot_key_terms"],
)
def make_keyterms(
    nlp: Language, name: str, *, max_terms: int, min_length: int, hashtags_only: bool
) -> KeyTermExtractor:
    """Stop words come from the language's spaCy defaults (`nlp.Defaults.stop_words`)."""
    stop_words = frozenset(w.lower() for w in nlp.Defaults.stop_words)
    return KeyTermExtractor(
        stop_words=stop_words,
        max_terms=max_terms,
        min_length=min_length,
        hashtags_only=hashtags_only,
    )
