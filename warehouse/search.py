"""Full-text search over all posts, with Explore's filters, sorted and paged: `search_posts`.

Engine: our own inverted index (`warehouse.search_index`: every word under its German and its
English Snowball stem, postings by `_posts.rowid`), filtered and sorted over per-post numpy
columns (`warehouse.search_facts`). Chosen by measurement, 1,000,000 synthetic posts, this
2-core machine shared with other jobs (bench/explore.py, over HTTP through the app, two runs):
a plain scan for one word (`count(*)` of `text ILIKE '%word%'`, no stemming, no filter, no
page) p50 432-1,172 ms; this engine's search page p50 57-162 ms, p95 125-318 ms (target 500),
0.13-0.14x the scan. DuckDB's `fts` extension loads only into duckdb 1.5.5, a downgrade of the whole
product, and was not taken. Joining the hits with `_annotations` by `post_id` for the filters
cost 200-350 ms alone, hence the per-post arrays. Every search value reaches SQL as a
parameter.

A query is words (all must occur, each in any inflection: "Kundenservices" finds
"Kundenservice"); a word starting with "-" must not occur. The filters see what `_post_facts`
says of a post (a sentiment label wins over the computed sentiment) and the `post_topics` view
(see `warehouse.search_facts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import duckdb
import numpy as np

from earshot.warehouse.search_facts import SENTIMENT_CODES, DocFacts, doc_facts
from earshot.warehouse.search_index import stems_of, words_of
from earshot.warehouse.weeks import iso_week, parse_week, week_bounds

Sort = Literal["time", "engagement"]
SORTS: tuple[str, ...] = ("time", "engagement")
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
MAX_LIMIT = 200


class SearchError(ValueError):
    """A bad search parameter; `param` names it (the API answers 400 naming it)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


@dataclass(frozen=True, slots=True)
class SearchQuery:
    q: str | None = None
    week_from: str | None = None  # ISO weeks, both included
    week_to: str | None = None
    topic: str | None = None
    source: str | None = None
    lang: str | None = None
    sentiment: str | None = None  # negative | neutral | positive
    own: bool | None = None  # True: own posts only; False: audience only
    question: bool | None = None
    sort: Sort = "time"
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, slots=True)
class FoundPost:
    post_id: str
    url: str | None
    published_at: datetime | None
    source_id: str
    author: str | None
    title: str | None
    text: str
    lang: str | None
    sentiment: float | None
    sentiment_label: str | None
    is_question: bool | None
    is_own: bool
    engagement: int
    week: str | None
    topics: tuple[str, ...]
    matched_words: tuple[str, ...] = ()  # its words (lower case) the search found: to highlight

    def as_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        data["topics"] = list(self.topics)
        data["matched_words"] = list(self.matched_words)
        return data


@dataclass(frozen=True, slots=True)
class SearchResult:
    total: int
    posts: list[FoundPost] = field(default_factory=list)


def check_query(query: SearchQuery) -> None:
    """Raise `SearchError` naming the first bad parameter."""
    for name in ("week_from", "week_to"):
        value = getattr(query, name)
        if value is not None:
            try:
                parse_week(value)
            except ValueError as exc:
                raise SearchError(name, str(exc).split(": ", 1)[-1]) from None
    if query.sort not in SORTS:
        raise SearchError("sort", f"{query.sort!r}: expected one of {', '.join(SORTS)}")
    if query.sentiment is not None and query.sentiment not in SENTIMENTS:
        raise SearchError(
            "sentiment", f"{query.sentiment!r}: expected one of {', '.join(SENTIMENTS)}"
        )
    if not 1 <= query.limit <= MAX_LIMIT:
        raise SearchError("limit", f"{query.limit}: expected 1 to {MAX_LIMIT}")
    if query.offset < 0:
        raise SearchError("offset", f"{query.offset}: expected 0 or more")


def parse_terms(q: str | None) -> tuple[list[str], list[str]]:
    """(words that must occur, words that must not) of a search text."""
    wanted: list[str] = []
    unwanted: list[str] = []
    for chunk in (q or "").split():
        target = unwanted if chunk.startswith("-") and len(chunk) > 1 else wanted
        target.extend(w for w in words_of(chunk) if w not in target)
    return wanted, unwanted


