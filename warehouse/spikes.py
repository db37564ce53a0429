"""Alert spike detection: a topic's recent window of audience posts against the windows before.

Reads the posts (not the digest facts), so it sees every post stored up to `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True, slots=True)
class Spike:
    """A topic's recent window against the same-length windows before it (for alerts)."""

    topic_id: str
    label: str
    kind: str  # 'volume' | 'negative'
    posts: int
    baseline: float  # mean posts per window (volume) or negative share (negative)
    value: float  # posts (volume) or negative share (negative) in the window
    z: float


def topic_spikes(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    *,
    window_hours: int = 24,
    baseline_windows: int = 28,
    min_posts: int = 5,
    min_z: float = 3.0,
) -> list[Spike]:
    """Audience volume or negativity spikes per topic in the last `window_hours` before `now`.

    The same tests as the `topic_movement` view, on windows instead of weeks: the baseline is the
    `baseline_windows` windows before the current one.
    """
    rows = con.execute(
        """
        WITH w AS (
            SELECT t.topic_id,
                   coalesce(p.published_at, p.fetched_at) >= ?::TIMESTAMPTZ - to_hours(?) AS cur,
                   p.content_key, p.sentiment_label
            FROM post_topics t JOIN posts p USING (post_id)
            WHERE NOT p.is_own
              AND coalesce(p.published_at, p.fetched_at) < ?::TIMESTAMPTZ
              AND coalesce(p.published_at, p.fetched_at)
                  >= ?::TIMESTAMPTZ - to_hours(? * (? + 1))
        ),
        agg AS (
            SELECT topic_id,
                   count(DISTINCT content_key) FILTER (WHERE cur) AS n1,
                   count(DISTINCT content_key) FILTER (WHERE NOT cur) AS n0,
                   count(sentiment_label) FILTER (WHERE cur) AS r1,
                   count(*) FILTER (WHERE cur AND sentiment_label = 'negative') AS g1,
                   count(sentiment_label) FILTER (WHERE NOT cur) AS r0,
                   count(*) FILTER (WHERE NOT cur AND sentiment_label = 'negative') AS g0
            FROM w GROUP BY topic_id
        )
        SELECT a.topic_id, t.label, n1, n0, r1, g1, r0, g0
        FROM agg a JOIN topics t USING (topic_id)
        ORDER BY a.topic_id
        """,
        [now, window_hours, now, now, window_hours, baseline_windows],
    ).fetchall()
    spikes: list[Spike] = []
    k = baseline_windows
    for topic_id, label, n1, n0, r1, g1, r0, g0 in rows:
        mean = n0 / k
        if max(n1, mean) >= min_posts and n1 + n0 > 0:
            p0 = 1 / (k + 1)
            z = (n1 - (n1 + n0) * p0) / ((n1 + n0) * p0 * (1 - p0)) ** 0.5
            if z >= min_z:
                spikes.append(Spike(topic_id, label, "volume", n1, mean, float(n1), z))
        if r1 >= min_posts and r0 > 0 and 0 < g1 + g0 < r1 + r0:
            pooled = (g1 + g0) / (r1 + r0)
            z = (g1 / r1 - g0 / r0) / (pooled * (1 - pooled) * (1 / r1 + 1 / r0)) ** 0.5
            if z >= min_z:
                spikes.append(Spike(topic_id, label, "negative", n1, g0 / r0, g1 / r1, z))
    return spikes
