"""The teach page (`/teach`): the posts whose label would teach the models most (their
sentiment, or for a topic with a relevance model or enough labels, whether a match is about
it), each with the correction forms, so that labelling 20 posts a week happens here. A
correction is a label, so the post leaves the queue with the next copy.

The queue is `warehouse.teach.teach_queue` (what `earshot labels next` computes) with the judge
the CLI builds (`nlp.judging.build_judge`, from `ExploreSettings.teach`), on the analytics copy:
computed once per copy for the longest queue the page offers (a shorter one is its head, as
`choose` goes round the strata in a fixed order) and kept in the reader's memo. The rules'
spaCy pipelines are built once per app, and they remember each text's score, so a new copy
(after each correction) costs the models' margins, not the rules again.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any

import duckdb
from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import HTMLResponse

from earshot.explore.deps import settings_of
from earshot.explore.posts import topic_labels
from earshot.explore.reader import AnalyticsReader
from earshot.explore.render import page
from earshot.explore.settings import ExploreSettings
from earshot.warehouse.corrections import answered_questions
from earshot.warehouse.labels import labelled_texts
from earshot.warehouse.post_lists import listed_posts
from earshot.warehouse.teach import TeachItem, relevance_labels, teach_queue

if TYPE_CHECKING:  # the NLP (spaCy, scikit-learn) is imported on the page's first request
    from earshot.nlp.judging import JudgeSettings
    from earshot.nlp.rule_scores import RuleScores

router = APIRouter()
DEFAULT_N = 20
MAX_N = 100
_BUILDING = threading.Lock()


def judging(settings: ExploreSettings) -> JudgeSettings:
    """The judge's settings the CLI gave, else the config's defaults (German and English,
    the models folder beside the warehouse)."""
    from earshot.nlp.judging import JudgeSettings

    if settings.teach is not None:
        return settings.teach
    return JudgeSettings(
        ("de", "en"), settings.warehouse_path.parent / "models", tuple(settings.topics)
    )


def app_rules(state: Any, settings: JudgeSettings) -> dict[str, RuleScores]:
    """The app's rules, built on first use and kept on the app's state."""
    with _BUILDING:
        rules: dict[str, RuleScores] | None = getattr(state, "teach_rules", None)
        if rules is None:
            from earshot.nlp.judging import judge_rules

            rules = judge_rules(settings, remember=True)
            state.teach_rules = rules
        return rules


def queue(
    con: duckdb.DuckDBPyConnection, settings: JudgeSettings, rules: dict[str, RuleScores]
) -> list[TeachItem]:
    """The longest teach queue the page shows, judged as `earshot labels next` judges."""
    from earshot.nlp.judging import build_judge

    judge = build_judge(settings, labelled_texts(con), rules, relevance_labels(con))
    return teach_queue(con, judge, MAX_N)


def teach_context(
    con: duckdb.DuckDBPyConnection, settings: JudgeSettings, rules: dict[str, RuleScores]
) -> dict[str, Any]:
    items = queue(con, settings, rules)
    ids = [i.post_id for i in items]
    return {
        "items": items,
        "posts": {p.post_id: p for p in listed_posts(con, ids)},
        "topic_labels": topic_labels(con),
        "answered": answered_questions(con, ids),
    }


def memoised_context(app_state: Any, settings: ExploreSettings) -> dict[str, Any]:
    """The teach page's context of the current copy, computed once per copy."""
    judge_settings = judging(settings)
    rules = app_rules(app_state, judge_settings)
    copy: AnalyticsReader = app_state.reader
    app_state.teach_asked = True  # from now on, each new copy is warmed for this page
    context: dict[str, Any] = copy.memo(
        ("teach-page",), lambda con: teach_context(con, judge_settings, rules)
    )
    return context


def warm_teach(app_state: Any, settings: ExploreSettings) -> None:
    """After a new copy opened (a correction, a publish): the queue, if the page was asked."""
    if getattr(app_state, "teach_asked", False):
        try:
            memoised_context(app_state, settings)
        except Exception as exc:
            print(f"explore: preparing the teach queue: {exc}", flush=True)


@router.get("/teach", response_class=HTMLResponse)
def teach_page(
    request: Request, n: Annotated[int, Query(ge=1, le=MAX_N)] = DEFAULT_N
) -> HTMLResponse:
    settings = settings_of(request)
    context = memoised_context(request.app.state, settings)
    items = context["items"][:n]
    back = "/teach" + (f"?n={n}" if n != DEFAULT_N else "")
    return page(
        request,
        "teach.html",
        items=items,
        n=n,
        posts=context["posts"],
        topic_labels=context["topic_labels"],
        answered=context["answered"],
        back=back,
        teach=True,
    )
