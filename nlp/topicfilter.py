"""Does a text touch any topic? The stream's filter: a substring pre-filter, then the tagger.

A stream sees every public post of a platform; only the few that name a topic are kept. Most
texts are turned away by one regular-expression search of the folded text for the first word
of any term (a text the topic tagger matches always contains it: inflection endings and
compounds only add letters around it). The rest go through the same `earshot_topics_v1`
tagger the enrich step runs, for the post's language (when configured) and the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import spacy
from spacy.language import Language

from earshot.nlp.normalise import fold, split_parts
from earshot.nlp.pipeline import FALLBACK, TOKENIZER
from earshot.nlp.query import evaluate, parse_query, query_terms
from earshot.nlp.records import TopicRule
from earshot.nlp.tokenizer import EarshotTokenizer, split
from earshot.nlp.topics import TopicTagger, rule_to_config, view_sequence


class TopicFilter:
    """`matches(text, lang)`: True when the topic tagger finds a topic in `text`."""

    def __init__(self, rules: Sequence[TopicRule], *, languages: Sequence[str]) -> None:
        self.rules = tuple(rules)
        self._pipelines = {
            lang: _topics_only(lang, self.rules) for lang in (*dict.fromkeys(languages), FALLBACK)
        }
        words: set[str] = set()
        open_query = False  # a query that holds without any of its terms ("NOT x")
        for rule in self.rules:
            terms = [t for ts in rule.terms.values() for t in ts]
            if rule.query:
                node = parse_query(rule.query)
                terms += query_terms(node)
                open_query = open_query or evaluate(node, {})[0]
            words.update(parts[0] for t in terms if (parts := split_parts(t)))
        self._pre: re.Pattern[str] | None = None
        if words and not open_query:
            # longest first: the alternation stops at the first word that fits
            ordered = sorted(words, key=lambda w: (-len(w), w))
            self._pre = re.compile("|".join(map(re.escape, ordered)))
        self._everything = open_query
        self.checked = 0  # texts past the pre-filter (given to the tagger)

    def matches(self, text: str, lang: str | None = None) -> bool:
        if not self.rules or not text:
            return False
        if self._pre is not None and self._pre.search(fold(text)) is None:
            return False
        if self._pre is None and not self._everything:
            return False  # topics without any term: nothing can match
        self.checked += 1
        words, spaces = split(text)
        pipelines = [self._pipelines.get(lang or ""), self._pipelines[FALLBACK]]
        for nlp in dict.fromkeys(p for p in pipelines if p is not None):
            tokenizer, tagger = nlp.tokenizer, nlp.get_pipe("earshot_topics_v1")
            assert isinstance(tokenizer, EarshotTokenizer) and isinstance(tagger, TopicTagger)
            if tagger.match(view_sequence(tokenizer.view(words, spaces, text))):
                return True
        return False


def _topics_only(lang: str, rules: Sequence[TopicRule]) -> Language:
    """A blank pipeline with our tokenizer and the topic tagger alone (what enrich tags with)."""
    nlp = spacy.blank(lang, config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}})
    nlp.add_pipe("earshot_topics_v1", config={"rules": [rule_to_config(r) for r in rules]})
    return nlp
