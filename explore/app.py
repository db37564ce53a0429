"""The Explore application: its page routers, the token check, the error pages, the static
files. `create_app(settings)` is all a server (or a test) needs."""

from __future__ import annotations

from importlib import import_module
from importlib.resources import files

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response

from earshot.explore.auth import token_middleware
from earshot.explore.corrections import republisher_for
from earshot.explore.i18n import ui_strings
from earshot.explore.reader import AnalyticsReader
from earshot.explore.render import error_page
from earshot.explore.settings import ExploreSettings
from earshot.explore.teach import warm_teach
from earshot.explore.warm import Warmer
from earshot.warehouse.connection import WarehouseError

# Each module has `router = APIRouter()`; included in this order. The search helper adds
# "earshot.explore.search" and "earshot.explore.preview" here.
PAGE_MODULES = (
    "earshot.explore.week",
    "earshot.explore.topics",
    "earshot.explore.posts",
    "earshot.explore.sources",
    "earshot.explore.corrections",
    "earshot.explore.health",
    "earshot.explore.search",
    "earshot.explore.preview",
    "earshot.explore.teach",
)


def create_app(settings: ExploreSettings, reader: AnalyticsReader | None = None) -> FastAPI:
    app = FastAPI(title="Earshot Explore", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.reader = reader or AnalyticsReader(settings.analytics_path)
    app.state.republisher = republisher_for(settings, app.state.reader)
    app.state.reader.on_open.append(lambda: warm_teach(app.state, settings))
    # run on each new copy by the server (`explore.server.serve`); corrections say what first
    app.state.warmer = Warmer(settings, app.state.reader, lambda: app.state.republisher.pending)
    app.middleware("http")(token_middleware(settings.token))
    static = files("earshot.explore").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for name in PAGE_MODULES:
        app.include_router(import_module(name).router)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return _error(request, 422, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(WarehouseError)
    async def unreadable(request: Request, exc: WarehouseError) -> Response:
        return _error(request, 503, str(exc))

    return app


def _error(request: Request, status_code: int, message: str) -> Response:
    """JSON under /api (`{"detail": "<field>: <what>"}`), an error page elsewhere."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status_code)
    settings: ExploreSettings = request.app.state.settings
    t = ui_strings(settings.language)
    text = t["no_copy"].format(error=message) if status_code == 503 else message
    return error_page(request, status_code, text)
