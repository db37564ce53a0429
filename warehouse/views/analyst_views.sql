-- Analyst views: stable names and columns. Re-applied on every migrate.
-- Weeks are ISO weeks ('2026-W47') in the organisation's time zone (_settings.timezone).

-- _post_sentiment_labels (internal): the newest sentiment label of each labelled stored post.
CREATE OR REPLACE VIEW _post_sentiment_labels AS
SELECT post_id, arg_max(sentiment, label_id) AS sentiment
FROM _labels
WHERE post_id IS NOT NULL AND sentiment IS NOT NULL
GROUP BY post_id;

-- _sentiment_in_force / _sentiment_label_in_force (internal): a stored post's own sentiment
-- label wins over the rules and any model (-1 / 0 / 1); `_post_facts` and the readers that
-- fetch a few posts' columns directly (warehouse/post_lists.py, warehouse/search_facts.py)
-- all say it through these two.
CREATE OR REPLACE MACRO _sentiment_in_force(label, computed) AS
    CASE label WHEN 'negative' THEN -1.0 WHEN 'neutral' THEN 0.0
               WHEN 'positive' THEN 1.0 ELSE computed END;
CREATE OR REPLACE MACRO _sentiment_label_in_force(label, computed) AS coalesce(label, computed);

-- _post_facts (internal): every post with its enrichment, plus the post's ISO week and the
-- Monday it starts on (local time) and its rowid in _posts (`post_row`, for the facts that
-- point at posts), from one pass over _posts. `posts` and the digest's views and metrics
-- read it, so a week's filter reaches _posts before the join with _annotations.
CREATE OR REPLACE VIEW _post_facts AS
SELECT
    p.post_id,
    p.platform,
    p.source_id,
    p.url,
    p.author,
    p.author_handle,
    p.title,
    p.text,
    a.lang,
    p.published_at,
    p.likes,
    p.reposts,
    p.replies,
    p.rating,  -- a review's stars (1 to 5; App Store), NULL for other posts
    -- a stored post's own sentiment label wins over the rules and any model (-1 / 0 / 1)
    _sentiment_in_force(l.sentiment, a.sentiment) AS sentiment,
    _sentiment_label_in_force(l.sentiment, a.sentiment_label) AS sentiment_label,
    a.is_question,
    coalesce(s.owned, false) AS is_own,
    a.key_terms,
    p.content_key,
    p.fetched_at,
    p.load_id,
    CAST(date_trunc('week', timezone(
        coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC'),
        coalesce(p.published_at, p.fetched_at))) AS DATE) AS week_start,
    strftime(timezone(
        coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC'),
        coalesce(p.published_at, p.fetched_at)), '%G-W%V') AS week,
    p.rowid AS post_row
FROM _posts p
LEFT JOIN _annotations a USING (post_id)
LEFT JOIN _post_sentiment_labels l USING (post_id)
LEFT JOIN _sources s USING (source_id);

-- posts: one row per collected post, with its enrichment when there is one, and its week.
CREATE OR REPLACE VIEW posts AS
SELECT * EXCLUDE (week_start, post_row) FROM _post_facts;

-- _post_topic_labels (internal): the newest relevance verdict of each labelled (post, topic).
CREATE OR REPLACE VIEW _post_topic_labels AS
SELECT post_id, topic_id, arg_max(relevant, label_id) AS relevant
FROM _labels
WHERE post_id IS NOT NULL AND topic_id IS NOT NULL
GROUP BY post_id, topic_id;

-- post_topics: one row per (post, topic) tag, with the evidence (matched terms). The tags are
-- the taxonomy's matches that the topic's relevance model (if it has one) judged relevant;
-- a post's own relevance label wins over both: `relevant = false` removes the tag,
-- `relevant = true` adds it (matched_terms then empty unless the rules had matched).
CREATE OR REPLACE VIEW post_topics AS
SELECT t.post_id, t.topic_id, t.bucket_id, t.matched_terms
FROM _post_topics t
WHERE NOT EXISTS (
    SELECT 1 FROM _post_topic_labels l
    WHERE l.post_id = t.post_id AND l.topic_id = t.topic_id AND NOT l.relevant
)
UNION ALL
SELECT l.post_id, l.topic_id, coalesce(r.bucket_id, tp.bucket_id) AS bucket_id,
       coalesce(r.matched_terms, []::VARCHAR[]) AS matched_terms
