"""What search filters and sorts on, per post, as numpy columns indexed by `_posts.rowid`.

Filtering the index's hits by language, sentiment, topic, own/audience or question in SQL means
joining them with `_annotations` and `_post_topics` by `post_id` (a hash string): at 1,000,000
posts that join alone costs 200-350 ms. Read once into arrays (about 30 bytes a post; the read
takes ~6 s at 1,000,000 posts on two busy cores: the first search after a publish), every
filter is a mask over the hits and costs microseconds.

The columns are `_post_facts`'s (analyst_views.sql: a post's sentiment label wins over the
computed sentiment), computed the same way but with the rowid; the topics are the `post_topics`
view's (a correction that view applies applies here). They are kept per database and checked on
each use by a cheap fingerprint (the file's inode, time and size, and the post, annotation,
tag, label and own-source counts): a new analytics copy (a publish replaces the file) or new
rows make the next search read them again. A new copy that differs from the last one read only
in labels added (a correction's republish: sums of row hashes of everything else, ~0.2 s at
1,000,000 posts, say so) has only the labelled posts read again, by the same queries narrowed
to them, instead of every post (~2 s). (A live warehouse that rewrites annotations in place
without a checkpoint is not noticed; Explore reads the analytics copy.)
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from earshot.warehouse.facts import week_start_sql

SENTIMENT_CODES = {"negative": 0, "neutral": 1, "positive": 2}

_FINGERPRINT = """
SELECT (SELECT file FROM pragma_database_list WHERE name = current_database()),
       (SELECT max(rowid) FROM _posts), (SELECT count(*) FROM _annotations),
       (SELECT count(*) FROM _post_topics), (SELECT max(label_id) FROM _labels),
       (SELECT count(*) FROM _sources WHERE owned)
"""


@dataclass(frozen=True, slots=True)
class DocFacts:
    """Columns of every post (index = `_posts.rowid`); codes index the name tuples."""

    seen_at: np.ndarray  # int64 µs since the epoch: coalesce(published_at, fetched_at)
    week_start: np.ndarray  # int32 days since the epoch: the local Monday of its ISO week
    engagement: np.ndarray  # int64 likes + reposts + replies
    source: np.ndarray  # int32 code into `sources`
    lang: np.ndarray  # int16 code into `langs` (-1: not enriched)
    sentiment: np.ndarray  # int8 SENTIMENT_CODES (-1: none)
    score: np.ndarray  # float32 sentiment score (NaN: none)
    question: np.ndarray  # bool
    own: np.ndarray  # bool
    sources: tuple[str, ...]
    langs: tuple[str, ...]
    topics: dict[str, np.ndarray]  # topic_id -> sorted rowids tagged with it
    stored: np.ndarray  # sorted rowids of the stored posts (rowids of rolled-back rows lack)

    @property
    def size(self) -> int:
        return int(self.seen_at.shape[0])

    def topics_of(self, doc: int) -> tuple[str, ...]:
        """The topics `doc` is tagged with, by id."""
        found = []
        for topic, docs in sorted(self.topics.items()):
            i = int(np.searchsorted(docs, doc))
            if i < len(docs) and docs[i] == doc:
                found.append(topic)
        return tuple(found)


# What the columns other than the sentiment and the topics are read from, as sums of row
# hashes (~0.2 s at 1,000,000 posts, a tenth of reading the columns): a new copy with the same
# sums differs from the last one read at most in its labels (corrections), whose posts alone
# are read again.
_BASE = """
SELECT (SELECT count(*) FROM _posts),
       (SELECT sum(hash(rowid, post_id, published_at, fetched_at, likes, reposts, replies,
                        source_id)) FROM _posts),
       (SELECT sum(hash(post_id, lang, sentiment, sentiment_label, is_question))
        FROM _annotations),
       (SELECT sum(hash(post_id, topic_id, bucket_id)) FROM _post_topics),
       (SELECT sum(hash(post_id, topic_id, bucket_id)) FROM _post_topics_rejected),
       (SELECT string_agg(topic_id || '/' || coalesce(bucket_id, ''), ',' ORDER BY topic_id)
        FROM _topics),
       (SELECT string_agg(source_id, ',' ORDER BY source_id) FROM _sources WHERE owned),
       (SELECT value FROM _settings WHERE key = 'timezone')
"""
_LABELS = "SELECT coalesce(max(label_id), -1), count(*) FROM _labels"


@dataclass(frozen=True, slots=True)
class _Held:
    stamp: tuple[object, ...]  # `_FINGERPRINT` of the database read, with its file's stamp
    base: tuple[object, ...]  # `_BASE` of it
    labels: tuple[int, int]  # its newest label_id and its number of labels
    facts: DocFacts


_held: _Held | None = None  # one database at a time: the app reads one copy
_lock = threading.Lock()


def doc_facts(con: duckdb.DuckDBPyConnection) -> DocFacts:
    """The current `DocFacts` of `con`'s database (read again when it changed; when only its
    labels did, as after a correction's republish, only the labelled posts are read again)."""
    global _held
    row = con.execute(_FINGERPRINT).fetchall()[0]
    name = str(row[0])
    try:
        st = os.stat(name)
        stamp: tuple[object, ...] = (name, st.st_ino, st.st_mtime_ns, st.st_size, *row[1:])
    except OSError:  # an in-memory database
        stamp = (name, *row[1:])
    with _lock:
        held = _held
        if held is not None and held.stamp == stamp:
            return held.facts
        base = tuple(con.execute(_BASE).fetchall()[0])
        newest, count = (int(v) for v in con.execute(_LABELS).fetchall()[0])
        size = int(row[1]) + 1 if row[1] is not None else 0
        if held is not None and held.base == base and _only_added(con, held.labels, count):
            facts = _relabelled(con, held.facts, held.labels[0])
        else:
            facts = _read(con, size)
        _held = _Held(stamp, base, (newest, count), facts)
        return facts


