"""Who may use the app: the token (a query parameter once, then a cookie; or a Bearer header
on every request), CSRF tokens for forms, and the security headers of every response."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

COOKIE = "earshot_explore"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the first URL carries the token
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def csrf_token(token: str) -> str:
    """The forms' CSRF token: derived from the app token, so it needs no server state, and
    useless to a page that cannot read ours."""
    return hmac.new(token.encode(), b"earshot-explore-csrf", hashlib.sha256).hexdigest()


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def by_bearer(request: Request, token: str) -> bool:
    """The request carries the token in its Authorization header (a script, not a browser:
    a browser never adds it by itself, so such a request needs no CSRF token)."""
    return _same(bearer(request), token)


Handler = Callable[[Request], Awaitable[Response]]


def token_middleware(token: str) -> Callable[[Request, Handler], Awaitable[Response]]:
    """Every request needs the token; `?token=` sets the cookie and (for a page) redirects
    to the same URL without it, so it does not linger in the address bar or the history."""

    async def check(request: Request, call_next: Handler) -> Response:
        given = request.query_params.get("token")
        if _same(given, token) and request.method == "GET":
            rest = [(k, v) for k, v in parse_qsl(request.url.query) if k != "token"]
            url = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response: Response = RedirectResponse(url, status_code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        elif (
            by_bearer(request, token)
            or _same(request.cookies.get(COOKIE), token)
            or _same(given, token)
        ):
            response = await call_next(request)
        else:
            response = PlainTextResponse(
                "token: missing or wrong; open the URL `earshot explore` printed "
                "(…?token=…) or send `Authorization: Bearer <token>`",
                status_code=401,
            )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return check
