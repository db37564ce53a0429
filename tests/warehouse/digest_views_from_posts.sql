-- The digest views as they were computed from the posts before the digest facts (migration
-- 0009), kept as the reference tests/warehouse/test_facts.py compares the facts against.

-- Digest views: every figure of the weekly digest, for every ISO week, so an analyst can
-- reproduce the mail with `WHERE week = '2026-W47'`. Re-applied on every migrate.
--
-- Counting rules, shared by all views below:
--   * Audience = posts of sources not marked `owned`; own = posts of owned sources.
--   * Near-duplicates (same content_key, e.g. one article syndicated by two feeds) count once:
--     `posts` columns are count(DISTINCT content_key). week_coverage.duplicates says how many
--     rows this removed.
--   * Small numbers: a week-on-week percentage or a "rise" is only claimed with a test. The
--     volume test is the conditional binomial test of "this week vs. its baseline weeks":
--     with n1 posts this week, n0 in the k baseline weeks, under "nothing changed" n1 is
--     Binomial(n1 + n0, 1 / (k + 1)); z is its normal score. |z| >= 3 (p < 0.003, strict
--     because many topics and terms are tested every week) AND at least 5 posts in the larger
--     of this week and the baseline mean, else the row is flagged few_posts and claims nothing.
--   * Shares carry their denominators and a 95% Wilson interval where they are compared.

-- post_calendar: each post's ISO week, the Monday it starts on (local time), and audience/own.
CREATE OR REPLACE VIEW ref_post_calendar AS
SELECT
    p.post_id,
    p.content_key,
    coalesce(s.owned, false) AS is_own,
    CAST(date_trunc('week', timezone(
        coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC'),
        coalesce(p.published_at, p.fetched_at))) AS DATE) AS week_start,
    strftime(timezone(
        coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC'),
        coalesce(p.published_at, p.fetched_at)), '%G-W%V') AS week,
    p.source_id,
    coalesce(p.published_at, p.fetched_at) AS posted_at
FROM _posts p
LEFT JOIN _sources s USING (source_id);

-- digest_weeks: every week from the first post to the current week, gaps included, so that a
-- week without posts counts as zero in a baseline instead of being skipped.
-- (A post's local week start only grows with its time, so the first and last week come from
-- the earliest and latest post time: two conversions instead of one per post.)
CREATE OR REPLACE VIEW ref_digest_weeks AS
WITH span AS (
    SELECT min(coalesce(published_at, fetched_at)) AS first_at,
           max(coalesce(published_at, fetched_at)) AS last_at
    FROM _posts
),
bounds AS (
    SELECT
        CAST(date_trunc('week', timezone(
            coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC'),
            first_at)) AS DATE) AS lo,
        greatest(CAST(date_trunc('week', timezone(
            coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC'),
            last_at)) AS DATE), CAST(date_trunc('week', timezone(
            coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC'),
            now())) AS DATE)) AS hi
    FROM span
)
SELECT CAST(g.ws AS DATE) AS week_start, strftime(g.ws, '%G-W%V') AS week
FROM bounds, unnest(generate_series(CAST(lo AS TIMESTAMP), CAST(hi AS TIMESTAMP),
                                    INTERVAL 7 DAY)) AS g(ws)
WHERE lo IS NOT NULL;

-- topic_week_stats: audience figures per topic and week (zero rows for quiet weeks).
CREATE OR REPLACE VIEW ref_topic_week_stats AS
WITH tagged AS (
    SELECT p.week_start, t.topic_id, p.post_id, p.content_key, p.author, p.source_id,
           coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0) AS engagement,
           p.sentiment, p.sentiment_label
    FROM post_topics t
    JOIN _post_facts p USING (post_id)
    WHERE NOT p.is_own
),
agg AS (
    SELECT week_start, topic_id,
           count(DISTINCT content_key) AS posts,
           count(DISTINCT coalesce(author, source_id)) AS authors,
           sum(engagement) AS engagement,
           avg(sentiment) AS avg_sentiment,
           count(sentiment_label) AS rated_posts,
           count(*) FILTER (WHERE sentiment_label = 'negative') AS negative_posts
    FROM tagged GROUP BY ALL
)
SELECT w.week, w.week_start, tp.topic_id,
       coalesce(a.posts, 0) AS posts,
       coalesce(a.authors, 0) AS authors,
       coalesce(a.engagement, 0) AS engagement,
       a.avg_sentiment,
       coalesce(a.rated_posts, 0) AS rated_posts,
       coalesce(a.negative_posts, 0) AS negative_posts
