"""Stack Exchange listener against the local server.

No question or answer listing was ever recorded under a permissive licence (see the folder's
README): the recorded answers (`/sites`, `/users/1/associated`) check the wrapper (`items`,
`has_more`, quota) through the real stack; questions and answers are written here in the
API's documented `withbody` shape.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from earshot.listeners import FetchStatus, SourceSpec, fetch_source
from earshot.listeners.http import HttpPolicy
from earshot.listeners.stackexchange.normalize import questions_of, wrapper_of
from tests.listeners.conftest import NOW
from tests.listeners.feedserver import FeedServer, Reply, Request
from tests.listeners.recorded import JSON, recorded_bytes, recorded_json

T0 = int(NOW.timestamp()) - 86_400


def owner(n: int) -> dict[str, Any]:
    return {
        "user_id": n,
        "display_name": f"Ana &amp; Bo {n}",
        "reputation": 10,
        "user_type": "registered",
    }


def question(
    n: int, *, created: int, active: int | None = None, answers: int = 0
) -> dict[str, Any]:
    return {
        "tags": ["newsletter"],
        "owner": owner(n),
        "is_answered": bool(answers),
        "view_count": 40 + n,
        "answer_count": answers,
        "score": n,
        "up_vote_count": n + 1,
        "last_activity_date": active or created,
        "creation_date": created,
        "question_id": n,
        "content_license": "CC BY-SA 4.0",
        "link": f"https://stackoverflow.com/questions/{n}/how-do-i-{n}",
        "title": f"How do I &quot;unsubscribe&quot; {n}?",
        "body": f"<p>Question <code>{n}</code> body</p>",
    }


def answer(n: int, question_id: int, *, created: int) -> dict[str, Any]:
    return {
        "owner": owner(100 + n),
        "is_accepted": False,
        "score": 2,
        "last_activity_date": created,
        "creation_date": created,
        "answer_id": n,
        "question_id": question_id,
        "content_license": "CC BY-SA 4.0",
        "body": f"<p>Answer {n}: see <a href='https://docs.example/faq'>the FAQ</a></p>",
    }


def wrap(items: list[dict[str, Any]], *, has_more: bool = False, **extra: Any) -> Reply:
    body = {"items": items, "has_more": has_more, "quota_max": 300, "quota_remaining": 290, **extra}
    return Reply(json.dumps(body).encode(), content_type=JSON)


class Site:
    """/2.3/questions (sort=activity desc, `min`, `page`) and /2.3/questions/{ids}/answers."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.questions: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.page_size = 100
        server.handle("/2.3/questions", self.list_questions)
        server.handle("/2.3/questions/*", self.list_answers)

    def list_questions(self, request: Request) -> Reply:
        assert request.query["site"] == "stackoverflow" and request.query["filter"] == "withbody"
        since = int(request.query.get("min", 0))
        ordered = sorted(
            (q for q in self.questions if q["last_activity_date"] >= since),
            key=lambda q: q["last_activity_date"],
            reverse=True,
        )
        start = (int(request.query.get("page", 1)) - 1) * self.page_size
        page = ordered[start : start + self.page_size]
        return wrap(page, has_more=start + self.page_size < len(ordered))

    def list_answers(self, request: Request) -> Reply:
        ids = {int(i) for i in request.path.split("/")[3].split(";")}
        since = int(request.query.get("fromdate", 0))
        found = [a for a in self.answers if a["question_id"] in ids and a["creation_date"] >= since]
        return wrap(sorted(found, key=lambda a: a["creation_date"], reverse=True))


def _spec(server: FeedServer, **options: str) -> SourceSpec:
    return SourceSpec(
        "so",
        "stackexchange",
        "https://stackoverflow.com/questions/tagged/newsletter",
        options={
            "site": "stackoverflow",
            "tagged": "newsletter",
            "api_url": server.url("/2.3"),
            **options,
        },
    )


