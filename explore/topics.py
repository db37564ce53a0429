"""`/topics/{topic_id}`: a topic's last 12 weeks (posts and mean sentiment, the digest's
figures of each week), the week's posts with the matched terms highlighted, its questions,
top authors and sources."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse

from earshot.explore.chart import topic_chart
from earshot.explore.deps import (
    chosen_week,
    known_topic,
    memo,
    peek,
    reader,
    settings_of,
    week_list,
)
from earshot.explore.posts import topic_labels
from earshot.explore.render import page
from earshot.warehouse.corrections import answered_questions
from earshot.warehouse.digest_queries import topic_weeks
from earshot.warehouse.facts import require_fresh
from earshot.warehouse.topic_posts import TopicWeek, topic_week, topics_of_week

router = APIRouter()
HISTORY_WEEKS = 12
EVIDENCE_POSTS = 20
QUESTIONS = 10


@router.get("/topics/{topic_id}", response_class=HTMLResponse)
def topic_page(request: Request, topic_id: str, week: str | None = None) -> HTMLResponse:
    settings = settings_of(request)
    chosen = chosen_week(request, week)
    with reader(request) as con:
        label = known_topic(con, topic_id, field="topic_id")
    # the warm-up computes every topic page of the default week at once (`topic_pages`)
    every = peek(request, ("topic-pages", chosen))
    if isinstance(every, dict) and topic_id in every:
        context = every[topic_id]
    else:
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


def topic_pages(
    con: duckdb.DuckDBPyConnection, week: str, topic_ids: list[str], now: datetime | None
) -> dict[str, dict[str, Any]]:
    """`topic_context` of each of `topic_ids` in `week`, their shown posts read at once."""
    require_fresh(con)
    shown = topics_of_week(con, week, topic_ids, posts=EVIDENCE_POSTS, questions=QUESTIONS)
    return {t: topic_context(con, t, week, now, shown[t]) for t in topic_ids}


def topic_context(
    con: duckdb.DuckDBPyConnection,
    topic_id: str,
    week: str,
    now: datetime | None,
    shown: TopicWeek | None = None,
) -> dict[str, Any]:
    """The topic page's figures and posts (`shown`: its week as `topic_week` read it)."""
    require_fresh(con)
    history = topic_weeks(con, topic_id, week, HISTORY_WEEKS)
    if shown is None:
        shown = topic_week(con, week, topic_id, posts=EVIDENCE_POSTS, questions=QUESTIONS)
    return {
        "weeks": week_list(con, now),
        "history": history,
        "this_week": history[-1][1] if history and history[-1][0] == week else None,
        "chart": topic_chart(history),
        "found": shown.found,
        "questions": shown.questions,
        "authors": shown.authors,
        "sources": shown.sources,
        "topic_labels": topic_labels(con),
        "answered": answered_questions(
            con, [p.post_id for p in shown.found.posts] + [q.post_id for q in shown.questions]
        ),
    }