FROM ref_digest_weeks w
CROSS JOIN _topics tp
LEFT JOIN agg a ON a.week_start = w.week_start AND a.topic_id = tp.topic_id;

-- topic_movement ("what moved" and "risk watch"): each topic's week against the previous week
-- and against its baseline = the up to 8 weeks before (fewer when the history is shorter).
CREATE OR REPLACE VIEW ref_topic_movement AS
WITH windowed AS (
    SELECT s.*,
        lag(posts) OVER w_prev AS previous_posts,
        coalesce(sum(posts) OVER w_base, 0) AS baseline_posts,
        count(*) OVER w_base AS baseline_weeks,
        coalesce(sum(rated_posts) OVER w_base, 0) AS baseline_rated_posts,
        coalesce(sum(negative_posts) OVER w_base, 0) AS baseline_negative_posts
    FROM ref_topic_week_stats s
    WINDOW w_prev AS (PARTITION BY topic_id ORDER BY week_start),
           w_base AS (PARTITION BY topic_id ORDER BY week_start
                      ROWS BETWEEN 8 PRECEDING AND 1 PRECEDING)
),
scored AS (
    SELECT *,
        coalesce(previous_posts, 0) AS prev_posts,
        CASE WHEN baseline_weeks > 0 THEN baseline_posts / baseline_weeks END AS baseline_mean,
        CASE WHEN rated_posts > 0 THEN negative_posts / rated_posts END AS negative_share,
        CASE WHEN baseline_rated_posts > 0
             THEN baseline_negative_posts / baseline_rated_posts END AS baseline_negative_share,
        -- conditional binomial score test, see the header
        CASE WHEN baseline_weeks > 0 AND posts + baseline_posts > 0 THEN
            (posts - (posts + baseline_posts) / (baseline_weeks + 1.0))
            / sqrt((posts + baseline_posts) * (1.0 / (baseline_weeks + 1))
                   * (baseline_weeks / (baseline_weeks + 1.0)))
        END AS volume_z,
        -- two-proportion z-test: negative share this week vs. the baseline weeks (pooled)
        CASE WHEN rated_posts > 0 AND baseline_rated_posts > 0
                  AND negative_posts + baseline_negative_posts > 0
                  AND negative_posts + baseline_negative_posts < rated_posts + baseline_rated_posts
        THEN (negative_posts / rated_posts - baseline_negative_posts / baseline_rated_posts)
             / sqrt(((negative_posts + baseline_negative_posts)
                     / (rated_posts + baseline_rated_posts))
                    * (1 - (negative_posts + baseline_negative_posts)
                           / (rated_posts + baseline_rated_posts))
                    * (1.0 / rated_posts + 1.0 / baseline_rated_posts))
        END AS negative_z
    FROM windowed
)
SELECT
    week, week_start, topic_id, posts, prev_posts AS previous_posts, authors, engagement,
    avg_sentiment, rated_posts, negative_posts, negative_share,
    baseline_weeks, baseline_posts, baseline_mean, baseline_negative_share,
    volume_z, negative_z,
    greatest(posts, coalesce(baseline_mean, 0)) < 5 AS few_posts,
    CASE
        WHEN baseline_weeks = 0 THEN 'no baseline'
        WHEN greatest(posts, coalesce(baseline_mean, 0)) < 5 THEN 'few posts'
        WHEN volume_z >= 3 THEN 'rising'
        WHEN volume_z <= -3 THEN 'falling'
        ELSE 'steady'
    END AS movement,
    -- risk: the negative share rose significantly on at least 5 rated posts, or the volume
    -- spiked while at least half the rated posts were negative
    (rated_posts >= 5 AND coalesce(negative_z, 0) >= 3)
    OR (greatest(posts, coalesce(baseline_mean, 0)) >= 5 AND coalesce(volume_z, 0) >= 3
        AND rated_posts >= 5 AND coalesce(negative_share, 0) >= 0.5) AS at_risk
