-- Earshot warehouse, first schema. Internal tables are prefixed "_"; analysts use the views.

CREATE TABLE _settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- One row per run of a writing job (collect or enrich); every stored row names its load.
CREATE TABLE _loads (
    load_id     VARCHAR PRIMARY KEY,
    job         VARCHAR NOT NULL,          -- 'collect' | 'enrich'
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status      VARCHAR NOT NULL,          -- 'running' | 'done' | 'failed'
    rows_added  BIGINT NOT NULL DEFAULT 0,
    details     JSON
);

-- Configured sources and their fetch state (saved with the posts the state produced).
CREATE TABLE _sources (
    source_id       VARCHAR PRIMARY KEY,
    kind            VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    owned           BOOLEAN NOT NULL DEFAULT false,
    active          BOOLEAN NOT NULL DEFAULT true,   -- false once removed from the config
    state           JSON NOT NULL DEFAULT '{}',
    last_status     VARCHAR,                         -- 'ok' | 'not_modified' | 'failed'
    last_error      VARCHAR,
    last_http_status INTEGER,
    last_attempt_at TIMESTAMPTZ,
    last_success_at TIMESTAMPTZ,
    failure_count   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    load_id         VARCHAR
);

CREATE TABLE _posts (
    post_id       VARCHAR PRIMARY KEY,
    platform      VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    external_id   VARCHAR NOT NULL,
    url           VARCHAR,
    author        VARCHAR,
    author_handle VARCHAR,
    title         VARCHAR,
    text          VARCHAR NOT NULL,
    lang_hint     VARCHAR,
    published_at  TIMESTAMPTZ,
    fetched_at    TIMESTAMPTZ NOT NULL,
    likes         BIGINT,
    reposts       BIGINT,
    replies       BIGINT,
    score         BIGINT,
    content_key   VARCHAR NOT NULL,
    raw           JSON,
    load_id       VARCHAR NOT NULL
);

-- One row per post for the pipeline version that produced it; a new version re-tags.
CREATE TABLE _annotations (
    post_id          VARCHAR PRIMARY KEY,
    pipeline_version VARCHAR NOT NULL,
    lang             VARCHAR NOT NULL,
    lang_score       DOUBLE,
    sentiment        DOUBLE,
    sentiment_label  VARCHAR,
    is_question      BOOLEAN NOT NULL,
    key_terms        VARCHAR[],
    annotated_at     TIMESTAMPTZ NOT NULL,
    load_id          VARCHAR NOT NULL
);

CREATE TABLE _post_topics (
    post_id          VARCHAR NOT NULL,
    topic_id         VARCHAR NOT NULL,
    bucket_id        VARCHAR,
    matched_terms    VARCHAR[] NOT NULL,
    pipeline_version VARCHAR NOT NULL,
    load_id          VARCHAR NOT NULL,
    PRIMARY KEY (post_id, topic_id)
);

-- The organisation's taxonomy, synced from listening.yaml on every run.
CREATE TABLE _topics (
    topic_id  VARCHAR PRIMARY KEY,
    label     VARCHAR NOT NULL,
    bucket_id VARCHAR
);

CREATE TABLE _buckets (
    bucket_id    VARCHAR PRIMARY KEY,
    label        VARCHAR NOT NULL,
    target_share DOUBLE NOT NULL
);
