"""The posts behind a number: the `/posts` page and `GET /api/posts`, one filter for both
(`warehouse.post_lists`), every parameter checked (400 naming it; 404 for an unknown topic)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import duckdb
from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from starlette.requests import Request
from starlette.responses import HTMLResponse

from earshot.explore.deps import bad, chosen_week, known_topic, reader, settings_of, week_list
from earshot.explore.render import page
from earshot.warehouse.corrections import answered_questions
from earshot.warehouse.labels import SENTIMENTS
from earshot.warehouse.post_lists import AUDIENCES, SORTS, PostFilter, PostPage, list_posts
from earshot.warehouse.search import search_docs

router = APIRouter()
MAX_LIMIT = 500
PAGE_SIZE = 25


def _flag(name: str, value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise bad(name, f"{value!r}: expected true or false")


def _int(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise bad(name, f"{value!r}: expected a whole number") from None
    if not low <= n <= high:
        raise bad(name, f"{n}: expected {low} to {high}")
    return n


def post_filter(request: Request, con: duckdb.DuckDBPyConnection) -> PostFilter:
    """The filter the query string asks for; each bad value refused naming its parameter."""
    q = request.query_params
    week = q.get("week") or None
    if week is not None:
        week = chosen_week(request, week)
    topic = q.get("topic") or None
    if topic is not None:
        known_topic(con, topic)
    sentiment = q.get("sentiment") or None
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise bad("sentiment", f"{sentiment!r}: expected one of {', '.join(SENTIMENTS)}")
    audience = q.get("audience") or "all"
    if audience not in AUDIENCES:
        raise bad("audience", f"{audience!r}: expected one of {', '.join(AUDIENCES)}")
    lang = q.get("lang") or None
    if lang is not None and not (lang.isalpha() and 2 <= len(lang) <= 3):
        raise bad("lang", f"{lang!r}: expected a language code like de")
    text = q.get("q") or None
    rowids = full_text_docs(con, text) if text is not None else None
    return PostFilter(
        week=week,
        topic_id=topic,
        source_id=q.get("source") or None,
        lang=lang,
        sentiment=sentiment,
        audience=audience,
        term=q.get("term") or None,
        question=_flag("question", q.get("question")),
        tagged=_flag("tagged", q.get("tagged")),
        rows=bool(_flag("rows", q.get("rows"))),
        rowids=rowids,
    )


def full_text_docs(con: duckdb.DuckDBPyConnection, text: str) -> tuple[int, ...]:
    """`q`: the full-text search's matches (`_posts.rowid`s), what `/search` finds for it."""
    try:
        return search_docs(con, text)
    except ValueError as exc:  # the search's SearchError says "q: <what>" itself
        raise bad("q", str(exc).removeprefix("q: ")) from None


def _paging(request: Request, default_limit: int) -> tuple[int, int, str]:
    q = request.query_params
    limit = _int("limit", q.get("limit"), default_limit, 1, MAX_LIMIT)
    offset = _int("offset", q.get("offset"), 0, 0, 10**9)
    sort = q.get("sort") or "engagement"
    if sort not in SORTS:
        raise bad("sort", f"{sort!r}: expected one of {', '.join(SORTS)}")
    return limit, offset, sort


def topic_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT topic_id, label FROM topics ORDER BY topic_id").fetchall())


@router.get("/api/posts")
def posts_api(request: Request) -> dict[str, Any]:
    limit, offset, sort = _paging(request, 50)
    with reader(request) as con:
        where = post_filter(request, con)
        found = list_posts(con, where, limit=limit, offset=offset, sort=sort)
    return posts_json(found)


def posts_json(found: PostPage) -> dict[str, Any]:
    posts = []
    for p in found.posts:
        row = asdict(p)
        row["topics"] = [t.topic_id for t in p.topics]
        row["matched_terms"] = {t.topic_id: list(t.matched_terms) for t in p.topics}
        posts.append(row)
    encoded: dict[str, Any] = jsonable_encoder({"total": found.total, "posts": posts})
    return encoded


@router.get("/posts", response_class=HTMLResponse)
def posts_page(request: Request) -> HTMLResponse:
    settings = settings_of(request)
    limit, offset, sort = _paging(request, PAGE_SIZE)
    with reader(request) as con:
        where = post_filter(request, con)
        found = list_posts(con, where, limit=limit, offset=offset, sort=sort)
        labels = topic_labels(con)
        sources = [
            r[0] for r in con.execute("SELECT source_id FROM _sources ORDER BY 1").fetchall()
        ]
        weeks = week_list(con, settings.now)
        answered = answered_questions(con, [p.post_id for p in found.posts])
    params = {
        k: v
        for k, v in request.query_params.items()
        if k not in ("offset", "token", "saved", "pending")
    }
    return page(
        request,
        "posts.html",
        found=found,
        where=where,
        week=where.week,
        weeks=weeks,
        topic=where.topic_id,
        topic_labels=labels,
        sources=sources,
        params=params,
        limit=limit,
        offset=offset,
        sort=sort,
        answered=answered,
        back=str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
    )