FROM scored;

-- term_movement ("emerging terms"): audience key terms and hashtags per week against their
-- baseline. `covered` = the taxonomy already catches the term: it is one of the terms a topic
-- matched on some post, or most of this week's posts with it are tagged with a topic anyway.
CREATE OR REPLACE VIEW ref_term_movement AS
WITH term_posts AS (
    SELECT DISTINCT p.week_start, lower(k.term) AS term, p.content_key,
           coalesce(p.author, p.source_id) AS author,
           EXISTS (SELECT 1 FROM post_topics t WHERE t.post_id = p.post_id) AS tagged
    FROM _post_facts p, unnest(p.key_terms) AS k(term)
    WHERE NOT p.is_own AND p.key_terms IS NOT NULL
),
weekly AS (
    SELECT week_start, term,
           count(DISTINCT content_key) AS posts,
           count(DISTINCT author) AS authors,
           count(DISTINCT content_key) FILTER (WHERE tagged) AS tagged_posts
    FROM term_posts GROUP BY ALL
),
grid AS (
    SELECT w.week, w.week_start, t.term,
           coalesce(x.posts, 0) AS posts, coalesce(x.authors, 0) AS authors,
           coalesce(x.tagged_posts, 0) AS tagged_posts
    FROM ref_digest_weeks w
    CROSS JOIN (SELECT DISTINCT term FROM weekly) t
    LEFT JOIN weekly x ON x.week_start = w.week_start AND x.term = t.term
),
windowed AS (
    SELECT *,
        coalesce(sum(posts) OVER b, 0) AS baseline_posts,
        count(*) OVER b AS baseline_weeks
    FROM grid
    WINDOW b AS (PARTITION BY term ORDER BY week_start ROWS BETWEEN 8 PRECEDING AND 1 PRECEDING)
),
matched AS (
    SELECT DISTINCT lower(m.term) AS term
    FROM _post_topics, unnest(matched_terms) AS m(term)
)
SELECT
    w.week, w.week_start, w.term, w.posts, w.authors, w.tagged_posts,
    w.baseline_weeks, w.baseline_posts,
    CASE WHEN w.baseline_weeks > 0 THEN w.baseline_posts / w.baseline_weeks END AS baseline_mean,
    CASE WHEN w.baseline_weeks > 0 AND w.posts + w.baseline_posts > 0 THEN
        (w.posts - (w.posts + w.baseline_posts) / (w.baseline_weeks + 1.0))
        / sqrt((w.posts + w.baseline_posts) * (1.0 / (w.baseline_weeks + 1))
               * (w.baseline_weeks / (w.baseline_weeks + 1.0)))
    END AS volume_z,
    (w.term IN (SELECT term FROM matched)
     OR (w.posts > 0 AND w.tagged_posts * 2 > w.posts)) AS covered
FROM windowed w
WHERE w.posts > 0;

-- emerging_terms: rising (z >= 3), at least 5 posts by at least 3 authors, and not covered.
CREATE OR REPLACE VIEW ref_emerging_terms AS
SELECT * FROM ref_term_movement
WHERE NOT covered AND posts >= 5 AND authors >= 3 AND baseline_weeks > 0 AND volume_z >= 3;

-- audience_questions: audience posts detected as questions, per topic (NULL = no topic),
-- ranked by engagement within their week and topic.
CREATE OR REPLACE VIEW ref_audience_questions AS
SELECT
    p.week, t.topic_id, p.post_id, p.url, p.title, p.text, p.author, p.source_id,
    p.published_at,
    coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0) AS engagement,
    row_number() OVER (
        PARTITION BY p.week, t.topic_id
        ORDER BY coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0) DESC,
                 p.published_at DESC NULLS LAST, p.post_id
    ) AS rank_in_topic
FROM _post_facts p
LEFT JOIN post_topics t USING (post_id)
WHERE NOT p.is_own AND p.is_question;

