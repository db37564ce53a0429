"""Topic tagging from the taxonomy: multilingual, tolerant of inflection, hashtags and compounds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from earshot.nlp import tokenizer
from earshot.nlp.normalise import BOUNDARY, TokenView, split_parts, token_view
from earshot.nlp.query import Node, QueryError, evaluate, parse_query, query_terms
from earshot.nlp.records import TopicMatch, TopicRule

VERSION = "1"
# What enrichment records of the matcher's input besides the tags (`distinct_parts`, stored by
# `warehouse.topic_parts`): part of the topics version, so a change records it again.
PARTS = "1"
# How text is read for matching (only the topics version covers it, so a change re-tags topics
# only): 2 = a mention's handle parts match terms ("@DB_Bahn" matches "Bahn").
MATCHING = "2"

# Inflection endings a text word may add to a term word ("Kundenservices", "experiences").
SUFFIXES: dict[str, tuple[str, ...]] = {
    "de": ("s", "es", "e", "en", "n", "er", "ern", "ns"),
    "en": ("s", "es"),
}
DEFAULT_SUFFIXES: tuple[str, ...] = ("s", "es")
# Languages that glue nouns together: a term word may end a longer word ("Contentmarketing").
COMPOUNDING = frozenset({"de", "nl", "sv", "da", "no", "nb", "fi"})


def matcher_identity() -> str:
    """What decides a topic match besides the definition and the post's language: the matcher's
    and the tokenizer's versions and spaCy's. Stored with each topics version's definitions
    (`warehouse.topic_definitions`) so a reader knows whether stored tags are what this code
    would tag."""
    return (
        f"topics {VERSION}; matching {MATCHING}; tokenizer {tokenizer.VERSION}; "
        f"spacy {spacy.__version__}"
    )


def suffixes_for(lang: str) -> tuple[str, ...]:
    if lang == "xx":  # the multi-language fallback pipeline: every known ending
        return tuple(sorted({s for ends in SUFFIXES.values() for s in ends}))
    return SUFFIXES.get(lang, DEFAULT_SUFFIXES)


def rule_to_config(rule: TopicRule) -> dict[str, Any]:
    """A `TopicRule` as plain JSON-able data for the component's spaCy config."""
    data: dict[str, Any] = {
        "topic_id": rule.topic_id,
        "bucket_id": rule.bucket_id,
        "terms": {lang: list(terms) for lang, terms in sorted(rule.terms.items())},
        "exclude": {lang: list(terms) for lang, terms in sorted(rule.exclude.items())},
    }
    if rule.query:  # only when set, so taxonomies without queries keep their hash
        data["query"] = rule.query
    return data


def rule_from_config(data: Mapping[str, Any]) -> TopicRule:
    return TopicRule(
        topic_id=str(data["topic_id"]),
        bucket_id=data.get("bucket_id"),
        terms={lang: tuple(terms) for lang, terms in data.get("terms", {}).items()},
        exclude={lang: tuple(terms) for lang, terms in data.get("exclude", {}).items()},
        query=data.get("query"),
    )


@dataclass(frozen=True, slots=True)
class _Pattern:
    words: tuple[str, ...]  # folded term words
    term: str  # the configured term: the evidence
    topic: int  # index into the taxonomy
    exclude: bool
    suffixes: frozenset[str]
    in_query: bool = False  # a term of the topic's query: its positions are recorded


def word_sequence(doc: Doc) -> list[str]:
    """Folded word parts of the doc in order; `BOUNDARY` where punctuation breaks a phrase."""
    return view_sequence(token_view(doc))


def view_sequence(view: TokenView) -> list[str]:
    """`word_sequence` of a doc's `TokenView`."""
    return [part for info in view.infos for part in info.topic_parts]


def distinct_parts(seq: Sequence[str]) -> tuple[str, ...]:
    """The distinct word parts of a word sequence, sorted, boundaries left out.

    Whether a pattern of one word (a one-word term or exclusion, a multi-word term's joined
    variant) matches a post depends on nothing else but the post's language
    (`TopicTagger._keys`), so the query preview decides such patterns over these sets.
    """
    parts = set(seq)
    parts.discard(BOUNDARY)
    return tuple(sorted(parts))


