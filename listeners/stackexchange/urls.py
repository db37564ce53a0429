"""Stack Exchange API 2.x URLs. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

API = "https://api.stackexchange.com/2.3"
PAGE_SIZE = 100  # the API's maximum
FILTER = "withbody"  # the built-in filter that adds `body` to questions and answers


def _params(site: str, key: str | None, **more: str | None) -> dict[str, str]:
    params = {"site": site, "filter": FILTER, "pagesize": str(PAGE_SIZE)}
    params.update({k: v for k, v in more.items() if v is not None})
    if key:
        params["key"] = key
    return params


def questions(
    base: str,
    site: str,
    *,
    tagged: str | None,
    query: str | None,
    since: int | None,
    page: int,
    key: str | None = None,
) -> str:
    """Questions by latest activity, newest first; `since` keeps activity at or after it."""
    params = _params(
        site, key, tagged=tagged, sort="activity", order="desc",
        min=str(since) if since is not None else None, page=str(page),
    )  # fmt: skip
    if query:
        return f"{base.rstrip('/')}/search/advanced?" + urlencode({"q": query, **params})
    return f"{base.rstrip('/')}/questions?" + urlencode(params)


def questions_created(
    base: str,
    site: str,
    *,
    tagged: str | None,
    query: str | None,
    fromdate: int,
    todate: int,
    page: int,
    key: str | None = None,
) -> str:
    """Questions created in [`fromdate`, `todate`] (epoch seconds), newest first."""
    params = _params(
        site, key, tagged=tagged, sort="creation", order="desc",
        fromdate=str(fromdate), todate=str(todate), page=str(page),
    )  # fmt: skip
    if query:
        return f"{base.rstrip('/')}/search/advanced?" + urlencode({"q": query, **params})
    return f"{base.rstrip('/')}/questions?" + urlencode(params)


def answers(
    base: str,
    site: str,
    question_ids: Sequence[int],
    *,
    since: int | None,
    page: int,
    key: str | None = None,
    until: int | None = None,
) -> str:
    """Answers to up to 100 questions, newest first, created at or after `since` (and at or
    before `until`)."""
    ids = ";".join(str(i) for i in question_ids)
    params = _params(
        site, key, sort="creation", order="desc",
        fromdate=str(since) if since is not None else None,
        todate=str(until) if until is not None else None, page=str(page),
    )  # fmt: skip
    return f"{base.rstrip('/')}/questions/{ids}/answers?" + urlencode(params)