-- topic_share_4w ("relevance gap"): for the 4 weeks ending with `week`, each topic's share of
-- the audience's topic tags against its share of the organisation's own topic tags.
-- Denominators: audience_tags / own_tags (a post with two topics counts in both).
CREATE OR REPLACE VIEW ref_topic_share_4w AS
WITH tags AS (
    SELECT p.week_start, t.topic_id, p.is_own, count(DISTINCT p.content_key) AS n
    FROM post_topics t JOIN _post_facts p USING (post_id)
    GROUP BY ALL
),
windows AS (
    SELECT w.week, w.week_start, tp.topic_id,
        coalesce(sum(x.n) FILTER (WHERE NOT x.is_own), 0) AS audience_posts,
        coalesce(sum(x.n) FILTER (WHERE x.is_own), 0) AS own_posts
    FROM ref_digest_weeks w
    CROSS JOIN _topics tp
    LEFT JOIN tags x ON x.topic_id = tp.topic_id
         AND x.week_start > w.week_start - INTERVAL 28 DAY AND x.week_start <= w.week_start
    GROUP BY ALL
),
totals AS (
    SELECT *,
        sum(audience_posts) OVER (PARTITION BY week) AS audience_tags,
        sum(own_posts) OVER (PARTITION BY week) AS own_tags
    FROM windows
),
shares AS (
    SELECT *,
        CASE WHEN audience_tags > 0 THEN audience_posts / audience_tags END AS audience_share,
        CASE WHEN own_tags > 0 THEN own_posts / own_tags END AS own_share
    FROM totals
)
SELECT week, week_start, topic_id, audience_posts, audience_tags, audience_share,
    own_posts, own_tags, own_share,
    audience_share - own_share AS gap,
    CASE WHEN audience_tags > 0 AND own_tags > 0
              AND audience_posts + own_posts > 0
              AND audience_posts + own_posts < audience_tags + own_tags THEN
        (audience_share - own_share)
        / sqrt(((audience_posts + own_posts) / (audience_tags + own_tags))
               * (1 - (audience_posts + own_posts) / (audience_tags + own_tags))
               * (1.0 / audience_tags + 1.0 / own_tags))
    END AS gap_z,
    CASE
        WHEN own_tags < 10 OR audience_tags < 10 THEN 'too few posts'
        WHEN (audience_share - own_share)
             / nullif(sqrt(((audience_posts + own_posts) / (audience_tags + own_tags))
                   * (1 - (audience_posts + own_posts) / (audience_tags + own_tags))
                   * (1.0 / audience_tags + 1.0 / own_tags)), 0) >= 1.96 THEN 'talk more'
        WHEN (audience_share - own_share)
             / nullif(sqrt(((audience_posts + own_posts) / (audience_tags + own_tags))
                   * (1 - (audience_posts + own_posts) / (audience_tags + own_tags))
                   * (1.0 / audience_tags + 1.0 / own_tags)), 0) <= -1.96 THEN 'talk less'
        ELSE 'in line'
    END AS advice
FROM shares;