def _docs(con: duckdb.DuckDBPyConnection, stems: list[str], keys: dict[str, int]) -> np.ndarray:
    """Sorted distinct docs (`_posts.rowid`) having a word with any of `stems`."""
    ids = [keys[s] for s in stems if s in keys]
    if not ids:
        return np.empty(0, dtype=np.int64)
    marks = ", ".join("?" for _ in ids)  # a literal IN list: pruned by the zone maps
    found = con.execute(
        f"SELECT DISTINCT doc FROM _search_postings WHERE key_id IN ({marks})", ids
    ).fetchnumpy()["doc"]
    return np.sort(np.asarray(found, dtype=np.int64))


def matching_docs(
    con: duckdb.DuckDBPyConnection, wanted: list[str], unwanted: list[str]
) -> np.ndarray | None:
    """Sorted docs having every wanted word and no unwanted one; None when none was asked for."""
    if not wanted and not unwanted:
        return None
    stems = sorted({s for w in wanted + unwanted for s in stems_of(w)})
    keys: dict[str, int] = dict(
        con.execute(
            "SELECT stem, key_id FROM _search_keys WHERE stem IN (SELECT unnest(?))", [stems]
        ).fetchall()
    )
    docs: np.ndarray | None = None
    for word in wanted:
        found = _docs(con, list(stems_of(word)), keys)
        docs = found if docs is None else np.intersect1d(docs, found, assume_unique=True)
    if docs is None:  # only unwanted words: every post
        last = con.execute("SELECT max(rowid) FROM _posts").fetchall()[0][0]
        docs = np.arange((last if last is not None else -1) + 1, dtype=np.int64)
    for word in unwanted:
        docs = np.setdiff1d(docs, _docs(con, list(stems_of(word)), keys), assume_unique=True)
    return docs


def search_filter(con: duckdb.DuckDBPyConnection, text: str) -> tuple[str, list[object]]:
    """The search's matches as a SQL filter on a post row `p` (with `post_id`), for lists that
    filter `_post_facts` themselves (`warehouse.post_lists.PostFilter.extra`)."""
    wanted, unwanted = parse_terms(text)
    if not wanted and not unwanted:
        raise SearchError("q", f"{text!r}: no word to search for")
    docs = matching_docs(con, wanted, unwanted)
    ids = post_ids_of(con, docs if docs is not None else np.empty(0, dtype=np.int64))
    return "p.post_id IN (SELECT unnest(?::VARCHAR[]))", [ids]


def search_docs(con: duckdb.DuckDBPyConnection, text: str) -> tuple[int, ...]:
    """The search's matches of `text` as `_posts.rowid`s (sorted), what `/search` finds, for
    lists that filter by rowid (`warehouse.post_lists.PostFilter.rowids`)."""
    wanted, unwanted = parse_terms(text)
    if not wanted and not unwanted:
        raise SearchError("q", f"{text!r}: no word to search for")
    docs = matching_docs(con, wanted, unwanted)
    return tuple(int(d) for d in (docs if docs is not None else ()))


def post_ids_of(con: duckdb.DuckDBPyConnection, docs: np.ndarray) -> list[str]:
    """The `post_id`s of `docs` (`_posts.rowid`), in storage order."""
    if not len(docs):
        return []
    rows = con.execute(
        "SELECT post_id FROM _posts WHERE rowid IN (SELECT unnest(?::BIGINT[]))",
        [[int(d) for d in docs]],
    ).fetchall()
    return [r[0] for r in rows]


def search_posts(
    con: duckdb.DuckDBPyConnection, query: SearchQuery, *, timezone: str | None = None
) -> SearchResult:
    """The posts `query` finds: how many in all, and the page `limit`/`offset` asks for.

    `timezone` is the organisation's (weeks are local); default: the warehouse's setting.
    """
    check_query(query)
    wanted, unwanted = parse_terms(query.q)
    facts = doc_facts(con)
    hits = matching_docs(con, wanted, unwanted)
    docs = facts.stored if hits is None else hits[hits < facts.size]
    keep = np.ones(len(docs), dtype=bool)
    zone = timezone or _timezone(con)
    if query.week_from:
        keep &= facts.seen_at[docs] >= _micros(week_bounds(query.week_from, zone)[0])
    if query.week_to:
        keep &= facts.seen_at[docs] < _micros(week_bounds(query.week_to, zone)[1])
    if query.source is not None:
        keep &= facts.source[docs] == _code(facts.sources, query.source)
    if query.lang is not None:
        keep &= facts.lang[docs] == _code(facts.langs, query.lang)
    if query.sentiment is not None:
        keep &= facts.sentiment[docs] == SENTIMENT_CODES[query.sentiment]
    if query.own is not None:
        keep &= facts.own[docs] == query.own
    if query.question is not None:
        keep &= facts.question[docs] == query.question
    if query.topic is not None:
        tagged = facts.topics.get(query.topic, np.empty(0, dtype=np.int64))
        keep &= np.isin(docs, tagged, assume_unique=True)
    docs = docs[keep]
    total = len(docs)
    if total == 0 or query.offset >= total:
        return SearchResult(total, [])
    page = top_docs(docs, facts, query.sort, query.offset, query.limit)
    return SearchResult(total, posts_by_doc(con, page, tuple(wanted), facts=facts))


