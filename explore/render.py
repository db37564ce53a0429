"""Rendering a page: the Jinja2 environment (autoescape on), the layout's context (strings,
CSRF token, week picker) and the helpers templates use to format figures and build links."""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from earshot.explore.auth import csrf_token
from earshot.explore.i18n import ui_strings
from earshot.explore.settings import ExploreSettings
from earshot.reports.digest import snippet, web_url
from earshot.reports.i18n import (
    DASH,
    format_date,
    format_decimal,
    format_int,
    format_percent,
    format_signed_int,
)

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("earshot.explore", "templates"),
    autoescape=True,  # every value is escaped; post text is untrusted
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def link(path: str, **params: object) -> str:
    """`path` with the given query parameters (None and '' left out), URL-encoded."""
    query = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return path + (f"?{urlencode(query)}" if query else "")


def highlight(text: str, terms: Iterable[str]) -> Markup:
    """`text` escaped, with each of `terms` (any case) in <mark>: the evidence of a match."""
    wanted = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not wanted:
        return Markup(escape(text))
    pattern = re.compile("|".join(re.escape(t) for t in wanted), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        out.append(str(escape(text[last : m.start()])))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


class Formats:
    """The digest's number and date formats in the page's language."""

    def __init__(self, language: str, timezone: str) -> None:
        self.language, self.zone = language, ZoneInfo(timezone)

    def int(self, value: builtins.int | None) -> str:
        return DASH if value is None else format_int(builtins.int(value), self.language)

    def signed(self, value: builtins.int) -> str:
        return format_signed_int(builtins.int(value), self.language)

    def decimal(self, value: float | None, signed: bool = False) -> str:
        return format_decimal(value, self.language, signed=signed)

    def percent(self, value: float | None) -> str:
        return format_percent(value, self.language)

    def date(self, value: Any) -> str:
        return format_date(value, self.language)

    def when(self, value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(self.zone)
        return f"{local:%d.%m.%Y %H:%M}" if self.language == "de" else f"{local:%Y-%m-%d %H:%M}"


def page(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render `template` (which extends base.html) with the layout's context."""
    settings: ExploreSettings = request.app.state.settings
    base: dict[str, Any] = {
        "t": ui_strings(settings.language),
        "lang": settings.language,
        "organisation": settings.organisation,
        "csrf": csrf_token(settings.token),
        "fmt": Formats(settings.language, settings.timezone),
        "link": link,
        "web_url": web_url,
        "snippet": snippet,
        "highlight": highlight,
        "path": request.url.path,
        "week": None,
        "weeks": [],
        "message": request.query_params.get("saved"),
        "pending": bool(request.query_params.get("pending")),
    }
    base.update(context)
    html = _ENV.get_template(template).render(**base)
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    return page(request, "error.html", status_code=status_code, message=message)