-- bucket_balance_4w ("content-bucket balance"): own posts per bucket over the 4 weeks ending
-- with `week` against the bucket's target_share, with a 95% Wilson interval for the share.
CREATE OR REPLACE VIEW ref_bucket_balance_4w AS
WITH own AS (
    SELECT DISTINCT p.week_start, coalesce(t.bucket_id, tp.bucket_id) AS bucket_id, p.content_key
    FROM post_topics t
    JOIN _post_facts p USING (post_id)
    LEFT JOIN _topics tp ON tp.topic_id = t.topic_id
    WHERE p.is_own AND coalesce(t.bucket_id, tp.bucket_id) IS NOT NULL
),
windows AS (
    SELECT w.week, w.week_start, b.bucket_id, b.target_share,
        count(DISTINCT o.content_key) AS own_posts
    FROM ref_digest_weeks w
    CROSS JOIN _buckets b
    LEFT JOIN own o ON o.bucket_id = b.bucket_id
         AND o.week_start > w.week_start - INTERVAL 28 DAY AND o.week_start <= w.week_start
    GROUP BY ALL
),
totals AS (
    SELECT *, sum(own_posts) OVER (PARTITION BY week) AS bucket_posts,
        CASE WHEN sum(own_posts) OVER (PARTITION BY week) > 0
             THEN own_posts / sum(own_posts) OVER (PARTITION BY week) END AS share
    FROM windows
),
wilson AS (
    SELECT *,
        CASE WHEN bucket_posts > 0 THEN
            (share + 1.96 * 1.96 / (2 * bucket_posts)
             - 1.96 * sqrt(share * (1 - share) / bucket_posts
                           + 1.96 * 1.96 / (4 * bucket_posts * bucket_posts)))
            / (1 + 1.96 * 1.96 / bucket_posts) END AS share_low,
        CASE WHEN bucket_posts > 0 THEN
            (share + 1.96 * 1.96 / (2 * bucket_posts)
             + 1.96 * sqrt(share * (1 - share) / bucket_posts
                           + 1.96 * 1.96 / (4 * bucket_posts * bucket_posts)))
            / (1 + 1.96 * 1.96 / bucket_posts) END AS share_high
    FROM totals
)
SELECT week, week_start, bucket_id, target_share, own_posts, bucket_posts, share,
    share_low, share_high,
    CASE
        WHEN bucket_posts = 0 THEN 'no own posts'
        WHEN share_high < target_share THEN 'below target'
        WHEN share_low > target_share THEN 'above target'
        ELSE 'on target'
    END AS balance
FROM wilson;

-- week_coverage: the denominators behind the digest's shares, per week.
CREATE OR REPLACE VIEW ref_week_coverage AS
SELECT
    c.week,
    count(*) FILTER (WHERE NOT c.is_own) AS audience_rows,
    count(DISTINCT c.content_key) FILTER (WHERE NOT c.is_own) AS audience_posts,
    count(*) FILTER (WHERE NOT c.is_own)
        - count(DISTINCT c.content_key) FILTER (WHERE NOT c.is_own) AS duplicates,
    count(DISTINCT c.content_key) FILTER (WHERE c.is_own) AS own_posts,
    count(DISTINCT c.content_key) FILTER (WHERE NOT c.is_own AND c.lang IS NOT NULL)
        AS enriched_posts,
    count(DISTINCT c.content_key) FILTER (WHERE NOT c.is_own AND c.sentiment_label IS NOT NULL)
        AS rated_posts,
    count(DISTINCT c.content_key) FILTER (WHERE NOT c.is_own AND EXISTS (
        SELECT 1 FROM post_topics t WHERE t.post_id = c.post_id)) AS tagged_posts,
    count(DISTINCT c.content_key) FILTER (WHERE NOT c.is_own AND c.is_question) AS questions
FROM _post_facts c
GROUP BY c.week;

-- week_languages: the language mix of the audience's posts per week (NULL = not enriched).
CREATE OR REPLACE VIEW ref_week_languages AS
SELECT c.week, c.lang, count(DISTINCT c.content_key) AS posts
FROM _post_facts c
WHERE NOT c.is_own
GROUP BY ALL;

CREATE OR REPLACE VIEW ref_topic_weekly AS
SELECT
    p.week,
    t.topic_id,
    count(*) AS posts,
    count(DISTINCT coalesce(p.author, p.source_id)) AS authors,
    avg(p.sentiment) AS avg_sentiment,
    avg(CASE WHEN p.sentiment_label = 'negative' THEN 1.0
             WHEN p.sentiment_label IS NULL THEN NULL ELSE 0.0 END) AS negative_share,
    sum(coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)) AS engagement,
    -- the week is over: its local end (the next Monday's midnight) has passed
    timezone(coalesce((SELECT value FROM _settings WHERE key = 'timezone'), 'UTC'),
             CAST(any_value(p.week_start) AS TIMESTAMP) + INTERVAL 7 DAY) <= now() AS complete
FROM post_topics t
JOIN _post_facts p USING (post_id)
WHERE NOT p.is_own
GROUP BY p.week, t.topic_id;
