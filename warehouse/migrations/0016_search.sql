-- Full-text search (warehouse/search_index.py, warehouse/search.py): our own inverted index.
-- A post's `doc` is its `_posts.rowid` (posts are never deleted or moved; a migration that
-- rewrites `_posts` must empty these tables). Every word of its title and text is indexed under
-- its German and its English Snowball stem ("Kundenservices" -> kundenservic), so a search
-- finds other inflections in either language. Filled by `refresh_search_index` (each write
-- cycle, before the analytics copy is published); the postings of one refresh are written
-- sorted by key, so a look-up reads few row groups (DuckDB's min/max zone maps).

-- Every distinct lower-case word seen, with the keys it is indexed under and its folded
-- spelling (`nlp.normalise.fold`: umlauts spelt out), which the query preview searches for
-- compound parts.
CREATE TABLE _search_words (
    word   VARCHAR NOT NULL,
    folded VARCHAR NOT NULL,
    key_de INTEGER NOT NULL,
    key_en INTEGER NOT NULL
);

-- Every stem (the search key) with its number.
CREATE TABLE _search_keys (
    key_id INTEGER NOT NULL,
    stem   VARCHAR NOT NULL
);

-- One row per (key, doc): the doc has a word with that stem.
CREATE TABLE _search_postings (
    key_id INTEGER NOT NULL,
    doc    BIGINT NOT NULL   -- _posts.rowid
);

-- How far the index has got: the highest `_posts.rowid` indexed (-1: none yet).
INSERT INTO _settings VALUES ('search_indexed_rowid', '-1') ON CONFLICT DO NOTHING;
