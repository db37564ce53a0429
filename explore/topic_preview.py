"""The query preview: what a topic definition (terms, exclusions, a boolean query) would tag over
the last 12 weeks, before it is saved, against what the topic's stored tags say today.

The product's own matcher (`nlp.topics.TopicTagger` over the `nlp.tokenizer` word sequence, in
each post's stored language, as enrichment runs it) decides each piece of the definition (one
term, one exclusion, the query) on its own, and its matched terms are the evidence. A piece is
known from, first to last: an earlier preview of the same analytics copy (remembered), the stored
matches of a configured term (`explore.preview_stored`), the parts index (`explore.preview_parts`:
a one-word piece exactly, from the vocabulary of the matcher's input that enrichment recorded; a
phrase's or a query's candidates narrowed to the posts having each word), or, where that index
does not cover the posts, the full-text index's candidates (`warehouse.search_index`: posts with
a word containing a term's longest word). Candidates are decided by the matcher only where the
outcome needs them (`explore.preview_pieces`): a topic is tagged when a term matches or the query
holds and no exclusion matches, so the pieces combine into exactly what the whole definition
tags (tests/explore/test_topic_preview.py, test_preview_stored.py and test_preview_parts.py
check it). Editing one term then costs only that term; the first preview of a topic not in the
config costs a look-up of its words in the parts index, and the matcher over the few posts
where a phrase or the query decides.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import duckdb
import numpy as np

from earshot.explore.preview_matching import candidates
from earshot.explore.preview_parts import index_pieces
from earshot.explore.preview_pieces import Piece, evidence_of, has_doc, settle, settle_for
from earshot.explore.preview_stored import stored_term_pieces
from earshot.nlp.query import QueryError, parse_query
from earshot.nlp.records import TopicRule
from earshot.warehouse.search_facts import DocFacts, doc_facts
from earshot.warehouse.weeks import iso_week, last_complete_week, week_start

WEEKS = 12
SAMPLE = 10
_EPOCH = date(1970, 1, 1)


class PreviewError(ValueError):
    """The definition cannot be matched: which field, what, and where in it (a caret)."""

    def __init__(
        self, field: str, message: str, text: str = "", position: int | None = None
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field  # 'query' | 'terms'
        self.message = message
        self.text = text
        self.position = position


@dataclass(frozen=True, slots=True)
class SamplePost:
    post_id: str
    url: str | None
    published_at: datetime | None
    text: str
    lang: str | None
    evidence: tuple[str, ...]  # the matched terms
    change: str  # 'kept' | 'added' | 'lost'


@dataclass(frozen=True, slots=True)
class WeekCount:
    week: str
    matched: int  # posts the new definition tags
    current: int  # posts the topic's stored tags cover


@dataclass(frozen=True, slots=True)
class Preview:
    weeks: list[WeekCount]
    matched: int
    current: int
    added: int
    lost: int
    candidates: int  # posts the matcher looked at
    sample: list[SamplePost] = field(default_factory=list)  # matched, newest first
    added_sample: list[SamplePost] = field(default_factory=list)
    lost_sample: list[SamplePost] = field(default_factory=list)


def check_rule(rule: TopicRule) -> None:
    """`PreviewError` for a query that does not parse (with its position) or no term at all."""
    if rule.query:
        try:
            parse_query(rule.query)
        except QueryError as exc:
            raise PreviewError("query", str(exc), rule.query, exc.position) from None
    if not rule.query and not any(rule.terms.values()):
        raise PreviewError("terms", "give at least one term or a query")


def preview_topic(
    con: duckdb.DuckDBPyConnection,
    rule: TopicRule,
    *,
    now: datetime,
    timezone: str,
    sample: int = SAMPLE,
) -> Preview:
    """What `rule` tags in the 12 weeks up to the last complete one, beside the stored tags
    of topic `rule.topic_id` (none for a new topic)."""
    check_rule(rule)
    facts = doc_facts(con)
    last = week_start(last_complete_week(now, timezone))
    first = last - timedelta(weeks=WEEKS - 1)
    lo, hi = (first - _EPOCH).days, (last - _EPOCH).days
    in_window = (facts.week_start >= lo) & (facts.week_start <= hi)
    window = facts.stored[in_window[facts.stored]]
    matched, evidence, candidates = _decide(con, rule, window, facts, (lo, hi))
    current = facts.topics.get(rule.topic_id, np.empty(0, dtype=np.int64))
    current = current[in_window[current]] if len(current) else current
    added = np.setdiff1d(matched, current, assume_unique=True)
    lost = np.setdiff1d(current, matched, assume_unique=True)
    weeks = []
    for n in range(WEEKS):
        day = lo + 7 * n
        weeks.append(
            WeekCount(
                iso_week(_EPOCH + timedelta(days=day)),
                int(np.count_nonzero(facts.week_start[matched] == day)),
                int(np.count_nonzero(facts.week_start[current] == day)),
            )
        )
    shown = [_newest(facts, docs, sample) for docs in (matched, added, lost)]
    evidence.resolve(np.unique(np.concatenate(shown)))  # one matcher pass, if any is needed
    candidates += evidence.looked
    return Preview(
        weeks=weeks,
        matched=len(matched),
        current=len(current),
        added=len(added),
        lost=len(lost),
        candidates=candidates,
        sample=_sample(con, facts, shown[0], evidence, added=set(added.tolist())),
        added_sample=_sample(con, facts, shown[1], evidence, change="added"),
        lost_sample=_sample(con, facts, shown[2], evidence, change="lost"),
    )


# What each piece of a definition (one term, one exclusion, the query) tags in a window, as far
# as decided (`explore.preview_pieces`), so that the next preview (the user editing one term)
# decides only the piece that changed. The matcher decides each piece on its own: a topic is
# tagged when a term matches or the query holds, and no exclusion matches (`TopicTagger.match`);
# pieces keep the suffixes the whole rule gives them.
_pieces: dict[tuple[object, ...], Piece] = {}
_pieces_of: list[DocFacts] = []
_pieces_lock = threading.Lock()
MAX_PIECES = 512
MAX_OPEN = 200_000  # a piece with more undecided posts is not kept (8 bytes a post)


class Evidence:
    """Each tagged (or lost) post's matched terms, the pieces decided for it on demand."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        facts: DocFacts,
        pieces: list[Piece],
        keys: list[tuple[object, ...] | None],
    ) -> None:
        self.con, self.facts, self.pieces, self.keys = con, facts, pieces, keys
        self.looked = 0  # posts the matcher looked at for the evidence

    def resolve(self, docs: np.ndarray) -> None:
        """Decide the pieces for `docs` (sorted rowids) in one matcher pass."""
        self.pieces, looked = settle_for(self.con, self.facts, self.pieces, docs)
        self.looked += looked
        if looked:
            _keep(self.facts, self.keys, self.pieces)

    def __call__(self, doc: int) -> tuple[str, ...]:
        if any(p.positive and has_doc(p.open, doc) for p in self.pieces):
            self.resolve(np.array([doc], dtype=np.int64))
        return evidence_of(self.pieces, doc)


