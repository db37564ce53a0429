"""Key terms for emerging-topic detection: hashtags, then salient content words and bigrams."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from earshot.nlp.normalise import TokenView, WordInfo, token_view

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
        # word → (its key term form or None, capitalised): remembered per word
        self._memo: dict[str, tuple[str | None, bool]] = {}
        if not Doc.has_extension("earshot_key_terms"):
            Doc.set_extension("earshot_key_terms", default=None)

    def __call__(self, doc: Doc) -> Doc:
        doc._.earshot_key_terms = self.extract_view(token_view(doc))
        return doc

    def _content(self, info: WordInfo) -> tuple[str | None, bool]:
        """(the lowercase word if it can be a key term, else None; whether it is capitalised)."""
        memo = self._memo
        entry = memo.get(info.text)
        if entry is None:
            if len(memo) > 200_000:
                memo.clear()
            entry = memo[info.text] = (self._decide(info), info.text[:1].isupper())
        return entry

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
        memo, content = self._memo, self._content
        entries = [memo.get(info.text) or content(info) for info in infos]
        if tagged:  # hashtags are terms already
            for i, info in enumerate(infos):
                if hashtag[i] and info.text != "#":
                    entries[i] = (None, False)
        prev = ""  # the key term word just before, if any
        prev_name = False  # it is capitalised mid-sentence
        at = -2  # its position
        for i, word, upper in [(i, w, up) for i, (w, up) in enumerate(entries) if w is not None]:
            capitalised = upper and not starts[i]
            if word in scores:
                scores[word] += 1.5 if capitalised else 1.0
            else:
                scores[word] = 1.5 if capitalised else 1.0
                first[word] = i
            if at == i - 1:
                bigram = f"{prev} {word}"
                weight = 1.6 if capitalised and prev_name else 1.0
                if bigram in scores:
                    scores[bigram] += weight
                else:
                    scores[bigram] = weight
                    first[bigram] = at
                    parts_of[bigram] = (prev, word)
            prev, prev_name, at = word, capitalised, i
        for bigram in parts_of:
            # A phrase beats its words when it recurs or looks like a name; a one-off
            # pairing of ordinary words does not.
            scores[bigram] += 0.1 if scores[bigram] >= 1.6 else -0.2
        # Best first, then earliest. A word and the phrase it starts tie on position; the word
        # comes first, as it sorts before the longer phrase.
        ranked = sorted([(-score, first[term], term) for term, score in scores.items()])
        covered: set[str] = set()
        for _, _, term in ranked:
            if len(terms) >= self.max_terms:
                break
            if term in seen or term in covered:
                continue
            if term in parts_of:
                one, two = parts_of[term]
                if one in covered or one in seen or two in covered or two in seen:
                    continue  # one phrase per word
                covered.add(one)
                covered.add(two)
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
