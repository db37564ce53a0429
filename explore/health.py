"""`GET /api/health`: 200 when the app can read the analytics copy (503 naming it otherwise)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from earshot.explore.deps import reader

router = APIRouter()


@router.get("/api/health")
def health(request: Request) -> dict[str, Any]:
    with reader(request) as con:
        row = con.execute("SELECT max(version) FROM _migrations").fetchone()
    return {
        "ok": True,
        "analytics_copy": str(request.app.state.settings.analytics_path),
        "schema_version": row[0] if row else None,
    }