def _keep(facts: DocFacts, keys: list[tuple[object, ...] | None], pieces: list[Piece]) -> None:
    """Remember the pieces of these keys (None: a piece not to keep) for the next preview."""
    with _pieces_lock:
        if not _pieces_of or _pieces_of[0] is not facts:
            return  # another analytics copy came meanwhile
        if len(_pieces) > MAX_PIECES:
            _pieces.clear()
        for key, piece in zip(keys, pieces, strict=True):
            if key is None:
                continue
            if len(piece.open) <= MAX_OPEN:
                _pieces[key] = piece
            else:
                _pieces.pop(key, None)


def _decide(
    con: duckdb.DuckDBPyConnection,
    rule: TopicRule,
    window: np.ndarray,
    facts: DocFacts,
    bounds: tuple[int, int],
) -> tuple[np.ndarray, Evidence, int]:
    """The window's docs `rule` tags (sorted), each doc's evidence, and how many candidate
    posts the matcher looked at (for the pieces not known from an earlier preview)."""
    specs: list[Piece] = [
        Piece("term", term, TopicRule(rule.topic_id, None, {lang: (term,)}))
        for lang, ts in sorted(rule.terms.items())
        for term in ts
    ]
    specs += [
        Piece("exclude", term, TopicRule(rule.topic_id, None, {lang: (term,)}))
        for lang, ts in sorted(rule.exclude.items())
        for term in ts
    ]
    if rule.query:  # the query with the suffixes the rule's term languages give it
        specs.append(
            Piece(
                "query",
                "",
                TopicRule(rule.topic_id, None, {lang: () for lang in rule.terms}, query=rule.query),
            )
        )
    keys: list[tuple[object, ...] | None] = [
        (id(facts), bounds, p.kind, repr(p.rule)) for p in specs
    ]
    results: dict[int, Piece] = {}
    with _pieces_lock:
        if _pieces_of and _pieces_of[0] is not facts:
            _pieces.clear()  # another analytics copy: its posts and tags differ
        _pieces_of[:] = [facts]
        for n, key in enumerate(keys):
            if key in _pieces:
                results[n] = _pieces[key]
    # a term not known, or known only in part (from the parts index: a phrase's posts not all
    # decided), is taken from the stored matches when they can say
    todo = [n for n in range(len(specs)) if n not in results or len(results[n].open)]
    if any(specs[n].kind == "term" for n in todo):
        # the configured terms' posts from the stored matches (not kept as pieces: they lack
        # the posts the stored exclusions removed, so they hold only while those stay)
        known = stored_term_pieces(con, rule, facts, window)
        for n in [n for n in todo if specs[n].kind == "term"]:
            lang = next(iter(specs[n].rule.terms))
            docs = known.get((lang, specs[n].term))
            if docs is not None:
                results[n] = replace(specs[n], docs=docs)
                keys[n] = None
                todo.remove(n)
    todo = [n for n in todo if n not in results]
    if todo:
        fresh = index_pieces(con, [specs[n] for n in todo], window, facts)
        if fresh is None:  # no parts index for these posts: the matcher decides all
            found = candidates(con, [specs[n].rule for n in todo], window)
            fresh = [replace(specs[n], open=found) for n in todo]
        results.update(zip(todo, fresh, strict=True))
    pieces = [results[n] for n in range(len(specs))]
    tagged, pieces, looked = settle(con, facts, pieces)
    _keep(facts, keys, pieces)
    return tagged, Evidence(con, facts, pieces, keys), looked


