-- The topic definitions each `topics_version` tagged with (terms, exclusions, query as JSON)
-- and the matcher's code identity, written by enrichment before it stores tags. Explore's query
-- preview reads a topic's stored matches as what its definition tags when the stored posts
-- were all tagged under one version whose definition and matcher it knows.
CREATE TABLE _topic_definitions (
    topics_version VARCHAR NOT NULL,
    topic_id       VARCHAR NOT NULL,
    definition     VARCHAR NOT NULL,   -- JSON: `nlp.topics.rule_to_config`
    matcher        VARCHAR NOT NULL,   -- `nlp.topics.matcher_identity()`
    recorded_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (topics_version, topic_id)
);
