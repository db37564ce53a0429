"""`/search?q=...`: full-text search over all posts with filters, sorted and paged
(`warehouse.search.search_posts`), and `GET /api/search`, its JSON twin. Every parameter is
checked (400 naming it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from starlette.requests import Request
from starlette.responses import HTMLResponse

from earshot.explore.deps import bad, reader, settings_of
from earshot.explore.posts import topic_labels
from earshot.explore.render import page
from earshot.explore.search_strings import search_strings
from earshot.warehouse.search import SearchError, SearchQuery, SearchResult, search_posts

router = APIRouter()
PAGE_SIZE = 20
FIELDS = ("q", "week_from", "week_to", "topic", "source", "lang", "sentiment", "own", "question")


def _flag(name: str, value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("1", "true", "yes", "own"):
        return True
    if value.lower() in ("0", "false", "no", "audience"):
        return False
    raise bad(name, f"{value!r}: expected true or false")


def _int(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise bad(name, f"{value!r}: expected a whole number") from None


def search_query(request: Request, default_limit: int = PAGE_SIZE) -> SearchQuery:
    """The query string as a `SearchQuery` (400 naming a bad parameter)."""
    q = request.query_params

    def text(name: str) -> str | None:
        value = q.get(name)
        return value.strip() if value and value.strip() else None

    sort = text("sort") or "time"
    if sort not in ("time", "engagement"):
        raise bad("sort", f"{sort!r}: expected time or engagement")
    return SearchQuery(
        q=text("q"),
        week_from=text("week_from"),
        week_to=text("week_to"),
        topic=text("topic"),
        source=text("source"),
        lang=text("lang"),
        sentiment=text("sentiment"),
        own=_flag("own", q.get("own")),
        question=_flag("question", q.get("question")),
        sort=sort,  # type: ignore[arg-type]
        limit=_int("limit", q.get("limit"), default_limit),
        offset=_int("offset", q.get("offset"), 0),
    )


def run_search(request: Request, query: SearchQuery) -> SearchResult:
    settings = settings_of(request)
    with reader(request) as con:
        try:
            return search_posts(con, query, timezone=settings.timezone)
        except SearchError as exc:
            raise bad(exc.param, str(exc).split(": ", 1)[-1]) from None


@router.get("/api/search")
def search_api(request: Request) -> dict[str, Any]:
    found = run_search(request, search_query(request, 50))
    out: dict[str, Any] = jsonable_encoder(
        {"total": found.total, "posts": [p.as_json() for p in found.posts]}
    )
    return out


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    settings = settings_of(request)
    query = search_query(request)
    asked = any(request.query_params.get(name) for name in FIELDS)
    found = run_search(request, query) if asked else SearchResult(0, [])
    with reader(request) as con:
        labels = topic_labels(con)
        sources = [
            r[0] for r in con.execute("SELECT source_id FROM _sources ORDER BY 1").fetchall()
        ]
        weeks = [
            r[0] for r in con.execute("SELECT week FROM weeks ORDER BY week_start DESC").fetchall()
        ]
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "token") and v}
    return page(
        request,
        "search.html",
        s=search_strings(settings.language),
        query=query,
        asked=asked,
        found=found,
        topic_labels=labels,
        sources=sources,
        all_weeks=weeks,
        params=params,
        answered=set(),
        topic=query.topic,
        back=str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
    )
