-- Learned topic relevance: a topic's relevance model keeps in `_post_topics` only the matches
-- it judges relevant; the matches it sets aside are kept here, with the model's P(relevant),
-- so an analyst sees what was left out and a correction can bring one back. Written with the
-- post's topic tags (same batch, same transaction, same `topics_version`).
CREATE TABLE _post_topics_rejected (
    post_id          VARCHAR NOT NULL,
    topic_id         VARCHAR NOT NULL,
    bucket_id        VARCHAR,
    matched_terms    VARCHAR[] NOT NULL,
    relevance        DOUBLE NOT NULL,   -- the model's P(relevant), below its threshold
    pipeline_version VARCHAR NOT NULL,
    load_id          VARCHAR NOT NULL,
    PRIMARY KEY (post_id, topic_id)
);

-- Per week: the audience's topic matches set aside as not relevant (by a relevance model or
-- by a correction), for the digest's coverage.
CREATE TABLE _fact_week_set_aside (
    week_start DATE NOT NULL,
    matches    BIGINT NOT NULL
);

-- Relevance corrections (labels with topic_id) of stored posts now change the topic figures:
-- recount every week once if there are any.
INSERT INTO _facts_rebuild
SELECT 'relevance labels now count in the topic figures'
WHERE EXISTS (SELECT 1 FROM _labels WHERE post_id IS NOT NULL AND topic_id IS NOT NULL);