def _only_added(con: duckdb.DuckDBPyConnection, before: tuple[int, int], count: int) -> bool:
    """Whether the labels of `before` (newest id, count) are all still there: labels were
    only added since."""
    newest, had = before
    if count < had:
        return False
    kept = con.execute("SELECT count(*) FROM _labels WHERE label_id <= ?", [newest]).fetchall()
    return int(kept[0][0]) == had


def _columns_sql(where: str = "") -> str:
    """The columns of `_post_facts` (analyst_views.sql), computed the same way, with the
    rowid; `where` narrows the posts (a correction's)."""
    week = week_start_sql("coalesce(p.published_at, p.fetched_at)")
    return f"""
        SELECT p.rowid AS doc,
               epoch_us(coalesce(p.published_at, p.fetched_at)) AS seen_at,
               CAST({week} - DATE '1970-01-01' AS INTEGER) AS week_start,
               coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)
                   AS engagement,
               p.source_id, a.lang,
               CASE _sentiment_label_in_force(l.sentiment, a.sentiment_label)
                    WHEN 'negative' THEN 0 WHEN 'neutral' THEN 1 WHEN 'positive' THEN 2
                    ELSE -1 END AS sentiment,
               coalesce(_sentiment_in_force(l.sentiment, a.sentiment), 'NaN'::DOUBLE) AS score,
               coalesce(a.is_question, false) AS question,
               coalesce(s.owned, false) AS own
        FROM _posts p
        LEFT JOIN _annotations a USING (post_id)
        LEFT JOIN _post_sentiment_labels l USING (post_id)
        LEFT JOIN _sources s USING (source_id)
        {where}
        """


_TAGGED = "SELECT t.topic_id, p.rowid FROM post_topics t JOIN _posts p USING (post_id)"


def _relabelled(con: duckdb.DuckDBPyConnection, facts: DocFacts, after: int) -> DocFacts:
    """`facts` with the posts labelled after label `after` read again (their sentiment in
    force and their topics; nothing else of theirs a label changes), the same queries as
    `_read`'s narrowed to them. The arrays of `facts` are not changed (searches may be
    reading them): the changed ones are copies."""
    labelled = f"p.post_id IN (SELECT post_id FROM _labels WHERE label_id > {int(after)})"
    cols = con.sql(_columns_sql(f"WHERE {labelled}")).to_arrow_table()
    if cols.num_rows == 0:
        return facts
    doc = cols["doc"].to_numpy().astype(np.int64)
    sentiment, score = facts.sentiment.copy(), facts.score.copy()
    sentiment[doc] = cols["sentiment"].to_numpy(zero_copy_only=False).astype(np.int8)
    score[doc] = cols["score"].to_numpy(zero_copy_only=False).astype(np.float32)
    rows = con.execute(f"{_TAGGED} WHERE {labelled}").fetchall()
    now_tagged: dict[str, set[int]] = {}
    for topic, rowid in rows:
        now_tagged.setdefault(str(topic), set()).add(int(rowid))
    topics = dict(facts.topics)
    for topic in set(topics) | set(now_tagged):
        docs = topics.get(topic, np.empty(0, dtype=np.int64))
        kept = docs[~np.isin(docs, doc)]
        added = np.fromiter(now_tagged.get(topic, ()), dtype=np.int64)
        merged = np.unique(np.concatenate([kept, added]))
        if merged.size:
            topics[topic] = merged
        else:  # as `_read` has it: a topic without posts has no entry
            topics.pop(topic, None)
    return replace(facts, sentiment=sentiment, score=score, topics=topics)


def _read(con: duckdb.DuckDBPyConnection, size: int) -> DocFacts:
    cols = con.sql(_columns_sql()).to_arrow_table()
    doc = cols["doc"].to_numpy().astype(np.int64)

    def column(name: str, dtype: type, fill: object) -> np.ndarray:
        out: np.ndarray = np.full(size, fill, dtype=dtype)
        out[doc] = cols[name].to_numpy(zero_copy_only=False).astype(dtype)
        return out

    sources, source_codes = _codes(cols["source_id"])
    langs, lang_codes = _codes(cols["lang"])
    source = np.full(size, -1, dtype=np.int32)
    source[doc] = source_codes
    lang = np.full(size, -1, dtype=np.int16)
    lang[doc] = lang_codes
    topics: dict[str, np.ndarray] = {}
    tagged = con.sql(_TAGGED).to_arrow_table()
    if tagged.num_rows:
        names, codes = _codes(tagged["topic_id"])
        rows = tagged["rowid"].to_numpy().astype(np.int64)
        for i, topic in enumerate(names):
            topics[topic] = np.unique(rows[codes == i])
    return DocFacts(
        seen_at=column("seen_at", np.int64, 0),
        week_start=column("week_start", np.int32, 0),
        engagement=column("engagement", np.int64, 0),
        source=source,
        lang=lang,
        sentiment=column("sentiment", np.int8, -1),
        score=column("score", np.float32, np.nan),
        question=column("question", np.bool_, False),
        own=column("own", np.bool_, False),
        sources=sources,
        langs=langs,
        topics=topics,
        stored=np.sort(doc),
    )


def _codes(values: pa.ChunkedArray) -> tuple[tuple[str, ...], np.ndarray]:
    """Distinct non-null strings and each value's code into them (-1 for null)."""
    encoded = pc.dictionary_encode(values).combine_chunks()
    names = tuple(str(v) for v in encoded.dictionary.to_pylist())
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
    return names, codes
