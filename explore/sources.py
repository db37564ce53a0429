"""`/sources`: the health table of `earshot sources` (the `source_health` view), with each
source's last error and its posts per week (the digest facts' per-source counts)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse

from earshot.explore.deps import chosen_week, reader, settings_of, week_list
from earshot.explore.render import page
from earshot.warehouse.digest_queries import source_weeks

router = APIRouter()
WEEKS = 8


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, week: str | None = None) -> HTMLResponse:
    settings = settings_of(request)
    chosen = chosen_week(request, week)
    with reader(request) as con:
        cursor = con.execute("SELECT * FROM source_health ORDER BY source_id")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        weekly = source_weeks(con, chosen, WEEKS)
        weeks = week_list(con, settings.now)
    return page(
        request,
        "sources.html",
        rows=rows,
        weekly=weekly,
        week=chosen,
        weeks=weeks,
        columns=list(weekly.weeks),
    )
