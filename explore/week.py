"""The week page (`/`, the start page) and `GET /api/weeks/{week}`: the digest's sections of
one week, every figure from `reports.digest.build_digest`, each count a link to its posts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import duckdb
from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from starlette.requests import Request
from starlette.responses import HTMLResponse

from earshot.explore.deps import (
    chosen_week,
    memo,
    settings_of,
    week_list,
)
from earshot.explore.render import page
from earshot.explore.settings import ExploreSettings
from earshot.reports.digest import Digest, build_digest
from earshot.reports.sentences import summary_sentences
from earshot.warehouse.corrections import answered_questions
from earshot.warehouse.weeks import previous_week

router = APIRouter()


def week_digest(con: duckdb.DuckDBPyConnection, settings: ExploreSettings, week: str) -> Digest:
    """The digest of `week` exactly as `earshot digest` builds it (same code, same figures)."""
    return build_digest(
        con,
        week=week,
        organisation=settings.organisation,
        timezone=settings.timezone,
        language=settings.language,
        top_n=settings.top_n,
        now=settings.now,
    )


@router.get("/", response_class=HTMLResponse)
def week_page(request: Request, week: str | None = None) -> HTMLResponse:
    settings = settings_of(request)
    chosen = chosen_week(request, week)
    context = memo(request, ("week-page", chosen), lambda con: week_context(con, settings, chosen))
    return page(request, "week.html", week=chosen, previous=previous_week(chosen), **context)


def week_context(
    con: duckdb.DuckDBPyConnection, settings: ExploreSettings, week: str
) -> dict[str, Any]:
    digest = week_digest(con, settings, week)
    return {
        "d": digest,
        "weeks": week_list(con, settings.now),
        "answered": answered_questions(con, [q.post_id for q in digest.questions]),
        "summary": summary_sentences(digest),
    }


@router.get("/api/weeks/{week}")
def week_api(request: Request, week: str) -> dict[str, Any]:
    settings = settings_of(request)
    chosen = chosen_week(request, week)
    # the week page's digest: one computation per copy for the page and the API
    context = memo(request, ("week-page", chosen), lambda con: week_context(con, settings, chosen))
    return week_json(context["d"])


def week_json(d: Digest) -> dict[str, Any]:
    """The week's figures as the page shows them: per topic the digest's topic table row."""
    topics = []
    for m in d.topics:
        change = d.change(m)
        topics.append(
            {
                **asdict(m),
                "change": {
                    "absolute": change.absolute,
                    "percent": change.percent,
                    "kind": str(change.kind),
                },
                "bucket_id": d.topic_buckets.get(m.topic_id),
            }
        )
    body = {
        "week": d.week,
        "complete": not d.partial,
        "period_start": d.period_start,
        "period_end": d.period_end,
        "timezone": d.timezone,
        "coverage": asdict(d.coverage),
        "topics": topics,
        "emerging": [asdict(e) for e in d.emerging],
        "questions": [asdict(q) for q in d.questions],
        "shares": [asdict(s) for s in d.shares],
        "buckets": [asdict(b) for b in d.buckets],
        "top_posts": [asdict(p) for p in d.top_posts],
        "sources": [asdict(s) for s in d.sources],
        "silent_sources": d.silent_sources,
    }
    encoded: dict[str, Any] = jsonable_encoder(body)
    return encoded