class TopicTagger:
    """Sets `doc._.earshot_topics`: a tuple of `TopicMatch`, in taxonomy order."""

    def __init__(self, rules: Sequence[TopicRule], *, lang: str, compounds: bool) -> None:
        self.rules = tuple(rules)
        self.compounds = compounds
        self.min_compound_part = 5
        own = suffixes_for(lang)
        self._index: dict[str, list[_Pattern]] = {}
        self._queries: dict[int, Node] = {}
        for number, rule in enumerate(self.rules):
            for exclude, table in ((False, rule.terms), (True, rule.exclude)):
                for term_lang, terms in table.items():
                    ends = frozenset(own) | frozenset(suffixes_for(term_lang))
                    for term in terms:
                        self._add(term, number, exclude, ends)
            if rule.query:
                try:
                    node = parse_query(rule.query)
                except QueryError as error:
                    raise QueryError(f"topic {rule.topic_id!r}: query: {error}") from None
                self._queries[number] = node
                ends = frozenset(own).union(*(suffixes_for(t) for t in rule.terms))
                for term in query_terms(node):
                    self._add(term, number, False, ends, in_query=True)
        self._ends = tuple(
            sorted({s for ps in self._index.values() for p in ps for s in p.suffixes})
        )
        self._candidates: dict[str, tuple[_Pattern, ...]] = {"": ()}  # "": a boundary
        if not Doc.has_extension("earshot_topics"):
            Doc.set_extension("earshot_topics", default=None)
        if not Doc.has_extension("earshot_topic_parts"):
            Doc.set_extension("earshot_topic_parts", default=None)

    def _add(
        self, term: str, topic: int, exclude: bool, ends: frozenset[str], *, in_query: bool = False
    ) -> None:
        words = split_parts(term)
        if not words:
            return
        variants = {words}
        if len(words) > 1:
            variants.add(("".join(words),))  # "#customerexperience"
        for variant in variants:
            pattern = _Pattern(variant, term, topic, exclude, ends, in_query)
            self._index.setdefault(variant[0], []).append(pattern)

    def __call__(self, doc: Doc) -> Doc:
        seq = view_sequence(token_view(doc))
        doc._.earshot_topics = self.match(seq)
        doc._.earshot_topic_parts = distinct_parts(seq)
        return doc

    def match(self, seq: Sequence[str]) -> tuple[TopicMatch, ...]:
        if not self._queries:
            known = list(map(self._candidates.get, seq))
            if not any(known) and None not in known:
                return ()  # every word seen before, none starts a term: most posts
        found: dict[int, set[str]] = {}
        excluded: set[int] = set()
        hits: dict[str, list[tuple[int, int]]] = {}  # query term → word spans
        word = -1  # position among words, boundaries not counted: NEAR/n counts words
        for i, part in enumerate(seq):
            if not part:
                continue
            word += 1
            candidates = self._candidates.get(part)
            if candidates is None:
                candidates = self._find_candidates(part)
            for pattern in candidates:
                if len(pattern.words) == 1 or self._rest_matches(pattern, seq, i):
                    if pattern.in_query:
                        span = (word, word + len(pattern.words) - 1)
                        hits.setdefault(pattern.term, []).append(span)
                    elif pattern.exclude:
                        excluded.add(pattern.topic)
                    else:
                        found.setdefault(pattern.topic, set()).add(pattern.term)
        for number, node in self._queries.items():
            holds, evidence = evaluate(node, hits)
            if holds:
                found.setdefault(number, set()).update(evidence)
        return tuple(
            TopicMatch(
                topic_id=self.rules[n].topic_id,
                bucket_id=self.rules[n].bucket_id,
                matched_terms=tuple(sorted(terms)),
            )
            for n, terms in sorted(found.items())
            if n not in excluded
        )

    def one_word_terms(self, part: str) -> tuple[str, ...]:
        """The terms (or exclusions) whose one-word pattern a post's `part` matches on its own:
        a one-word term, a multi-word term's joined variant; not a query's terms. Whether a
        post matches such a pattern depends only on its `distinct_parts` and its language."""
        found = self._candidates.get(part)
        if found is None:
            found = self._find_candidates(part)
        return tuple(p.term for p in found if len(p.words) == 1 and not p.in_query)

    def _find_candidates(self, part: str) -> tuple[_Pattern, ...]:
        """Patterns whose first word matches `part`; remembered, as words repeat across posts."""
        found: list[_Pattern] = []
        for key, ending, inside in self._keys(part):
            for pattern in self._index.get(key, ()):
                if ending and ending not in pattern.suffixes:
                    continue
                if inside and len(key) < self.min_compound_part:
                    continue
                found.append(pattern)
        if len(self._candidates) > 100_000:
            self._candidates.clear()
            self._candidates[""] = ()
        self._candidates[part] = candidates = tuple(found)
        return candidates

    def _keys(self, part: str) -> Iterable[tuple[str, str, bool]]:
        """(candidate first term word, inflection ending stripped, found inside a compound)."""
        stems = [(part, "")]
        stems.extend(
            (part[: -len(e)], e) for e in self._ends if part.endswith(e) and len(part) > len(e) + 1
        )
        for stem, ending in stems:
            yield stem, ending, False
            if self.compounds:
                for start in range(1, len(stem) - self.min_compound_part + 1):
                    yield stem[start:], ending, True

    @staticmethod
    def _word_matches(word: str, part: str, ends: frozenset[str]) -> bool:
        return part == word or (part.startswith(word) and part[len(word) :] in ends)

    def _rest_matches(self, pattern: _Pattern, seq: Sequence[str], i: int) -> bool:
        words = pattern.words
        if i + len(words) > len(seq):
            return False
        return all(
            self._word_matches(word, seq[i + k], pattern.suffixes)
            for k, word in enumerate(words[1:], start=1)
        )


@Language.factory(
    "earshot_topics_v1",
    default_config={"rules": [], "compounds": None},
    assigns=["doc._.earshot_topics", "doc._.earshot_topic_parts"],
)
def make_topics(
    nlp: Language, name: str, *, rules: list[dict[str, Any]], compounds: bool | None
) -> TopicTagger:
    """`rules` are `rule_to_config` dicts; `compounds` defaults to on for compounding languages."""
    lang = nlp.lang or ""
    return TopicTagger(
        [rule_from_config(r) for r in rules],
        lang=lang,
        compounds=lang in COMPOUNDING if compounds is None else compounds,
    )
