-- Digest views: every figure of the weekly digest, for every ISO week, so an analyst can
-- reproduce the mail with `WHERE week = '2026-W47'`. Re-applied on every migrate.
-- The aggregates come from the per-week digest facts (`_fact_*`, migrations/0009), which every
-- write cycle refreshes for the weeks it changed (`warehouse.facts.refresh_facts`); the
-- figures are those of the same counting over the posts.
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
--   * Counts are BIGINT (a sum of counts is cast back: DuckDB's sum() of integers is HUGEINT,
--     which reaches pandas/Arrow as decimal128(38, 0)).
--   * The weeks are those of the `weeks` view (analyst_views.sql): every week from the first
--     post to the current one, gaps included.

-- Views of earlier versions, now gone (`weeks` replaces digest_weeks) or internal.
DROP VIEW IF EXISTS post_calendar;
DROP VIEW IF EXISTS digest_weeks;
DROP VIEW IF EXISTS topic_week_stats;

-- _topic_week_stats (internal): audience figures per topic and week (zero rows for quiet weeks).
CREATE OR REPLACE VIEW _topic_week_stats AS
WITH agg AS (SELECT * FROM _fact_topic_weeks WHERE tag_rows > 0)
SELECT w.week, w.week_start, tp.topic_id,
       coalesce(a.posts, 0) AS posts,
       coalesce(a.authors, 0) AS authors,
       CAST(coalesce(a.engagement, 0) AS BIGINT) AS engagement,
       a.avg_sentiment,
       coalesce(a.rated_posts, 0) AS rated_posts,
       coalesce(a.negative_posts, 0) AS negative_posts
FROM weeks w
CROSS JOIN _topics tp
LEFT JOIN agg a ON a.week_start = w.week_start AND a.topic_id = tp.topic_id;

-- topic_movement ("what moved" and "risk watch"): each topic's week against the previous week
-- and against its baseline = the up to 8 weeks before (fewer when the history is shorter).
CREATE OR REPLACE VIEW topic_movement AS
WITH windowed AS (
    SELECT s.*,
        lag(posts) OVER w_prev AS previous_posts,
        coalesce(sum(posts) OVER w_base, 0) AS baseline_posts,
        count(*) OVER w_base AS baseline_weeks,
        coalesce(sum(rated_posts) OVER w_base, 0) AS baseline_rated_posts,
        coalesce(sum(negative_posts) OVER w_base, 0) AS baseline_negative_posts
    FROM _topic_week_stats s
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
    baseline_weeks, CAST(baseline_posts AS BIGINT) AS baseline_posts, baseline_mean,
    baseline_negative_share,
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
CREATE OR REPLACE VIEW term_movement AS
WITH weekly AS (
    SELECT week_start, term, posts, authors, tagged_posts FROM _fact_term_weeks
),
grid AS (
    SELECT w.week, w.week_start, t.term,
           coalesce(x.posts, 0) AS posts, coalesce(x.authors, 0) AS authors,
           coalesce(x.tagged_posts, 0) AS tagged_posts
    FROM weeks w
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
    SELECT DISTINCT term FROM _fact_matched_terms
)
SELECT
    w.week, w.week_start, w.term, w.posts, w.authors, w.tagged_posts,
    w.baseline_weeks, CAST(w.baseline_posts AS BIGINT) AS baseline_posts,
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
CREATE OR REPLACE VIEW emerging_terms AS
SELECT * FROM term_movement
WHERE NOT covered AND posts >= 5 AND authors >= 3 AND baseline_weeks > 0 AND volume_z >= 3;

-- audience_questions: audience posts detected as questions, per topic (NULL = no topic),
-- ranked by engagement within their week and topic.
CREATE OR REPLACE VIEW audience_questions AS
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
CREATE OR REPLACE VIEW topic_share_4w AS
WITH tags AS (
    SELECT week_start, topic_id, false AS is_own, posts AS n
    FROM _fact_topic_weeks WHERE posts > 0
    UNION ALL
    SELECT week_start, topic_id, true AS is_own, own_posts AS n
    FROM _fact_topic_weeks WHERE own_posts > 0
),
windows AS (
    SELECT w.week, w.week_start, tp.topic_id,
        coalesce(sum(x.n) FILTER (WHERE NOT x.is_own), 0) AS audience_posts,
        coalesce(sum(x.n) FILTER (WHERE x.is_own), 0) AS own_posts
    FROM weeks w
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
SELECT week, week_start, topic_id,
    CAST(audience_posts AS BIGINT) AS audience_posts,
    CAST(audience_tags AS BIGINT) AS audience_tags, audience_share,
    CAST(own_posts AS BIGINT) AS own_posts, CAST(own_tags AS BIGINT) AS own_tags, own_share,
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
CREATE OR REPLACE VIEW bucket_balance_4w AS
WITH own AS (
    SELECT week_start, bucket_id, content_key FROM _fact_own_buckets
),
windows AS (
    SELECT w.week, w.week_start, b.bucket_id, b.target_share,
        count(DISTINCT o.content_key) AS own_posts
    FROM weeks w
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
SELECT week, week_start, bucket_id, target_share, own_posts,
    CAST(bucket_posts AS BIGINT) AS bucket_posts, share,
    share_low, share_high,
    CASE
        WHEN bucket_posts = 0 THEN 'no own posts'
        WHEN share_high < target_share THEN 'below target'
        WHEN share_low > target_share THEN 'above target'
        ELSE 'on target'
    END AS balance
FROM wilson;

-- week_coverage: the denominators behind the digest's shares, per week.
CREATE OR REPLACE VIEW week_coverage AS
SELECT
    strftime(week_start, '%G-W%V') AS week,
    audience_rows,
    audience_posts,
    audience_rows - audience_posts AS duplicates,
    own_posts,
    enriched_posts,
    rated_posts,
    tagged_posts,
    questions
FROM _fact_weeks;

-- week_languages: the language mix of the audience's posts per week (NULL = not enriched).
CREATE OR REPLACE VIEW week_languages AS
SELECT strftime(week_start, '%G-W%V') AS week, lang, posts
FROM _fact_week_languages;
