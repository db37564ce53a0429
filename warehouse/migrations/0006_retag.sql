-- Topic tags get their own version per post, so a taxonomy change re-tags topics only and
-- leaves language, sentiment, questions and key terms (and their `annotated_at`) untouched.
CREATE TABLE _topic_runs (
    post_id        VARCHAR PRIMARY KEY,
    topics_version VARCHAR NOT NULL,   -- `Enricher.topics_version` that wrote the post's tags
    tagged_at      TIMESTAMPTZ NOT NULL,
    load_id        VARCHAR NOT NULL
);

-- Posts enriched before this migration: their tags came with their annotation.
INSERT INTO _topic_runs
SELECT post_id, pipeline_version, annotated_at, load_id FROM _annotations;