def top_docs(docs: np.ndarray, facts: DocFacts, sort: str, offset: int, limit: int) -> np.ndarray:
    """`docs[offset:offset+limit]` in the order `sort` asks for: newest (or most engaging,
    then newest) first, ties by rowid so that pages never overlap. Only the rows that can
    reach the page are sorted (a partition first): sorting 1,000,000 hits costs ~200 ms."""
    first = -facts.engagement[docs] if sort == "engagement" else -facts.seen_at[docs]
    want = offset + limit
    if want < len(docs) // 4:
        bound = np.partition(first, want - 1)[want - 1]
        near = first <= bound  # everything up to the page's last value, ties included
        docs, first = docs[near], first[near]
    keys: tuple[np.ndarray, ...] = (-docs, -facts.seen_at[docs])
    if sort == "engagement":
        keys = (*keys, first)
    order = np.lexsort(keys)
    return docs[order[offset:want]]


def _micros(instant: datetime) -> int:
    return int(instant.timestamp() * 1_000_000)


def _code(names: tuple[str, ...], value: str) -> int:
    try:
        return names.index(value)
    except ValueError:
        return -2  # no post has it: matches nothing (-1 stands for "none")


def posts_by_doc(
    con: duckdb.DuckDBPyConnection,
    docs: np.ndarray,
    matched: tuple[str, ...] = (),
    *,
    facts: DocFacts | None = None,
) -> list[FoundPost]:
    """The posts of `docs` (`_posts.rowid`), in that order: stored columns by rowid, the
    enrichment from `doc_facts` (the join by `post_id` costs more than the whole search)."""
    facts = facts or doc_facts(con)
    rowids = [int(d) for d in docs]
    rows = con.execute(
        """
        SELECT rowid, post_id, url, published_at, source_id, author, title, text,
               coalesce(likes, 0) + coalesce(reposts, 0) + coalesce(replies, 0)
        FROM _posts WHERE rowid IN (SELECT unnest(?::BIGINT[]))
        """,
        [rowids],
    ).fetchall()
    by_doc = {r[0]: r for r in rows}
    labels = {code: name for name, code in SENTIMENT_CODES.items()}
    asked = {stem for word in matched for stem in stems_of(word)}
    found = []
    for doc in rowids:
        r = by_doc.get(doc)
        if r is None:
            continue
        lang = int(facts.lang[doc])
        score = float(facts.score[doc])
        found.append(
            FoundPost(
                post_id=r[1],
                url=r[2],
                published_at=r[3],
                source_id=r[4],
                author=r[5],
                title=r[6],
                text=r[7],
                lang=facts.langs[lang] if lang >= 0 else None,
                sentiment=None if np.isnan(score) else round(score, 4),
                sentiment_label=labels.get(int(facts.sentiment[doc])),
                is_question=bool(facts.question[doc]),
                is_own=bool(facts.own[doc]),
                engagement=int(r[8]),
                week=iso_week(date(1970, 1, 1) + timedelta(days=int(facts.week_start[doc]))),
                topics=facts.topics_of(doc),
                matched_words=_found_words(f"{r[6] or ''} {r[7]}", asked),
            )
        )
    return found


def _found_words(text: str, stems: set[str]) -> tuple[str, ...]:
    """The words of `text` (as written, lower case) the search found it by: for highlighting."""
    if not stems:
        return ()
    return tuple(dict.fromkeys(w for w in words_of(text) if stems.intersection(stems_of(w))))


def _timezone(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT value FROM _settings WHERE key = 'timezone'").fetchall()
    return str(row[0][0]) if row else "UTC"
