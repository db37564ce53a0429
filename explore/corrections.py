"""Corrections: `POST /api/corrections` (JSON) and `POST /corrections` (the post forms).

A correction is stored in the warehouse (`warehouse.corrections`, writer lock, one short
transaction), then the analytics copy is republished (which refreshes the digest facts under
the lock; `explore.publisher`), so the app's next read already counts it: "in the app at once"
(`counted` in the answer says whether the republish finished within its bound). Browsers need
the CSRF token (form field or `X-CSRF-Token` header); a request with `Authorization: Bearer` (a
script) does not, since no browser sends that header on its own.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, HTTPException
from fastapi.encoders import jsonable_encoder
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from earshot.explore.auth import CSRF_FIELD, CSRF_HEADER, by_bearer, csrf_token
from earshot.explore.deps import bad, not_found, settings_of
from earshot.explore.publisher import Republisher
from earshot.explore.reader import AnalyticsReader
from earshot.explore.settings import ExploreSettings
from earshot.explore.warm import Corrected, Warmer
from earshot.warehouse.corrections import (
    Correction,
    CorrectionError,
    UnknownRecord,
    store_correction,
)
from earshot.warehouse.publish import publish_analytics_copy

router = APIRouter()
_FIELDS = {"post_id", "topic_id", "relevant", "sentiment", "answered"}


def _check_csrf(request: Request, given: str | None) -> None:
    settings = settings_of(request)
    if by_bearer(request, settings.token):
        return
    if given is None or not hmac.compare_digest(given, csrf_token(settings.token)):
        raise HTTPException(status_code=403, detail="csrf: missing or wrong CSRF token")


def apply_correction(
    settings: ExploreSettings,
    republisher: Republisher,
    *,
    warmer: Warmer | None = None,
    back: str | None = None,
    **fields: Any,
) -> tuple[Correction, bool]:
    """Store the correction (durable from here on), then have the analytics copy republished
    and reopened. Returns (correction, counted): counted is True when the republish finished
    within `settings.publish_wait_seconds`, so the app's next read counts the correction;
    otherwise it is still under way (or failed: the next write cycle publishes). The new
    copy's warm-up (`warmer`) computes first the pages the user returns to: `back` (the page
    the form came from) and the corrected post's week and topic pages."""
    stored = store_correction(
        settings.warehouse_path,
        by=settings.user,
        now=datetime.now(UTC),
        lock_timeout_seconds=settings.lock_timeout_seconds,
        **fields,
    )
    if warmer is not None:
        warmer.prefer(Corrected(stored.post_id, stored.topic_id, back))
    return stored, republisher.request_and_wait(settings.publish_wait_seconds)


def republisher_for(settings: ExploreSettings, reader: AnalyticsReader) -> Republisher:
    """The app's one republisher: publish (refreshing the facts under the lock), reopen."""
    return Republisher(
        lambda: publish_analytics_copy(
            settings.warehouse_path,
            settings.analytics_path,
            lock_timeout_seconds=settings.lock_timeout_seconds,
        ),
        reader.refresh,
    )


def correct(request: Request, back: str | None = None, **fields: Any) -> tuple[Correction, bool]:
    """`apply_correction` for a request: unknown records 404, bad fields 400, naming them."""
    try:
        return apply_correction(
            settings_of(request),
            request.app.state.republisher,
            warmer=getattr(request.app.state, "warmer", None),
            back=back,
            **fields,
        )
    except UnknownRecord as exc:
        raise not_found(exc.field, str(exc).split(": ", 1)[1]) from None
    except CorrectionError as exc:
        raise bad(exc.field, str(exc).split(": ", 1)[1]) from None


@router.post("/api/corrections")
async def corrections_api(request: Request) -> dict[str, Any]:
    _check_csrf(request, request.headers.get(CSRF_HEADER))
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise HTTPException(status_code=422, detail="body: not JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(status_code=422, detail="body: expected a JSON object")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise HTTPException(status_code=422, detail=f"{unknown[0]}: unknown field")
    post_id = body.get("post_id")
    if not isinstance(post_id, str) or not post_id:
        raise HTTPException(status_code=422, detail="post_id: expected the id of a stored post")
    fields: dict[str, Any] = {"post_id": post_id}
    for name, kind in (("topic_id", str), ("relevant", bool), ("sentiment", str)):
        if name in body:
            if not isinstance(body[name], kind):
                raise HTTPException(status_code=422, detail=f"{name}: expected a {kind.__name__}")
            fields[name] = body[name]
    if "answered" in body:
        if body["answered"] is not True:
            raise HTTPException(status_code=422, detail="answered: expected true")
        fields["answered"] = True
    stored, counted = await run_in_threadpool(lambda: correct(request, **fields))
    out: dict[str, Any] = jsonable_encoder({**asdict(stored), "counted": counted})
    return out


def _back(value: str | None) -> str:
    """Where the form came from: a path of this app only (no open redirect)."""
    if not value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or value.startswith("//"):
        return "/"
    return value


@router.post("/corrections")
async def corrections_form(request: Request) -> Response:
    # the forms post application/x-www-form-urlencoded: read here, no multipart parser needed
    body = (await request.body()).decode("utf-8", "replace")
    form = dict(parse_qsl(body, keep_blank_values=False))

    def field(name: str) -> str | None:
        return form.get(name) or None

    _check_csrf(request, field(CSRF_FIELD))
    post_id = field("post_id")
    if post_id is None:
        raise bad("post_id", "missing")
    action = field("action") or ""
    what, _, arg = action.partition(":")
    fields: dict[str, Any] = {"post_id": post_id}
    if what == "not_about" and arg:
        fields.update(topic_id=arg, relevant=False)
    elif what == "about":
        topic = arg or field("about_topic")
        if topic is None:
            raise bad("about_topic", "choose a topic")
        fields.update(topic_id=topic, relevant=True)
    elif what == "sentiment" and arg:
        fields.update(sentiment=arg)
    elif what == "answered":
        fields.update(answered=True)
    else:
        raise bad(
            "action", f"{action!r}: expected not_about:<topic>, about, sentiment:<s> or answered"
        )
    back = _back(field("back"))
    stored, counted = await run_in_threadpool(lambda: correct(request, back, **fields))
    split = urlsplit(back)
    query = [(k, v) for k, v in parse_qsl(split.query) if k not in ("saved", "pending")]
    query.append(("saved", stored.kind))
    if not counted:
        query.append(("pending", "1"))
    return RedirectResponse(f"{split.path}?{urlencode(query)}#post-{post_id}", status_code=303)
