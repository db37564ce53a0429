"""A week's open audience questions per topic: the one code path of every screen that lists
them (the digest and Explore's week page, a topic's page, `earshot check`).

A tagged topic's questions are its question rows of the writer's facts (`_fact_topic_posts`,
migrations/0021: the week's audience posts per topic, as `post_topics` tags them); the
questions with no topic (the NULL group, which the facts do not hold) are read from the week's
posts, less those with a row in the week's facts (a tag). Marks of answered questions
(`_answered_questions`) change no fact: they are left out when read, so a question marked
answered leaves every list at once. Readers call `facts.require_fresh` first; a copy from
before migration 0021 is said as `facts.StaleFacts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import duckdb

from earshot.warehouse.digest_posts import post_columns, week_condition
from earshot.warehouse.facts import topic_facts_read
from earshot.warehouse.weeks import week_start


@dataclass(frozen=True, slots=True)
class AudienceQuestion:
    topic_id: str | None
    post_id: str
    url: str | None
    title: str | None
    text: str
    author: str | None
    engagement: int
    platform: str | None = None
    published_at: datetime | None = None


class OpenQuestion(NamedTuple):
    """A ranked open question before its texts are read."""

    topic_id: str | None  # None: a question with no topic
    post_id: str
    post_row: int  # the post's rowid in `_posts` (from the facts: a hint, checked by post_id)
    engagement: int


def open_questions(
    con: duckdb.DuckDBPyConnection,
    week: str,
    per_topic: int,
    topic_ids: Sequence[str] | None = None,
) -> list[OpenQuestion]:
    """The `per_topic` most engaging open questions of each topic of `week` (then the newest,
    then by post_id), by topic and rank, those with no topic last; of `topic_ids` alone when
    given (their rows of the full list, from the facts only: no scan of the posts)."""
    start = week_start(week)
    params: list[object] = [start]
    asked = """
        SELECT f.topic_id, f.post_id, f.post_row, f.engagement, f.published_at
        FROM _fact_topic_posts f
        WHERE f.week_start = ? AND f.is_question
    """
    if topic_ids is not None:
        asked += " AND f.topic_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(topic_ids))
    else:
        # the week's questions with no tag: every tag of an audience post of the week is a
        # row of the week's facts
        in_week, week_params = week_condition(con, week)
        asked += f"""
        UNION ALL
        SELECT NULL, p.post_id, p.rowid,
               coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0),
               p.published_at
        FROM _posts p
        JOIN _annotations a USING (post_id)
        LEFT JOIN _sources s USING (source_id)
        WHERE a.is_question AND NOT coalesce(s.owned, false) AND {in_week}
          AND p.post_id NOT IN (SELECT post_id FROM _fact_topic_posts WHERE week_start = ?)
        """
        params += [*week_params, start]
    with topic_facts_read():
        rows = con.execute(
            f"""
            WITH asked AS ({asked}),
            ranked AS (
                SELECT *, row_number() OVER (
                    PARTITION BY topic_id
                    ORDER BY engagement DESC, published_at DESC NULLS LAST, post_id
                ) AS rank_in_topic
                FROM asked
                WHERE post_id NOT IN (SELECT post_id FROM _answered_questions)
            )
            SELECT topic_id, post_id, post_row, engagement FROM ranked
            WHERE rank_in_topic <= ?
            ORDER BY topic_id NULLS LAST, rank_in_topic
            """,
            [*params, per_topic],
        ).fetchall()
    return [OpenQuestion(t, p, int(r), int(e)) for t, p, r, e in rows]


def audience_questions(
    con: duckdb.DuckDBPyConnection,
    week: str,
    per_topic: int = 3,
    *,
    topic_id: str | None = None,
) -> list[AudienceQuestion]:
    """`open_questions` of `week` with their texts (read for the rows shown only): the most
    engaging open questions of each topic (NULL topic last), most engaging first; of
    `topic_id` alone when given (the same rows as that topic's in the full list)."""
    ranked = open_questions(con, week, per_topic, None if topic_id is None else [topic_id])
    if not ranked:
        return []
    texts = post_columns(
        con,
        "p.url, p.title, p.text, p.author, p.platform, p.published_at",
        {q.post_id: q.post_row for q in ranked},
    )
    questions: list[AudienceQuestion] = []
    for q in ranked:
        url, title, text, author, platform, published_at = texts[q.post_id]
        questions.append(
            AudienceQuestion(
                q.topic_id,
                q.post_id,
                url,
                title,
                text,
                author,
                q.engagement,
                platform,
                published_at,
            )
        )
    return questions
