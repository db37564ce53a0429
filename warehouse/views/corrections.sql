-- corrections: every correction made in Explore, newest last: who, when, what. The labels of
-- origin 'explore' (topic relevance, sentiment) and the questions marked answered.
-- kind: 'not about topic' | 'about topic' | 'sentiment' | 'question answered'.
CREATE OR REPLACE VIEW corrections AS
SELECT
    'label-' || l.label_id AS correction_id,
    l.post_id,
    CASE WHEN l.sentiment IS NOT NULL THEN 'sentiment'
         WHEN l.relevant THEN 'about topic'
         ELSE 'not about topic' END AS kind,
    l.topic_id,
    l.relevant,
    l.sentiment,
    l.labelled_by AS corrected_by,
    l.labelled_at AS corrected_at,
    p.url
FROM _labels l
LEFT JOIN _posts p USING (post_id)
WHERE l.origin = 'explore'
UNION ALL
SELECT
    'answered-' || q.answer_id,
    q.post_id,
    'question answered',
    NULL,
    NULL,
    NULL,
    q.answered_by,
    q.answered_at,
    p.url
FROM _answered_questions q
LEFT JOIN _posts p USING (post_id);
