"""The query preview's pieces from the parts index (`warehouse.topic_parts`): one-word patterns
decided over the vocabulary of the matcher's own input, not over the posts.

Whether a post matches a pattern of one word (a one-word term or exclusion, a multi-word term's
joined variant "#customerexperience") depends only on its distinct word parts and its language
(`nlp.topics.TopicTagger.one_word_terms`). So a piece of one word is decided exactly: the
recorded parts holding the word (a SQL pre-filter: every match holds it, inflected or at the end
of a compound), the matcher's own rule on each of those few parts in each post language, then
the posts of that language having a matching part. A multi-word term or a query needs word
positions: its posts having a part that holds each of its (longer) words stay open for the
matcher (`explore.preview_pieces`), far fewer than the full-text index's candidates.

Used only where the index is complete and current: every stored post's parts recorded under the
one topics version they are all tagged with, by the matcher code this app runs
(`nlp.topics.matcher_identity`). Otherwise `index_pieces` says None and the preview matches as
before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import duckdb
import numpy as np

from earshot.explore.preview_pieces import EMPTY, Piece
from earshot.nlp.normalise import split_parts
from earshot.nlp.query import All, Near, Node, Not, Term, parse_query, query_terms
from earshot.nlp.topics import COMPOUNDING, TopicTagger, matcher_identity
from earshot.warehouse.search_facts import DocFacts
from earshot.warehouse.topic_parts import parts_version, postings, vocabulary


def index_usable(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the parts index covers every stored post, recorded by this app's matcher code.

    Asked on every preview (a few counts): a re-tag can change it without changing the
    posts' facts."""
    found = parts_version(con)
    return found is not None and found[1] == matcher_identity()


def _selective(words: Sequence[str]) -> list[str]:
    """The words whose parts narrow a phrase's candidates: the longer ones (a one-letter word
    is held by most parts), at least the longest."""
    longest = max(words, key=len)
    return sorted({w for w in words if len(w) >= 4} | {longest})


def _phrases(piece: Piece) -> list[tuple[str, ...]]:
    """The word tuples of the piece's terms (a query's: all of its terms)."""
    terms: Sequence[str] = [piece.term]
    if piece.kind == "query":
        assert piece.rule.query is not None
        terms = query_terms(parse_query(piece.rule.query))
    return [words for t in terms if (words := split_parts(t))]


def index_pieces(
    con: duckdb.DuckDBPyConnection, pieces: Sequence[Piece], window: np.ndarray, facts: DocFacts
) -> list[Piece] | None:
    """The pieces (kind, term and rule set, nothing decided) with what the index decides of
    them in `window`; None when the index does not cover the posts."""
    if not index_usable(con):
        return None
    exact_words = {
        n: words[0]
        for n, p in enumerate(pieces)
        if p.kind != "query" and len(words := split_parts(p.term)) == 1
    }
    joined = {
        n: "".join(words)
        for n, p in enumerate(pieces)
        if p.kind != "query" and len(words := split_parts(p.term)) > 1
    }
    wanted = set(exact_words.values()) | set(joined.values())
    for n, p in enumerate(pieces):
        if n not in exact_words:
            wanted.update(w for words in _phrases(p) for w in _selective(words))
    vocab = vocabulary(con, sorted(wanted))
    # the parts each piece's one-word pattern matches, per post language (the matcher's rule)
    codes = np.unique(facts.lang[window]).tolist() if len(window) else []
    matching: dict[int, dict[int, set[int]]] = {}
    for n, word in {**exact_words, **joined}.items():
        near = [(pid, part) for pid, part in vocab if word in part]
        per_lang: dict[int, set[int]] = {}
        for code in codes:
            lang = facts.langs[code] if code >= 0 else "xx"
            tagger = TopicTagger([pieces[n].rule], lang=lang, compounds=lang in COMPOUNDING)
            per_lang[code] = {pid for pid, part in near if tagger.one_word_terms(part)}
        matching[n] = per_lang
    holding = {w: {pid for pid, part in vocab if w in part} for w in wanted}
    ids = set().union(*holding.values()) if holding else set()
    docs, part_ids = postings(con, sorted(ids))
    in_window = np.zeros(facts.size, dtype=bool)
    in_window[window] = True
    inside = in_window[docs]
    docs, part_ids = docs[inside], part_ids[inside]
    langs = facts.lang[docs] if len(docs) else np.empty(0, dtype=np.int16)

    def having(found: set[int], code: int | None = None) -> np.ndarray:
        if not found:
            return EMPTY
        mask = np.isin(part_ids, np.fromiter(found, dtype=np.int64))
        if code is not None:
            mask &= langs == code
        return np.unique(docs[mask])

    def exact(n: int) -> np.ndarray:
        per_lang = [having(found, code) for code, found in matching[n].items()]
        per_lang = [d for d in per_lang if len(d)]
        return np.unique(np.concatenate(per_lang)) if per_lang else EMPTY

    def phrase_candidates(words: tuple[str, ...]) -> np.ndarray:
        if not words:
            return EMPTY
        found: np.ndarray | None = None
        for w in _selective(words):
            have = having(holding[w])
            found = have if found is None else np.intersect1d(found, have, assume_unique=True)
        return found if found is not None else EMPTY

    out: list[Piece] = []
    for n, p in enumerate(pieces):
        if n in exact_words:
            out.append(_with(p, exact(n), EMPTY))
            continue
        if p.kind == "query":
            assert p.rule.query is not None
            found = _query_candidates(
                parse_query(p.rule.query), lambda t: phrase_candidates(split_parts(t))
            )
            out.append(_with(p, EMPTY, window if found is None else found))
            continue
        matched = exact(n) if n in joined else EMPTY
        open_ = phrase_candidates(split_parts(p.term))
        out.append(_with(p, matched, np.setdiff1d(open_, matched, assume_unique=True)))
    return out


def _query_candidates(node: Node, term_docs: Callable[[str], np.ndarray]) -> np.ndarray | None:
    """The posts where the query may hold (sorted), from the posts where each of its terms may
    hit; None when it may hold on any post ("NOT jobs", "a OR NOT b")."""
    if isinstance(node, Term):
        return term_docs(node.text) if split_parts(node.text) else EMPTY
    if isinstance(node, Near):
        return np.intersect1d(term_docs(node.left.text), term_docs(node.right.text))
    if isinstance(node, Not):
        return None
    found = [_query_candidates(item, term_docs) for item in node.items]
    if isinstance(node, All):
        known = [f for f in found if f is not None]
        if not known:
            return None
        out = known[0]
        for f in known[1:]:
            out = np.intersect1d(out, f, assume_unique=True)
        return out
    if any(f is None for f in found):
        return None
    return np.unique(np.concatenate([f for f in found if f is not None] or [EMPTY]))


def _with(piece: Piece, docs: np.ndarray, open_: np.ndarray) -> Piece:
    return replace(piece, docs=np.asarray(docs, dtype=np.int64), open=open_)
