"""`/topics/{topic_id}`: a topic's last 12 weeks (posts and mean sentiment, the digest's
figures of each week), the week's posts with the matched terms highlighted, its questions,
top authors and sources."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any, TypeVar

import duckdb
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse

from earshot.explore.chart import topic_chart
from earshot.explore.deps import chosen_week, known_topic, memo, reader, settings_of, week_list
from earshot.explore.posts import topic_labels
from earshot.explore.render import page
from earshot.warehouse.corrections import answered_questions
from earshot.warehouse.digest_posts import audience_questions, topic_voices
from earshot.warehouse.digest_queries import topic_weeks
from earshot.warehouse.facts import require_fresh
from earshot.warehouse.post_lists import PostFilter, list_posts

router = APIRouter()
HISTORY_WEEKS = 12
EVIDENCE_POSTS = 20
T = TypeVar("T")
# The page's independent reads run side by side, each on a cursor of its own: a read's
# hash-table builds and small final steps leave a core idle that another read then uses.
_READS = ThreadPoolExecutor(max_workers=3, thread_name_prefix="explore-topic")


@router.get("/topics/{topic_id}", response_class=HTMLResponse)
def topic_page(request: Request, topic_id: str, week: str | None = None) -> HTMLResponse:
    settings = settings_of(request)
    chosen = chosen_week(request, week)
    with reader(request) as con:
        label = known_topic(con, topic_id, field="topic_id")
    context = memo(
        request,
        ("topic-page", topic_id, chosen),
        lambda con: topic_context(con, topic_id, chosen, settings.now),
    )
    return page(
        request,
        "topic.html",
        topic=topic_id,
        label=label,
        week=chosen,
        back=str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
        **context,
    )


def topic_context(
    con: duckdb.DuckDBPyConnection, topic_id: str, week: str, now: datetime | None
) -> dict[str, Any]:
    require_fresh(con)
    where = PostFilter(week=week, topic_id=topic_id, audience="audience")
    evidence_read = _beside(con, lambda c: list_posts(c, where, limit=EVIDENCE_POSTS))
    questions_read = _beside(con, lambda c: audience_questions(c, week, 10, topic_id=topic_id))
    voices_read = _beside(con, lambda c: topic_voices(c, week, topic_id))
    reads: list[Future[Any]] = [evidence_read, questions_read, voices_read]
    try:
        history = topic_weeks(con, topic_id, week, HISTORY_WEEKS)
    finally:
        wait(reads)  # none left running on the copy once the page is done (or failed)
    evidence = evidence_read.result()
    questions = questions_read.result()
    authors, sources = voices_read.result()
    return {
        "weeks": week_list(con, now),
        "history": history,
        "this_week": history[-1][1] if history and history[-1][0] == week else None,
        "chart": topic_chart(history),
        "found": evidence,
        "questions": questions,
        "authors": authors,
        "sources": sources,
        "topic_labels": topic_labels(con),
        "answered": answered_questions(
            con, [p.post_id for p in evidence.posts] + [q.post_id for q in questions]
        ),
    }


def _beside(
    con: duckdb.DuckDBPyConnection, read: Callable[[duckdb.DuckDBPyConnection], T]
) -> Future[T]:
    """`read` on a new cursor of `con`'s database, in the page's pool; the cursor closed after."""

    def run() -> T:
        cur = con.cursor()
        try:
            return read(cur)
        finally:
            cur.close()

    return _READS.submit(run)
