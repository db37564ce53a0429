"""What search filters and sorts on, per post, as numpy columns indexed by `_posts.rowid`.

Filtering the index's hits by language, sentiment, topic, own/audience or question in SQL means
joining them with `_annotations` and `_post_topics` by `post_id` (a hash string): at 1,000,000
posts that join alone costs 200-350 ms. Read once into arrays (about 30 bytes a post; the read
takes ~6 s at 1,000,000 posts on two busy cores: the first search after a publish), every
filter is a mask over the hits and costs microseconds.

The columns are `_post_facts`'s (analyst_views.sql: a post's sentiment label wins over the
computed sentiment), computed the same way but with the rowid; the topics are the `post_topics`
view's (a correction that view applies applies here). They are kept per database and checked
on each use by a cheap fingerprint (the file's inode, time and size, and the post, annotation,
tag, label and own-source counts): a new analytics copy (a publish replaces the file) or new
rows make the next search read them again. (A live warehouse that rewrites annotations in place
without a checkpoint is not noticed; Explore reads the analytics copy.)
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

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


_cache: dict[str, tuple[tuple[object, ...], DocFacts]] = {}
_lock = threading.Lock()


def doc_facts(con: duckdb.DuckDBPyConnection) -> DocFacts:
    """The current `DocFacts` of `con`'s database (read again when it changed)."""
    row = con.execute(_FINGERPRINT).fetchall()[0]
    name = str(row[0])
    try:
        st = os.stat(name)
        stamp: tuple[object, ...] = (st.st_ino, st.st_mtime_ns, st.st_size, *row[1:])
    except OSError:  # an in-memory database
        stamp = tuple(row[1:])
    with _lock:
        held = _cache.get(name)
        if held is not None and held[0] == stamp:
            return held[1]
        facts = _read(con, int(row[1]) + 1 if row[1] is not None else 0)
        _cache.clear()  # one database at a time: the app reads one copy
        _cache[name] = (stamp, facts)
        return facts


def _read(con: duckdb.DuckDBPyConnection, size: int) -> DocFacts:
    # the columns of `_post_facts` (analyst_views.sql), computed the same way, with the rowid
    week = week_start_sql("coalesce(p.published_at, p.fetched_at)")
    cols = con.sql(
        f"""
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
        """
    ).to_arrow_table()
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
    tagged = con.sql(
        "SELECT t.topic_id, p.rowid FROM post_topics t JOIN _posts p USING (post_id)"
    ).to_arrow_table()
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
