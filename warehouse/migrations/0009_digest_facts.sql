-- Digest facts: the per-week aggregates the digest views read, so a digest over ten million
-- posts reads a few thousand rows instead of every post. Weeks are the organisation's local
-- ISO weeks (the Monday they start on). Distinct counts do not add up across weeks, so each
-- table holds whole weeks and a changed week is recomputed whole (`warehouse.facts`).
--
-- A writer that adds or changes posts, annotations or topic tags marks the weeks of those
-- posts in `_dirty_weeks` (or the posts in `_dirty_posts`) in the same transaction; a change of the time zone, the taxonomy
-- or a source's `owned` flag asks for a full rebuild (`_facts_rebuild`). `refresh_facts`
-- recomputes what is marked and clears the marks, in one transaction.
CREATE TABLE _dirty_weeks (week_start DATE PRIMARY KEY);

-- Posts whose annotations or topic tags an enrich batch replaced: marked by id, which costs
-- the batch no read of `_posts`; `refresh_facts` turns them into their weeks first.
CREATE TABLE _dirty_posts (post_id VARCHAR NOT NULL);

CREATE TABLE _facts_rebuild (reason VARCHAR NOT NULL);

-- Per week: the posts' denominators (audience unless named own; `*_rows` count rows,
-- the others distinct content_key).
CREATE TABLE _fact_weeks (
    week_start     DATE NOT NULL,
    audience_rows  BIGINT NOT NULL,
    audience_posts BIGINT NOT NULL,
    own_rows       BIGINT NOT NULL,
    own_posts      BIGINT NOT NULL,
    enriched_rows  BIGINT NOT NULL,
    enriched_posts BIGINT NOT NULL,
    rated_posts    BIGINT NOT NULL,
    tagged_rows    BIGINT NOT NULL,
    tagged_posts   BIGINT NOT NULL,
    questions      BIGINT NOT NULL
);

-- Per week and language: the audience's distinct posts (lang NULL = not enriched).
CREATE TABLE _fact_week_languages (
    week_start DATE NOT NULL,
    lang       VARCHAR,
    posts      BIGINT NOT NULL
);

-- Per week and source: rows (own and audience).
CREATE TABLE _fact_week_sources (
    week_start DATE NOT NULL,
    source_id  VARCHAR NOT NULL,
    posts      BIGINT NOT NULL
);

-- Per week and topic (every topic_id of `_post_topics`): audience figures and own posts.
CREATE TABLE _fact_topic_weeks (
    week_start     DATE NOT NULL,
    topic_id       VARCHAR NOT NULL,
    tag_rows       BIGINT NOT NULL,      -- audience rows tagged (topic_weekly.posts)
    posts          BIGINT NOT NULL,      -- audience distinct content_key
    authors        BIGINT NOT NULL,
    engagement     HUGEINT,
    avg_sentiment  DOUBLE,
    negative_share DOUBLE,               -- over rated rows, as topic_weekly computes it
    rated_posts    BIGINT NOT NULL,
    negative_posts BIGINT NOT NULL,
    own_posts      BIGINT NOT NULL       -- own distinct content_key
);

-- Own posts per week and content bucket (distinct over 4 weeks, so kept per content_key).
CREATE TABLE _fact_own_buckets (
    week_start  DATE NOT NULL,
    bucket_id   VARCHAR NOT NULL,
    content_key VARCHAR NOT NULL
);

-- Audience key terms per week.
CREATE TABLE _fact_term_weeks (
    week_start   DATE NOT NULL,
    term         VARCHAR,
    posts        BIGINT NOT NULL,
    authors      BIGINT NOT NULL,
    tagged_posts BIGINT NOT NULL
);

-- Terms a topic matched on some post of the week (any post, own included).
CREATE TABLE _fact_matched_terms (
    week_start DATE NOT NULL,
    term       VARCHAR
);

-- Existing posts: the facts are built by the first refresh.
INSERT INTO _facts_rebuild VALUES ('0009_digest_facts: not built yet');