def _newest(facts: DocFacts, docs: np.ndarray, n: int) -> np.ndarray:
    """The `n` newest of `docs`, newest first."""
    if not len(docs) or n <= 0:
        return np.empty(0, dtype=np.int64)
    return docs[np.lexsort((-docs, -facts.seen_at[docs]))[:n]]


def _sample(
    con: duckdb.DuckDBPyConnection,
    facts: DocFacts,
    newest: np.ndarray,
    evidence: Callable[[int], tuple[str, ...]],
    *,
    change: str = "kept",
    added: set[int] | None = None,
) -> list[SamplePost]:
    if not len(newest):
        return []
    rows = con.execute(
        "SELECT rowid, post_id, url, published_at, text FROM _posts "
        "WHERE rowid IN (SELECT unnest(?::BIGINT[]))",
        [newest.tolist()],
    ).fetchall()
    by_doc = {int(r[0]): r for r in rows}
    out = []
    for doc in newest.tolist():
        r = by_doc[doc]
        code = int(facts.lang[doc])
        kind = "added" if added is not None and doc in added else change
        out.append(
            SamplePost(
                post_id=r[1],
                url=r[2],
                published_at=r[3],
                text=r[4],
                lang=facts.langs[code] if code >= 0 else None,
                evidence=evidence(doc),
                change=kind,
            )
        )
    return out


def rule_from_form(
    topic_id: str,
    bucket_id: str | None,
    terms: Mapping[str, str],
    exclude: Mapping[str, str],
    query: str,
) -> TopicRule:
    """A `TopicRule` from the form's text fields: one term per line (or comma-separated)."""
    return TopicRule(
        topic_id=topic_id,
        bucket_id=bucket_id,
        terms={lang: tuple(_lines(text)) for lang, text in terms.items() if _lines(text)},
        exclude={lang: tuple(_lines(text)) for lang, text in exclude.items() if _lines(text)},
        query=query.strip() or None,
    )


def _lines(text: str) -> list[str]:
    items = [part.strip() for line in text.splitlines() for part in line.split(",")]
    return [i for i in items if i]
