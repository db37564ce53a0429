"""Stack Exchange history: the questions created in the window (`fromdate`/`todate`), newest
first page by page, each page with its questions' answers created in the window; the API's
`backoff` is waited out as in a collect."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import SourceSpec
from earshot.listeners.social.backfill import DONE, BackfillPage, Window
from earshot.listeners.social.common import from_epoch, text_field
from earshot.listeners.stackexchange import urls
from earshot.listeners.stackexchange.client import Api, search_options
from earshot.listeners.stackexchange.normalize import (
    answers_of,
    created,
    post_from_item,
    questions_of,
)

MAX_ANSWER_PAGES = 10  # per page of 100 questions


def backfill(
    client: httpx.Client,
    spec: SourceSpec,
    progress: Mapping[str, Any],
    *,
    policy: HttpPolicy,
    window: Window,
    now: datetime,
) -> Iterator[BackfillPage]:
    """Progress: the `page` of questions to ask for next."""
    base, site, tagged, query, key = search_options(spec)
    api = Api(client, policy, spec)
    # todate is inclusive in the API; the window's end is not
    start, end = int(window.since.timestamp()), int(window.until.timestamp()) - 1
    number = int(progress.get("page") or 1)
    while True:
        answer = api.get(urls.questions_created(
            base, site, tagged=tagged, query=query, fromdate=start, todate=end, page=number,
            key=key,
        ))  # fmt: skip
        questions = questions_of(answer.items)
        items: list[Mapping[str, Any]] = list(questions)
        ids = sorted({int(q["question_id"]) for q in questions})
        for page in range(1, MAX_ANSWER_PAGES + 1) if ids else ():
            answers = api.get(
                urls.answers(base, site, ids, since=start, until=end, page=page, key=key)
            )
            items.extend(answers_of(answers.items))
            if not answers.has_more:
                break
        links = {q.get("question_id"): text_field(q.get("link")) for q in questions}
        posts = (
            post_from_item(
                item, site=site, source_id=spec.source_id, fetched_at=now,
                lang_hint=spec.lang_hint, question_link=links.get(item.get("question_id")),
            )
            for item in items
        )  # fmt: skip
        kept = tuple(p for p in posts if p is not None and window.holds(p.published_at))
        reached = from_epoch(min((created(q) for q in questions), default=None))
        if not answer.has_more or not questions:
            yield BackfillPage(kept, DONE, True, reached)
            return
        number += 1
        yield BackfillPage(kept, {"page": number}, False, reached)
