"""The full-text index behind Explore's search and query preview: words, stems and postings.

Tables in migrations/0016_search.sql. A post's words (its title and text, lower case, split at
everything that is not a letter or digit, as `words_of` does) are indexed under their German
and their English Snowball stem, so "Kundenservices" finds "Kundenservice" and "customers"
finds "customer" whatever the post's language (a language-free index: re-tagging a post's
language changes nothing here). The splitting runs in DuckDB over a window of posts; only words
never seen before reach Python, to be stemmed once (`snowballstemmer`; it uses PyStemmer's C
code when that is installed).

`refresh_search_index` is a writer step: the caller holds the writer lock (it runs in
`publish_analytics_copy` before the copy is taken, so the copy's index is always complete).
It indexes the posts added since its last run (by `_posts.rowid`, which only grows: posts are
never deleted) and, when many small refreshes have left unsorted postings behind, rewrites the
postings sorted by key once: a look-up then reads a few row groups instead of all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import pyarrow as pa
import snowballstemmer

from earshot.warehouse.connection import transaction

WINDOW = 250_000  # posts split per statement: bounds the temporary (doc, word) table
MAX_WORD = 40  # longer "words" are URL fragments and hashes: not indexed
# SQL and Python split alike: letters and digits of any script; everything else separates
_SPLIT_SQL = r"[^\p{L}\p{N}]+"
_WORD = re.compile(r"[^\W_]+")
# folded spelling as `nlp.normalise.fold` makes it (umlauts spelt out, accents dropped)
_FOLD_SQL = (
    "strip_accents(replace(replace(replace(replace(w.word, 'ä', 'ae'), 'ö', 'oe'), "
    "'ü', 'ue'), 'ß', 'ss'))"
)
_STEMMERS = {"de": snowballstemmer.stemmer("german"), "en": snowballstemmer.stemmer("english")}


@dataclass(frozen=True, slots=True)
class IndexRefresh:
    posts: int  # posts indexed by this refresh
    words: int  # words new to the vocabulary
    sorted: bool  # the postings were rewritten sorted by key


def words_of(text: str) -> list[str]:
    """The index's words of `text`: lower case, split at anything not a letter or digit."""
    return [w for w in _WORD.findall(text.lower()) if len(w) <= MAX_WORD]


@lru_cache(maxsize=65536)
def stems_of(word: str) -> tuple[str, ...]:
    """The distinct keys `word` (lower case) is indexed under: its German and English stems.

    A word with a digit ("2026", "id3", a URL's "p123") is its own key: stemming it means
    nothing, and such words are most of a large vocabulary.
    """
    if not word.isalpha():
        return (word,)
    de = _STEMMERS["de"].stemWord(word)
    en = _STEMMERS["en"].stemWord(word)
    return (de,) if de == en else (de, en)


def refresh_search_index(
    con: duckdb.DuckDBPyConnection,
    *,
    window: int = WINDOW,
    sort_ratio: float = 0.25,
    sort_min_rows: int = 1_000_000,
) -> IndexRefresh:
    """Index every post added since the last refresh, one window of rowids per transaction.

    Each window commits with its watermark (`_settings.search_indexed_rowid`), so a refresh
    killed half-way resumes after the last committed window and nothing is indexed twice.
    """
    last = con.execute("SELECT max(rowid) FROM _posts").fetchall()[0][0]
    done = _watermark(con)
    posts = words = 0
    while last is not None and done < last:
        upper = min(done + window, last)
        with transaction(con):
            found = _index_window(con, done, upper)
            _set(con, "search_indexed_rowid", upper)
        posts += found[0]
        words += found[1]
        done = upper
    resorted = _sort_if_needed(con, sort_ratio, sort_min_rows) if posts else False
    return IndexRefresh(posts, words, resorted)


