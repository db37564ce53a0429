-- Corrections made in Explore. "Not about / about this topic" and "sentiment is actually ..."
-- are labels (`_labels`, origin 'explore'); "question answered" is not a label of the text,
-- so it gets its own append-only table: rows are only ever added, never updated or deleted
-- (retention prunes `_posts.raw` only; re-tagging replaces annotations and topic tags only).
CREATE SEQUENCE _answer_ids START 1;

CREATE TABLE _answered_questions (
    answer_id   BIGINT PRIMARY KEY DEFAULT nextval('_answer_ids'),
    post_id     VARCHAR NOT NULL,
    answered_by VARCHAR NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL,
    origin      VARCHAR NOT NULL DEFAULT 'explore' CHECK (origin IN ('explore'))
);
