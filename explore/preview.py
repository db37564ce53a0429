"""`/preview`: try a topic definition (terms, exclusions, a boolean query) on the last 12 weeks
before saving it (`explore.topic_preview`); `POST /preview/save` (CSRF) writes it into
`listening.yaml` through the function the CLI handed over (`ExploreSettings.save_topic`).
`GET /api/preview` is the JSON twin."""

from __future__ import annotations

import hmac
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from earshot.explore.auth import CSRF_FIELD, csrf_token
from earshot.explore.deps import bad, reader, settings_of
from earshot.explore.render import page
from earshot.explore.search_strings import search_strings
from earshot.explore.topic_preview import (
    Preview,
    PreviewError,
    check_rule,
    preview_topic,
    rule_from_form,
)
from earshot.nlp.records import TopicRule

router = APIRouter()
LANGS = ("de", "en")


def _topics(request: Request) -> dict[str, dict[str, Any]]:
    """The configured topics, with what this app saved since it started."""
    saved: dict[str, dict[str, Any]] = getattr(request.app.state, "saved_topics", {})
    return {**settings_of(request).topics, **saved}


def _definition(
    params: QueryParams | dict[str, str], topics: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The form's definition; a topic chosen without any field filled starts from its config."""
    topic_id = (params.get("topic") or "").strip() or (params.get("new_id") or "").strip()
    fields = [f"terms_{lang}" for lang in LANGS] + [f"exclude_{lang}" for lang in LANGS] + ["query"]
    given = any((params.get(f) or "").strip() for f in fields)
    current = topics.get(topic_id, {})
    if not given and current:
        return {
            "id": topic_id,
            "label": current.get("label"),
            "bucket": current.get("bucket"),
            "terms": {k: "\n".join(v) for k, v in (current.get("terms") or {}).items()},
            "exclude": {k: "\n".join(v) for k, v in (current.get("exclude") or {}).items()},
            "query": current.get("query") or "",
        }
    return {
        "id": topic_id,
        "label": (params.get("label") or "").strip() or current.get("label"),
        "bucket": current.get("bucket"),
        "terms": {lang: params.get(f"terms_{lang}") or "" for lang in LANGS},
        "exclude": {lang: params.get(f"exclude_{lang}") or "" for lang in LANGS},
        "query": params.get("query") or "",
    }


def _rule(definition: dict[str, Any]) -> TopicRule:
    return rule_from_form(
        definition["id"] or "preview",
        definition.get("bucket"),
        definition["terms"],
        definition["exclude"],
        definition["query"],
    )


def _run(request: Request, rule: TopicRule) -> tuple[Preview, float]:
    settings = settings_of(request)
    started = time.perf_counter()
    with reader(request) as con:
        found = preview_topic(
            con, rule, now=settings.now or datetime.now(UTC), timezone=settings.timezone
        )
    return found, time.perf_counter() - started


@router.get("/api/preview")
def preview_api(request: Request) -> dict[str, Any]:
    definition = _definition(request.query_params, _topics(request))
    try:
        found, seconds = _run(request, _rule(definition))
    except PreviewError as exc:
        raise HTTPException(status_code=400, detail=f"{exc.field}: {exc.message}") from None
    out: dict[str, Any] = jsonable_encoder({**asdict(found), "seconds": round(seconds, 3)})
    return out


@router.get("/preview", response_class=HTMLResponse)
def preview_page(request: Request) -> HTMLResponse:
    settings = settings_of(request)
    topics = _topics(request)
    definition = _definition(request.query_params, topics)
    asked = bool(request.query_params)
    found, seconds, error = None, 0.0, None
    if asked and (definition["id"] or any(definition["terms"].values()) or definition["query"]):
        try:
            found, seconds = _run(request, _rule(definition))
        except PreviewError as exc:
            error = exc
    return page(
        request,
        "preview.html",
        status_code=400 if error else 200,
        s=search_strings(settings.language),
        topics=topics,
        definition=definition,
        langs=LANGS,
        found=found,
        seconds=seconds,
        error=error,
        can_save=settings.save_topic is not None and settings.config_path is not None,
        saved=request.query_params.get("saved_topic"),
        config_path=str(settings.config_path or ""),
    )


@router.post("/preview/save")
async def preview_save(request: Request) -> Response:
    settings = settings_of(request)
    body = (await request.body()).decode("utf-8", "replace")
    form = dict(parse_qsl(body, keep_blank_values=True))
    given = form.get(CSRF_FIELD) or ""
    if not hmac.compare_digest(given, csrf_token(settings.token)):
        raise HTTPException(status_code=403, detail="csrf: missing or wrong CSRF token")
    if settings.save_topic is None or settings.config_path is None:
        raise HTTPException(status_code=409, detail="config: Explore has no config file to save to")
    definition = _definition(form, _topics(request))
    if not definition["id"]:
        raise bad("new_id", "give the new topic an id")
    rule = _rule(definition)
    try:
        check_rule(rule)
    except PreviewError as exc:
        raise bad(exc.field, exc.message) from None
    topic = {
        "id": rule.topic_id,
        "label": definition.get("label"),
        "bucket": definition.get("bucket"),
        "terms": {lang: list(ts) for lang, ts in rule.terms.items()},
        "exclude": {lang: list(ts) for lang, ts in rule.exclude.items()},
        "query": rule.query,
    }
    save = settings.save_topic
    path = settings.config_path
    try:
        await run_in_threadpool(lambda: save(path, topic))
    except Exception as exc:  # the saver's own error names the file and the key
        raise HTTPException(status_code=400, detail=f"config: {exc}") from None
    saved = dict(getattr(request.app.state, "saved_topics", {}))
    saved[rule.topic_id] = {**_topics(request).get(rule.topic_id, {}), **topic}
    request.app.state.saved_topics = saved
    query = urlencode({"topic": rule.topic_id, "saved_topic": rule.topic_id})
    return RedirectResponse(f"/preview?{query}", status_code=303)