def test_questions_and_answers_are_collected_incrementally(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    site = Site(feed_server)
    site.questions = [question(1, created=T0, answers=1), question(2, created=T0 + 10)]
    site.answers = [answer(11, 1, created=T0 + 5)]
    spec = _spec(feed_server)
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert first.status is FetchStatus.OK, first.error
    by_id = {p.external_id: p for p in first.posts}
    assert sorted(by_id) == ["stackoverflow/a/11", "stackoverflow/q/1", "stackoverflow/q/2"]
    q1, a11 = by_id["stackoverflow/q/1"], by_id["stackoverflow/a/11"]
    assert q1.title == 'How do I "unsubscribe" 1?' and q1.text == "Question 1 body"
    assert q1.author == "Ana & Bo 1" and q1.author_handle == "1"
    assert (q1.score, q1.likes, q1.replies) == (1, 2, 1)
    assert q1.published_at is not None and q1.published_at.tzinfo is not None
    assert a11.title is None and a11.text == "Answer 11: see the FAQ"
    assert (
        a11.url == "https://stackoverflow.com/a/11" and a11.shared_url == "https://docs.example/faq"
    )
    assert first.state["quota_remaining"] == 290 and first.state["quota_max"] == 300

    # Nothing new: one listing from the saved activity time, one answers call, no posts.
    again = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    assert again.status is FetchStatus.NOT_MODIFIED
    # An answer to the old question (its activity moves) and a new question.
    site.answers.append(answer(12, 1, created=T0 + 100))
    site.questions[0]["last_activity_date"] = T0 + 100
    site.questions.append(question(3, created=T0 + 90))
    before = len(feed_server.api_requests)
    third = fetch_source(client, spec, again.state, policy=policy, now=NOW)
    assert sorted(p.external_id for p in third.posts) == ["stackoverflow/a/12", "stackoverflow/q/3"]
    asked = feed_server.api_requests[before:]
    assert asked[0].query["min"] == str(T0 + 10) and asked[1].query["fromdate"] == str(T0 + 10)


def test_a_burst_bigger_than_the_page_budget_is_finished_next_run(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    site = Site(feed_server)
    site.questions = [question(1, created=T0)]
    spec = _spec(feed_server)
    first = fetch_source(client, spec, {}, policy=policy, now=NOW)
    site.page_size = 2
    site.questions += [question(n, created=T0 + n) for n in range(2, 10)]  # 4 pages of 2
    second = fetch_source(client, spec, first.state, policy=policy, now=NOW)
    third = fetch_source(client, spec, second.state, policy=policy, now=NOW)
    got = sorted(int(p.external_id.rsplit("/", 1)[1]) for p in (*second.posts, *third.posts))
    assert got == list(range(2, 10))
    assert "resume" in second.state["walk"] and "resume" not in third.state["walk"]


def test_backoff_is_waited_out_or_fails_the_source(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    feed_server.handle(
        "/2.3/questions", lambda r: wrap([question(1, created=T0, answers=1)], backoff=1)
    )
    feed_server.handle("/2.3/questions/1/answers", lambda r: wrap([answer(11, 1, created=T0 + 1)]))
    spec = _spec(feed_server)
    waited = fetch_source(client, spec, {}, policy=policy, now=NOW)  # 1 s, within the policy
    assert waited.status is FetchStatus.OK and len(waited.posts) == 2
    feed_server.handle(
        "/2.3/questions", lambda r: wrap([question(1, created=T0, answers=1)], backoff=600)
    )
    failed = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert failed.status is FetchStatus.FAILED and failed.retry_after_seconds == 600
    assert "asked us to back off for 600 s" in (failed.error or "")
    # A backoff on the run's last request is kept: the next run waits for it.
    feed_server.handle("/2.3/questions/1/answers", lambda r: wrap([], backoff=30))
    feed_server.handle("/2.3/questions", lambda r: wrap([question(1, created=T0)]))
    ok = fetch_source(client, spec, {}, policy=policy, now=NOW)
    assert ok.state["backoff_until"] == (NOW + timedelta(seconds=30)).isoformat()
    early = fetch_source(client, spec, ok.state, policy=policy, now=NOW + timedelta(seconds=10))
    assert early.status is FetchStatus.FAILED and "back off for 20 s more" in (early.error or "")
    later = fetch_source(client, spec, ok.state, policy=policy, now=NOW + timedelta(seconds=31))
    assert later.status is not FetchStatus.FAILED


def test_a_spent_quota_and_an_api_error_are_clear(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    spec = _spec(feed_server)
    spent = {"quota_remaining": 0, "quota_max": 300, "quota_day": NOW.date().isoformat()}
    failed = fetch_source(client, spec, spent, policy=policy, now=NOW)
    assert failed.status is FetchStatus.FAILED
    assert "the day's API quota (300 requests) is used up; it resets at 2024-05-07 00:00 UTC" in (
        failed.error or ""
    )
    error = {
        "error_id": 400,
        "error_message": "No site found for name `nope`",
        "error_name": "bad_parameter",
    }
    feed_server.route(
        "/2.3/questions", Reply(json.dumps(error).encode(), status=400, content_type=JSON)
    )
    bad = fetch_source(client, _spec(feed_server, site="nope"), {}, policy=policy, now=NOW)
    assert bad.status is FetchStatus.FAILED and bad.http_status == 400
    assert (bad.error or "").endswith(": HTTP 400 Bad Request: No site found for name `nope`")


def test_recorded_api_answers_give_the_wrapper_and_no_posts(
    feed_server: FeedServer, client: httpx.Client, policy: HttpPolicy
) -> None:
    sites = wrapper_of(recorded_json("stackexchange", "stackapi_sites_stackoverflow.json"))
    assert sites is not None and (sites.quota_remaining, sites.quota_max) == (9997, 10000)
    assert len(sites.items) == 5 and questions_of(sites.items) == []  # sites are not posts
    body = recorded_bytes("stackexchange", "stackapi_users_1_associated.json")
    feed_server.route("/2.3/questions", Reply(body, content_type=JSON))
    result = fetch_source(client, _spec(feed_server), {}, policy=policy, now=NOW)
    assert result.status is FetchStatus.NOT_MODIFIED, result.error
    assert result.state["quota_remaining"] == 9823
    feed_server.route("/2.3/questions", Reply(b'{"quota_remaining": 5}', content_type=JSON))
    broken = fetch_source(client, _spec(feed_server), {}, policy=policy, now=NOW)
    assert (broken.error or "").endswith("not a Stack Exchange API answer (no `items`)")
