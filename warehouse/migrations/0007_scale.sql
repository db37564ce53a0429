-- Scale: `_posts` without its primary-key index. Loading is idempotent by the anti-join in
-- `warehouse.sources.insert_post_batches`, and writers take turns on the write lock, so the
-- index only cost time and memory: maintaining it made a bulk load ~40 % slower, and on a
-- ten-million-post warehouse every writing connection had to read it back. Posts are copied
-- once into the new table (same columns, same NOT NULL rules); the views are re-applied after
-- every migration.
CREATE TABLE _posts_0007 (
    post_id       VARCHAR NOT NULL,
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
INSERT INTO _posts_0007 SELECT * FROM _posts ORDER BY coalesce(published_at, fetched_at);
DROP TABLE _posts;
ALTER TABLE _posts_0007 RENAME TO _posts;
