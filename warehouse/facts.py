"""Digest facts: per-week aggregates the digest views read, recomputed for the weeks that changed.

Writers mark the weeks of the posts they add or change (`mark_*`, in their own transaction;
enrichment marks the posts, whose weeks the refresh looks up); `refresh_facts` recomputes the
marked weeks whole (distinct counts do not add up across weeks) and clears the marks. The
tables are described in migrations/0009_digest_facts.sql (the topic page's in 0021).

Writers own the facts: every write cycle ends with `refresh_facts`. Readers never write:
each reader entry point calls `require_fresh` once, which raises `StaleFacts` on marks left.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import duckdb

from earshot.warehouse.connection import WarehouseError, transaction
from earshot.warehouse.weeks import iso_week

FACT_TABLES = (
    "_fact_weeks",
    "_fact_week_languages",
    "_fact_week_sources",
    "_fact_topic_weeks",
    "_fact_own_buckets",
    "_fact_term_weeks",
    "_fact_matched_terms",
    "_fact_week_set_aside",
    "_fact_topic_posts",
)


def week_start_sql(instant: str) -> str:
    """SQL for the Monday (local date) of the ISO week `instant` falls in, as `_post_facts`."""
    return (
        "CAST(date_trunc('week', timezone(coalesce((SELECT value FROM _settings "
        f"WHERE key = 'timezone'), 'UTC'), {instant})) AS DATE)"
    )


def mark_weeks_of(con: duckdb.DuckDBPyConnection, posts_sql: str, params: object = None) -> None:
    """Mark dirty the weeks of the posts `posts_sql` selects (it has published_at, fetched_at).

    Runs in the caller's transaction. Marking a week that did not change only costs its
    recompute, so callers may mark a superset.
    """
    con.execute(
        f"""
        INSERT INTO _dirty_weeks
        SELECT DISTINCT {week_start_sql("coalesce(x.published_at, x.fetched_at)")}
        FROM ({posts_sql}) x
        ON CONFLICT DO NOTHING
        """,
        params,
    )


def mark_posts_dirty(con: duckdb.DuckDBPyConnection, post_ids_sql: str) -> None:
    """Mark dirty the weeks of the stored posts whose ids `post_ids_sql` selects.

    By id, in the caller's transaction: the weeks are looked up once per refresh, not per
    enrich batch (a lookup reads the ids of every post).
    """
    con.execute(f"INSERT INTO _dirty_posts SELECT post_id FROM ({post_ids_sql})")


def dirty_weeks(con: duckdb.DuckDBPyConnection) -> list[date]:
    """The weeks the next refresh recomputes (unless a full rebuild is asked for)."""
    rows = con.execute(
        f"""
        SELECT week_start FROM _dirty_weeks
        UNION
        SELECT {week_start_sql("coalesce(published_at, fetched_at)")} FROM _posts
        WHERE post_id IN (SELECT post_id FROM _dirty_posts)
        ORDER BY 1
        """
    ).fetchall()
    return [r[0] for r in rows]


def mark_all_dirty(con: duckdb.DuckDBPyConnection, reason: str) -> None:
    """Ask for a full rebuild (time zone, taxonomy or a source's `owned` changed)."""
    con.execute("INSERT INTO _facts_rebuild VALUES (?)", [reason])


def needs_refresh(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT EXISTS (SELECT 1 FROM _dirty_weeks) OR EXISTS (SELECT 1 FROM _dirty_posts) "
        "OR EXISTS (SELECT 1 FROM _facts_rebuild)"
    ).fetchone()
    return bool(row and row[0])


def refresh_facts(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute the facts of every dirty week (all weeks after a rebuild request).

    One transaction: the facts and the marks change together. Week by week, the week's posts
    (with their enrichment) are read once into a temporary table the facts are counted from.
    Returns the number of weeks recomputed (0, after one cheap query, when nothing is dirty).
    """
    if not needs_refresh(con):
        return 0
    with transaction(con):
        if con.execute("SELECT count(*) FROM _facts_rebuild").fetchall()[0][0] > 0:
            for table in FACT_TABLES:
                con.execute(f"DELETE FROM {table}")
            weeks = _all_weeks(con)
            whole = set(weeks)
        else:
            weeks = dirty_weeks(con)
            whole = {r[0] for r in con.execute("SELECT week_start FROM _dirty_weeks").fetchall()}
            for table in FACT_TABLES:
                if table != "_fact_topic_posts":
                    con.execute(
                        f"DELETE FROM {table} WHERE week_start IN (SELECT unnest(?::DATE[]))",
                        [weeks],
                    )
            # a topic's posts are rows of single posts: a week marked whole is counted again
            # whole, else only its marked posts (a correction rewrites its post's rows, not the
            # week's ~80,000: ~0.4 s of a republish at 1,000,000 posts, with its CHECKPOINT)
            con.execute(
                "DELETE FROM _fact_topic_posts WHERE week_start IN (SELECT unnest(?::DATE[])) "
                "OR post_id IN (SELECT post_id FROM _dirty_posts)",
                [sorted(whole)],
            )
        for week_start in sorted(weeks):
            _count_week(con, week_start, whole=week_start in whole)
        con.execute("DROP TABLE IF EXISTS _refresh_posts")
        con.execute("DROP TABLE IF EXISTS _refresh_tags")
        con.execute("DELETE FROM _dirty_weeks")
        con.execute("DELETE FROM _dirty_posts")
        con.execute("DELETE FROM _facts_rebuild")
    return len(weeks)


def _all_weeks(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Every week from the first post's to the last post's (a local week start only grows
    with the time, so two conversions instead of one per post)."""
    row = con.execute(
        f"""
        SELECT {week_start_sql("min(coalesce(published_at, fetched_at))")},
               {week_start_sql("max(coalesce(published_at, fetched_at))")}
        FROM _posts
        """
    ).fetchall()[0]
    if row[0] is None:
        return []
    first, last = row
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _count_week(con: duckdb.DuckDBPyConnection, week_start: date, *, whole: bool) -> None:
    """The facts of one week, from its posts and their tags, each read once (big tables are
    scanned once per week, not once per fact table); its topic posts of the marked posts
    alone unless `whole`."""
    # a cheap pre-filter on the post time (local midnight is within a day of UTC's), then
    # the exact test on the local week
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _refresh_posts AS
        SELECT p.post_id, p.content_key, p.author, p.source_id, p.likes, p.reposts, p.replies,
               p.lang, p.sentiment, p.sentiment_label, p.is_question, p.is_own, p.key_terms,
               p.week_start, p.published_at, p.post_row
        FROM _post_facts p
        WHERE coalesce(p.published_at, p.fetched_at) >= ?
          AND coalesce(p.published_at, p.fetched_at) < ?
          AND p.week_start = ?
        """,
        [
            _instant(week_start) - timedelta(days=1),
            _instant(week_start) + timedelta(days=8),
            week_start,
        ],
    )
    # the tags as analysts see them (the view): relevance models and corrections applied
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _refresh_tags AS
        SELECT t.post_id, t.topic_id, t.bucket_id, t.matched_terms
        FROM post_topics t
        WHERE t.post_id IN (SELECT post_id FROM _refresh_posts)
        """
    )
    scope = (
        "SELECT r.*, r.post_id IN (SELECT post_id FROM _refresh_tags) AS tagged "
        "FROM _refresh_posts r"
    )
    for sql in _FACT_INSERTS:
        con.execute(sql.format(scope=scope, tags="_refresh_tags"))
    only = "" if whole else "AND p.post_id IN (SELECT post_id FROM _dirty_posts)"
    con.execute(_TOPIC_POSTS.format(scope=scope, tags="_refresh_tags", only=only))
    con.execute(
        f"""
        INSERT INTO _fact_week_set_aside
        SELECT p.week_start, count(*)
        FROM post_topics_rejected s JOIN ({scope}) p USING (post_id)
        WHERE NOT p.is_own AND s.post_id IN (SELECT post_id FROM _refresh_posts)
        GROUP BY ALL
        """
    )


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


_FACT_INSERTS = (
    """
    INSERT INTO _fact_weeks
    SELECT p.week_start,
        count(*) FILTER (WHERE NOT p.is_own),
        count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own),
        count(*) FILTER (WHERE p.is_own),
        count(DISTINCT p.content_key) FILTER (WHERE p.is_own),
        count(*) FILTER (WHERE NOT p.is_own AND p.lang IS NOT NULL),
        count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own AND p.lang IS NOT NULL),
        count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own AND p.sentiment_label IS NOT NULL),
        count(*) FILTER (WHERE NOT p.is_own AND p.tagged),
        count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own AND p.tagged),
        count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own AND p.is_question)
    FROM ({scope}) p
    GROUP BY p.week_start
    """,
    """
    INSERT INTO _fact_week_languages
    SELECT p.week_start, p.lang, count(DISTINCT p.content_key)
    FROM ({scope}) p
    WHERE NOT p.is_own
    GROUP BY ALL
    """,
    """
    INSERT INTO _fact_week_sources
    SELECT p.week_start, p.source_id, count(*)
    FROM ({scope}) p
    GROUP BY ALL
    """,
    """
    INSERT INTO _fact_topic_weeks
    SELECT p.week_start, t.topic_id,
        count(*) FILTER (WHERE NOT p.is_own),
        count(DISTINCT p.content_key) FILTER (WHERE NOT p.is_own),
        count(DISTINCT coalesce(p.author, p.source_id)) FILTER (WHERE NOT p.is_own),
        sum(coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0))
            FILTER (WHERE NOT p.is_own),
        avg(p.sentiment) FILTER (WHERE NOT p.is_own),
        avg(CASE WHEN p.sentiment_label = 'negative' THEN 1.0
                 WHEN p.sentiment_label IS NULL THEN NULL ELSE 0.0 END)
            FILTER (WHERE NOT p.is_own),
        count(p.sentiment_label) FILTER (WHERE NOT p.is_own),
        count(*) FILTER (WHERE NOT p.is_own AND p.sentiment_label = 'negative'),
        count(DISTINCT p.content_key) FILTER (WHERE p.is_own)
    FROM {tags} t
    JOIN ({scope}) p USING (post_id)
    GROUP BY ALL
    """,
    """
    INSERT INTO _fact_own_buckets
    SELECT DISTINCT p.week_start, coalesce(t.bucket_id, tp.bucket_id), p.content_key
    FROM {tags} t
    JOIN ({scope}) p USING (post_id)
    LEFT JOIN _topics tp ON tp.topic_id = t.topic_id
    WHERE p.is_own AND coalesce(t.bucket_id, tp.bucket_id) IS NOT NULL
    """,
    # distinct counts straight over the terms' rows: a DISTINCT of those rows first changes
    # no count and cost ~0.3 s of a week's refresh at 1,000,000 posts (~1.0 s -> ~0.7 s)
    """
    INSERT INTO _fact_term_weeks
    SELECT p.week_start, lower(k.term),
           count(DISTINCT p.content_key),
           count(DISTINCT coalesce(p.author, p.source_id)),
           count(DISTINCT p.content_key) FILTER (WHERE p.tagged)
    FROM ({scope}) p, unnest(p.key_terms) AS k(term)
    WHERE NOT p.is_own AND p.key_terms IS NOT NULL
    GROUP BY ALL
    """,
    """
    INSERT INTO _fact_matched_terms
    SELECT DISTINCT x.week_start, lower(m.term)
    FROM (SELECT p.week_start, t.matched_terms
          FROM {tags} t JOIN ({scope}) p USING (post_id)) x,
         unnest(x.matched_terms) AS m(term)
    """,
)


# the topic page's (warehouse.topic_posts): each topic's audience posts of the week (`only`:
# of some posts)
_TOPIC_POSTS = """
    INSERT INTO _fact_topic_posts
    SELECT p.week_start, t.topic_id, p.post_id, p.post_row, p.content_key, p.author,
           p.source_id, p.published_at,
           coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0),
           coalesce(p.is_question, false), t.matched_terms
    FROM {tags} t JOIN ({scope}) p USING (post_id)
    WHERE NOT p.is_own {only}
"""


class StaleFacts(WarehouseError):
    """The digest facts of some weeks await their refresh: a reader found them stale."""


def require_fresh(con: duckdb.DuckDBPyConnection) -> None:
    """Raise `StaleFacts` unless the digest facts are up to date; a reader's one check.

    Readers never refresh (they may be read-only, and a read that writes would race the
    writers): every write cycle ends with `refresh_facts`, so stale facts mean a cycle
    stopped before its end (a crash, a kill), or another job is between its writes and its
    refresh. Figures are never read stale: the reader stops and says how to fix it.
    """
    if not needs_refresh(con):
        return
    rebuild = [r[0] for r in con.execute("SELECT reason FROM _facts_rebuild").fetchall()]
    if rebuild:
        pending = f"all weeks ({'; '.join(sorted(set(rebuild)))})"
    else:
        pending = ", ".join(iso_week(d) for d in dirty_weeks(con))
    raise StaleFacts(
        f"digest facts: not up to date for {pending}; a write cycle stopped before its refresh "
        "(or one is running now). Run `earshot enrich` (any writing job, e.g. `earshot collect`, "
        "ends by refreshing them), then try again"
    )


@contextmanager
def topic_facts_read() -> Iterator[None]:
    """Around a read of the topic posts' facts (`_fact_topic_posts`, migration 0021): a copy
    published before that migration has no such table, which is said as `StaleFacts` (what
    makes one) instead of DuckDB's catalog error."""
    try:
        yield
    except duckdb.CatalogException as exc:
        if "_fact_topic_posts" not in str(exc):
            raise
        raise StaleFacts(
            f"digest facts: this copy has no topic facts yet ({exc}); the next write cycle "
            "(e.g. `earshot enrich`) counts them and publishes a copy with them"
        ) from None
