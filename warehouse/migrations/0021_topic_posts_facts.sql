-- The topic page's facts: per week and topic, the audience posts tagged with it (the tags of
-- `post_topics`: relevance models and corrections applied), with what the page ranks, counts
-- and dedups them by, and the tag's matched terms (a shown post's tags are its rows of the week). Kept by `refresh_facts` with the other digest facts, whole weeks at a
-- time; read by `warehouse.topic_posts` (a topic-week's rows instead of a scan of every post).
CREATE TABLE _fact_topic_posts (
    week_start   DATE NOT NULL,
    topic_id     VARCHAR NOT NULL,
    post_id      VARCHAR NOT NULL,
    post_row     BIGINT NOT NULL,   -- the post's rowid in `_posts` when counted: a hint, checked
    content_key  VARCHAR NOT NULL,
    author       VARCHAR,
    source_id    VARCHAR NOT NULL,
    published_at TIMESTAMPTZ,
    engagement   BIGINT NOT NULL,   -- likes + reposts + replies
    is_question  BOOLEAN NOT NULL,
    matched_terms VARCHAR[]         -- the tag's evidence, as `post_topics` has it
);

-- Existing posts: their weeks are counted again once (the next write cycle's refresh).
INSERT INTO _facts_rebuild
SELECT 'the topic page''s facts (migration 0021) are new'
WHERE EXISTS (SELECT 1 FROM _posts);