FROM _post_topic_labels l
JOIN _topics tp ON tp.topic_id = l.topic_id
LEFT JOIN _post_topics_rejected r ON r.post_id = l.post_id AND r.topic_id = l.topic_id
-- not already a tag: an anti-join written as a left join, so DuckDB builds its hash table on
-- the few labels rather than on every tag (NOT EXISTS built it on `_post_topics`, per query)
LEFT JOIN _post_topics t ON t.post_id = l.post_id AND t.topic_id = l.topic_id
WHERE l.relevant AND t.post_id IS NULL;

-- post_topics_rejected: topic matches set aside as not about the topic, and by what: the
-- topic's relevance model (`relevance` = its P(relevant)) or a correction (a label
-- `relevant = false`; relevance NULL). A label `relevant = true` brings a match back.
CREATE OR REPLACE VIEW post_topics_rejected AS
SELECT r.post_id, r.topic_id, r.bucket_id, r.matched_terms, r.relevance,
       'model' AS set_aside_by
FROM _post_topics_rejected r
WHERE NOT EXISTS (
    SELECT 1 FROM _post_topic_labels l
    WHERE l.post_id = r.post_id AND l.topic_id = r.topic_id AND l.relevant
)
UNION ALL
SELECT t.post_id, t.topic_id, t.bucket_id, t.matched_terms, NULL::DOUBLE AS relevance,
       'correction' AS set_aside_by
FROM _post_topics t
JOIN _post_topic_labels l ON l.post_id = t.post_id AND l.topic_id = t.topic_id
WHERE NOT l.relevant;

-- post_entities: named entities a trained pipeline found (languages with `nlp.pipelines`).
CREATE OR REPLACE VIEW post_entities AS
SELECT post_id, label, text, start_char, end_char
FROM _post_entities;

CREATE OR REPLACE VIEW topics AS
SELECT topic_id, label, bucket_id FROM _topics;

CREATE OR REPLACE VIEW buckets AS
SELECT bucket_id, label, target_share FROM _buckets;

-- post_weeks: the ISO week of every post in the organisation's time zone.
CREATE OR REPLACE VIEW post_weeks AS
SELECT
    p.post_id,
    strftime(
        timezone(
            coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC'),
            coalesce(p.published_at, p.fetched_at)
        ),
        '%G-W%V'
    ) AS week
FROM _posts p;

-- weeks: every ISO week from the first post to the current one, gaps included (a week
-- without posts counts as zero in a baseline instead of being skipped). starts_at / ends_at
-- are local midnights (Monday to Monday) as instants; `complete` = the week is over, so the
-- newest week is not mistaken for a full one. posts = rows of `posts` (own included).
CREATE OR REPLACE VIEW weeks AS
WITH zone AS (
    SELECT coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC') AS tz
),
bounds AS (
    SELECT
        min(f.week_start) AS lo,
        greatest(max(f.week_start), CAST(date_trunc('week', timezone(zone.tz, now())) AS DATE))
            AS hi
    FROM _fact_weeks f, zone
    GROUP BY zone.tz
),
calendar AS (
    SELECT CAST(g.ws AS DATE) AS week_start, strftime(g.ws, '%G-W%V') AS week,
           timezone(zone.tz, g.ws) AS starts_at,
           timezone(zone.tz, g.ws + INTERVAL 7 DAY) AS ends_at
    FROM zone, bounds, unnest(generate_series(CAST(lo AS TIMESTAMP), CAST(hi AS TIMESTAMP),
                                              INTERVAL 7 DAY)) AS g(ws)
)
SELECT c.week, c.week_start, c.starts_at, c.ends_at, c.ends_at <= now() AS complete,
       CAST(coalesce(f.audience_rows + f.own_rows, 0) AS BIGINT) AS posts
