"""The query preview's exact step: the candidate posts of a definition from the full-text
index, and the product's topic matcher run over their word sequences (remembered per post)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import duckdb
import numpy as np
import spacy

from earshot.nlp.normalise import BOUNDARY, split_parts
from earshot.nlp.query import evaluate, parse_query, query_terms
from earshot.nlp.records import TopicRule
from earshot.nlp.tokenizer import EarshotTokenizer, split
from earshot.nlp.topics import COMPOUNDING, TopicTagger
from earshot.warehouse.search_facts import DocFacts


def _positive_terms(rule: TopicRule) -> list[str]:
    terms = [t for ts in rule.terms.values() for t in ts]
    if rule.query:
        terms.extend(query_terms(parse_query(rule.query)))
    return terms


def candidates(
    con: duckdb.DuckDBPyConnection, rules: Sequence[TopicRule], window: np.ndarray
) -> np.ndarray:
    """The window's posts the matcher must look at for any of `rules` (sorted rowids)."""
    if any(rule.query and evaluate(parse_query(rule.query), {})[0] for rule in rules):
        return window  # a query holds without any term: every post may match
    # a post the matcher tags has a word containing each word of the term; the longest is the
    # most selective ("E-Mail-Marketing": "marketing", not "e")
    firsts = sorted(
        {
            max(parts, key=len)
            for rule in rules
            for t in _positive_terms(rule)
            if (parts := split_parts(t))
        }
    )
    if not firsts:
        return np.empty(0, dtype=np.int64)
    found = con.execute(
        """
        SELECT DISTINCT p.doc FROM _search_postings p
        WHERE p.key_id IN (
            SELECT unnest([w.key_de, w.key_en]) FROM _search_words w
            WHERE len(list_filter(?::VARCHAR[], lambda x: contains(w.folded, x))) > 0
        )
        """,
        [firsts],
    ).fetchnumpy()["doc"]
    docs = np.unique(np.asarray(found, dtype=np.int64))
    return np.intersect1d(docs, window, assume_unique=True)


_tokenizers: dict[str, EarshotTokenizer] = {}
lock = threading.Lock()


def _tokenizer(lang: str) -> EarshotTokenizer:
    """Our tokenizer on a blank pipeline's vocabulary of `lang` (its lexeme flags differ)."""
    with lock:
        tok = _tokenizers.get(lang)
        if tok is None:
            try:
                vocab = spacy.blank(lang).vocab
            except (ImportError, KeyError, ValueError):
                vocab = spacy.blank("xx").vocab
            tok = _tokenizers[lang] = EarshotTokenizer(vocab)
        return tok


_URL_STARTS = ("http:", "https:", "www.")  # `WordInfo.is_url` whatever else the word holds
_URL_PARTS = (BOUNDARY,)  # a URL's `WordInfo.topic_parts`


def word_sequence(tok: EarshotTokenizer, text: str) -> list[str]:
    """`nlp.topics.word_sequence` of the doc `tok` makes of `text`, without making the doc.

    A URL's parts are known without its `WordInfo` (a boundary): most posts carry a URL of
    their own, whose info would be computed once, never reused, and crowd the word cache.
    """
    words, _ = split(text)
    info = tok.info
    cache = tok._infos
    return [
        part
        for w in words
        for part in (
            _URL_PARTS if w.startswith(_URL_STARTS) else (cache.get(w) or info(w)).topic_parts
        )
    ]


def post_sequence(tok: EarshotTokenizer, title: str, text: str) -> list[str]:
    """The word sequence of a post as enrichment reads it: "title\ntext" (or either alone).

    Whitespace adds nothing to a word sequence and no token spans it, so the title's and the
    text's sequences joined are the whole one (and each takes `split`'s quick way when its
    words are separated by single spaces, which the line break between them prevents).
    """
    if not title:
        return word_sequence(tok, text)
    return word_sequence(tok, title) + word_sequence(tok, text)


def warm_tokenizers(langs: Sequence[str] = ("de", "en", "xx")) -> None:
    """Build the tokenizers before the first preview needs them (a blank pipeline's vocabulary
    takes a quarter of a second per language)."""
    for lang in langs:
        _tokenizer(lang)


# Word sequences of posts already looked at, by rowid: tokenizing is most of a preview's cost
# and does not depend on the definition, so the next preview (the user typing on) reuses them.
# Posts never change their text; the sequences are dropped when the facts are read anew.
_sequences: dict[int, list[str]] = {}
_sequences_of: list[DocFacts] = []
MAX_SEQUENCES = 400_000


def match(
    con: duckdb.DuckDBPyConnection, rules: Sequence[TopicRule], docs: np.ndarray, facts: DocFacts
) -> list[tuple[np.ndarray, dict[int, tuple[str, ...]]]]:
    """For each of `rules` (distinct topic ids): the docs it tags (sorted) and each one's
    matched terms; one matcher pass over each doc for all of them."""
    if not len(docs):
        return [(np.empty(0, dtype=np.int64), {}) for _ in rules]
    with lock:
        if not _sequences_of or _sequences_of[0] is not facts:
            _sequences.clear()
            _sequences_of[:] = [facts]
        if len(_sequences) + len(docs) > MAX_SEQUENCES:
            _sequences.clear()  # keep this preview's posts rather than older ones
    extra: dict[int, list[str]] = {}  # beyond MAX_SEQUENCES: used once, not kept
    missing = [d for d in docs.tolist() if d not in _sequences]
    if missing:
        for doc, title, text in _texts(con, np.array(missing, dtype=np.int64)):
            code = int(facts.lang[doc])
            tok = _tokenizer(facts.langs[code] if code >= 0 else "xx")
            target = _sequences if len(_sequences) < MAX_SEQUENCES else extra
            target[doc] = post_sequence(tok, title, text)
    index = {rule.topic_id: n for n, rule in enumerate(rules)}
    taggers: dict[str, TopicTagger] = {}
    matched: list[list[int]] = [[] for _ in rules]
    evidence: list[dict[int, tuple[str, ...]]] = [{} for _ in rules]
    for doc in docs.tolist():
        known = _sequences.get(doc)
        # `extra`: beyond the cache; neither: a post whose row is gone (no words, no match)
        seq = known if known is not None else extra.get(doc, [])
        code = int(facts.lang[doc])
        lang = facts.langs[code] if code >= 0 else "xx"
        tagger = taggers.get(lang)
        if tagger is None:
            tagger = taggers[lang] = TopicTagger(rules, lang=lang, compounds=lang in COMPOUNDING)
        for found in tagger.match(seq):
            n = index[found.topic_id]
            matched[n].append(doc)
            evidence[n][doc] = found.matched_terms
    return [(np.array(m, dtype=np.int64), e) for m, e in zip(matched, evidence, strict=True)]


def _texts(con: duckdb.DuckDBPyConnection, docs: np.ndarray) -> Sequence[tuple[int, str, str]]:
    """(rowid, title, text) of each doc: what enrichment reads is the title, a line break and
    the text (the text alone without a title, the title alone without a text)."""
    rows = con.execute(
        "SELECT rowid, coalesce(title, ''), coalesce(text, '') FROM _posts "
        "WHERE rowid IN (SELECT unnest(?::BIGINT[]))",
        [docs.tolist()],
    ).fetchall()
    return [(int(r[0]), r[1], r[2]) for r in rows]