def _watermark(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT value FROM _settings WHERE key = 'search_indexed_rowid'").fetchall()
    return int(row[0][0]) if row else -1


def _set(con: duckdb.DuckDBPyConnection, key: str, value: int) -> None:
    con.execute(
        "INSERT INTO _settings VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, str(value)],
    )


def _index_window(con: duckdb.DuckDBPyConnection, after: int, upper: int) -> tuple[int, int]:
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _search_window AS
        SELECT DISTINCT doc, word FROM (
            SELECT p.rowid AS doc,
                   unnest(regexp_split_to_array(
                       lower(coalesce(p.title, '') || ' ' || p.text), '{_SPLIT_SQL}')) AS word
            FROM _posts p WHERE p.rowid > $after AND p.rowid <= $upper
        ) WHERE length(word) BETWEEN 1 AND {MAX_WORD}
        """,
        {"after": after, "upper": upper},
    )
    posts = con.execute("SELECT count(DISTINCT doc) FROM _search_window").fetchall()[0][0]
    new = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT word FROM _search_window ANTI JOIN _search_words USING (word)"
        ).fetchall()
    ]
    if new:
        _add_words(con, new)
    con.execute(
        """
        INSERT INTO _search_postings
        SELECT DISTINCT k.key_id, k.doc FROM (
            SELECT unnest([w.key_de, w.key_en]) AS key_id, s.doc
            FROM _search_window s JOIN _search_words w USING (word)
        ) k
        ORDER BY k.key_id, k.doc
        """
    )
    con.execute("DROP TABLE _search_window")
    return int(posts), len(new)


def _add_words(con: duckdb.DuckDBPyConnection, new: list[str]) -> None:
    """Stem the new words; give new stems a key; store both (bulk, through Arrow)."""
    stems = [stems_of(w) for w in new]
    wanted = sorted({s for pair in stems for s in pair})
    con.register("_wanted", pa.table({"stem": wanted}))
    known = dict(
        con.execute(
            "SELECT k.stem, k.key_id FROM _search_keys k SEMI JOIN _wanted USING (stem)"
        ).fetchall()
    )
    con.unregister("_wanted")
    next_id = con.execute("SELECT coalesce(max(key_id), -1) + 1 FROM _search_keys").fetchall()[0][0]
    fresh = [s for s in wanted if s not in known]
    for offset, stem in enumerate(fresh):
        known[stem] = next_id + offset
    if fresh:
        keys = pa.table({"key_id": pa.array([known[s] for s in fresh], pa.int32()), "stem": fresh})
        con.register("_new_keys", keys)
        con.execute("INSERT INTO _search_keys SELECT key_id, stem FROM _new_keys")
        con.unregister("_new_keys")
    words = pa.table(
        {
            "word": new,
            "key_de": pa.array([known[s[0]] for s in stems], pa.int32()),
            "key_en": pa.array([known[s[-1]] for s in stems], pa.int32()),
        }
    )
    con.register("_new_words", words)
    con.execute(
        f"INSERT INTO _search_words "
        f"SELECT w.word, {_FOLD_SQL}, w.key_de, w.key_en FROM _new_words w"
    )
    con.unregister("_new_words")


def _sort_if_needed(con: duckdb.DuckDBPyConnection, ratio: float, min_rows: int) -> bool:
    """Rewrite the postings sorted by key when the unsorted tail outgrew `ratio` of the sorted
    part and `min_rows` (below that, a look-up reads a few row groups anyway)."""
    total = con.execute("SELECT count(*) FROM _search_postings").fetchall()[0][0]
    row = con.execute("SELECT value FROM _settings WHERE key = 'search_sorted_postings'").fetchall()
    sorted_rows = int(row[0][0]) if row else 0
    if total - sorted_rows <= max(ratio * sorted_rows, min_rows):
        return False
    with transaction(con):
        con.execute(
            "CREATE TABLE _search_postings_sorted (key_id INTEGER NOT NULL, doc BIGINT NOT NULL)"
        )
        con.execute(
            "INSERT INTO _search_postings_sorted "
            "SELECT key_id, doc FROM _search_postings ORDER BY key_id, doc"
        )
        con.execute("DROP TABLE _search_postings")
        con.execute("ALTER TABLE _search_postings_sorted RENAME TO _search_postings")
        _set(con, "search_sorted_postings", total)
    return True