FROM calendar c
LEFT JOIN _fact_weeks f USING (week_start);

-- topic_weekly: audience conversation per topic and ISO week (own posts excluded).
-- engagement = likes + reposts + replies (missing counts as 0). From the digest facts.
CREATE OR REPLACE VIEW topic_weekly AS
SELECT
    w.week,
    f.topic_id,
    f.tag_rows AS posts,
    f.authors,
    f.avg_sentiment,
    f.negative_share,
    CAST(f.engagement AS BIGINT) AS engagement,
    w.complete
FROM _fact_topic_weeks f
JOIN weeks w USING (week_start)
WHERE f.tag_rows > 0;

-- source_health: every configured source with its last fetch and recent volume.
CREATE OR REPLACE VIEW source_health AS
SELECT
    s.source_id,
    s.kind,
    s.url,
    s.owned,
    s.active,
    s.last_status,
    s.last_error,
    s.last_http_status,
    s.last_attempt_at,
    s.last_success_at,
    s.failure_count,
    s.next_attempt_at,
    (SELECT count(*) FROM _posts p
      WHERE p.source_id = s.source_id
        AND coalesce(p.published_at, p.fetched_at) >= now() - INTERVAL 7 DAY) AS posts_last_7_days,
    (SELECT count(*) FROM _posts p WHERE p.source_id = s.source_id) AS posts_total,
    -- API requests left (Stack Exchange: today; YouTube comments: of the last run's budget)
    TRY_CAST(json_extract_string(s.state, '$.quota_remaining') AS BIGINT) AS quota_remaining,
    -- API units the last run spent of its own budget (YouTube comments)
    TRY_CAST(json_extract_string(s.state, '$.quota_used') AS BIGINT) AS quota_used,
    -- stream sources (`earshot stream`): the stream time the saved cursor stands at, and how
    -- far behind the live stream it was at its last batch (last_success_at)
    to_timestamp(TRY_CAST(json_extract_string(s.state, '$.cursor') AS BIGINT) / 1e6)
        AS stream_cursor_at,
    TRY_CAST(json_extract_string(s.state, '$.lag_seconds') AS DOUBLE) AS stream_lag_seconds,
    -- how far back the source's history reaches, and what `earshot backfill` did for it
    (SELECT min(p.published_at) FROM _posts p WHERE p.source_id = s.source_id) AS oldest_post_at,
    (SELECT min(CASE WHEN b.exhausted THEN coalesce(b.reached, b.until) ELSE b.since END)
       FROM _backfills b
      WHERE b.source_id = s.source_id AND b.status = 'done') AS backfilled_to,
    (SELECT arg_max(b.reached, b.started_at) FROM _backfills b
      WHERE b.source_id = s.source_id AND b.status = 'running') AS backfill_stopped_at,
    (SELECT arg_max(b.since, b.started_at) FROM _backfills b
      WHERE b.source_id = s.source_id AND b.status = 'running') AS backfill_pending_since
FROM _sources s;

-- labels: the organisation's labels (imported or corrections), who gave them, when, from where.
-- text is the label's own text, else the stored post's (title and text).
CREATE OR REPLACE VIEW labels AS
SELECT
    l.label_id,
    l.post_id,
    coalesce(l.text, CASE WHEN p.title IS NULL OR p.title = '' THEN p.text
                          WHEN p.text = '' THEN p.title
                          ELSE p.title || E'\n' || p.text END) AS text,
    coalesce(l.url, p.url) AS url,
    l.lang,
    l.sentiment,
    l.topic_id,
    l.relevant,
    l.labelled_by,
    l.labelled_at,
    l.origin,
    l.origin_ref
FROM _labels l
LEFT JOIN _posts p USING (post_id);
