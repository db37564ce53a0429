-- Labels: the organisation's own judgement of a text's sentiment and of whether a topic's
-- match is about the topic, imported from a file or made as a correction in Explore. A label
-- names a stored post (post_id, resolved from a URL at import) or carries a text of its own
-- (organisations have labelled data that never was a post). Rows are only ever added: a later
-- label of the same post (or text) and kind supersedes an earlier one.
CREATE SEQUENCE _label_ids START 1;

CREATE TABLE _labels (
    label_id    BIGINT PRIMARY KEY DEFAULT nextval('_label_ids'),
    post_id     VARCHAR,               -- the stored post it names, NULL for a text of its own
    text        VARCHAR,               -- the labelled text (NULL: the stored post's text)
    url         VARCHAR,
    lang        VARCHAR,               -- as given; NULL: the post's, or identified when learning
    sentiment   VARCHAR CHECK (sentiment IN ('negative', 'neutral', 'positive')),
    topic_id    VARCHAR,
    relevant    BOOLEAN,               -- with topic_id: is the text about that topic?
    labelled_by VARCHAR NOT NULL,
    labelled_at TIMESTAMPTZ NOT NULL,
    origin      VARCHAR NOT NULL CHECK (origin IN ('file', 'explore')),
    origin_ref  VARCHAR,               -- file: '<file>:<line>'
    CHECK (post_id IS NOT NULL OR text IS NOT NULL),
    CHECK (sentiment IS NOT NULL OR (topic_id IS NOT NULL AND relevant IS NOT NULL)),
    CHECK ((topic_id IS NULL) = (relevant IS NULL))
);
