"""The query preview's shortcut for a topic's configured terms: the matches already stored.

When every stored post was tagged under one topics version whose definitions were recorded
(`warehouse.topic_definitions`) by the matcher code this app runs (`nlp.topics.matcher_identity`),
a term of the topic's stored definition matched exactly the posts whose stored matches (kept,
or set aside by a relevance model) name it, less the posts an exclusion of that definition
removed. Such a piece combines with the others as a matched one does as long as the previewed
definition still has every stored exclusion: a topic is tagged when a term matches and no
exclusion does, so (T - E_stored) | ... less E_rule = (T | ...) less E_rule when E_stored is part
of E_rule. The first preview of a configured topic then runs the matcher only over what changed.

Not used (the matcher decides every piece) for a topic with a query (its evidence and the terms'
share one list), a term whose spelling the definition lists twice (which language matched it is
not stored), or a previewed definition that drops a stored exclusion.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

import duckdb
import numpy as np

from earshot.nlp.records import TopicRule
from earshot.nlp.topics import matcher_identity, rule_from_config
from earshot.warehouse.search_facts import DocFacts
from earshot.warehouse.topic_definitions import stored_definition, stored_matches

_EMPTY = np.empty(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class StoredTerms:
    """A topic's stored definition and, per term spelling, the stored matches naming it."""

    terms: frozenset[tuple[str, str]]  # (lang, term) whose posts the stored matches give
    exclusions: frozenset[tuple[str, str]]  # (lang, term) the stored tags were made without
    docs: dict[str, np.ndarray]  # term -> sorted rowids


_known: dict[tuple[str, str], StoredTerms | None] = {}  # (topics version, topic) -> ...
_known_of: list[DocFacts] = []
_lock = threading.Lock()


def stored_terms(
    con: duckdb.DuckDBPyConnection, topic_id: str, facts: DocFacts
) -> StoredTerms | None:
    """What the stored tags say about `topic_id`'s terms (their matches read once per analytics
    copy and topics version); None when the stored tags cannot say."""
    stored = stored_definition(con, topic_id)
    if stored is None or stored.matcher != matcher_identity():
        return None
    key = (stored.topics_version, topic_id)
    with _lock:
        if not _known_of or _known_of[0] is not facts:
            _known.clear()
            _known_of[:] = [facts]
        if key in _known:
            return _known[key]
    found = _read(con, topic_id, rule_from_config(stored.definition))
    with _lock:
        if _known_of and _known_of[0] is facts:
            _known[key] = found
    return found


def _read(con: duckdb.DuckDBPyConnection, topic_id: str, rule: TopicRule) -> StoredTerms | None:
    if rule.query:
        return None
    spellings = Counter(t for ts in rule.terms.values() for t in ts)
    return StoredTerms(
        terms=frozenset(
            (lang, t) for lang, ts in rule.terms.items() for t in ts if spellings[t] == 1
        ),
        exclusions=frozenset((lang, t) for lang, ts in rule.exclude.items() for t in ts),
        docs=stored_matches(con, topic_id),
    )


def stored_term_pieces(
    con: duckdb.DuckDBPyConnection, rule: TopicRule, facts: DocFacts, window: np.ndarray
) -> dict[tuple[str, str], np.ndarray]:
    """(lang, term) -> the window's posts (sorted rowids) that term of `rule` matched, less
    those a stored exclusion removed, for the terms the stored tags answer; {} when none."""
    if rule.query:
        return {}
    stored = stored_terms(con, rule.topic_id, facts)
    if stored is None:
        return {}
    excluded = {(lang, t) for lang, ts in rule.exclude.items() for t in ts}
    if not stored.exclusions <= excluded:
        return {}
    inside = np.zeros(facts.size, dtype=bool)  # a mask: no sort of the whole window per term
    inside[window] = True
    found = {}
    for lang, ts in rule.terms.items():
        for t in ts:
            if (lang, t) in stored.terms:
                docs = stored.docs.get(t, _EMPTY)
                found[(lang, t)] = docs[inside[docs]]
    return found
