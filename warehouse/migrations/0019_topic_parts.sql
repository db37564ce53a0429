-- The topic matcher's input per post (warehouse/topic_parts.py): the distinct word parts the
-- enrichment's tagger read (`nlp.topics.distinct_parts`), so that Explore's query preview
-- decides one-word patterns over this vocabulary instead of tokenizing the posts again.
-- Written with the post's topic tags, in the same transaction and under the same topics
-- version. A post's `doc` is its `_posts.rowid`, as in the search index (posts are never
-- deleted or moved; a migration that rewrites `_posts` must empty `_post_parts`).

-- Every distinct part recorded, with its number.
CREATE TABLE _part_words (
    part_id INTEGER NOT NULL,
    part    VARCHAR NOT NULL
);

-- One row per tagged post: its parts' numbers (sorted; empty for a post without words).
CREATE TABLE _post_parts (
    doc            BIGINT NOT NULL,     -- _posts.rowid
    topics_version VARCHAR NOT NULL,    -- the `_topic_runs.topics_version` it was recorded with
    part_ids       INTEGER[] NOT NULL   -- into _part_words
);
