"""The shared listener shape: the time of a fetch, the state handed over, a failure's result."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from earshot.listeners.errors import HttpStatusError, RateLimited
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, FetchStatus, SourceSpec

SPEC = SourceSpec("s1", "test", "https://x.example/feed")
POLICY = HttpPolicy(user_agent="Earshot-test/1")


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    # The readings below never send a request; the client is only handed through.
    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(500))) as c:
        yield c


def test_read_gets_a_copy_of_the_state_and_a_utc_time(client: httpx.Client) -> None:
    seen: list[tuple[State, datetime]] = []

    @Listener
    def fetch(
        client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
    ) -> FetchResult:
        """Doc of the platform's reading."""
        seen.append((previous, now))
        previous["cursor"] = "changed"
        return FetchResult(spec.source_id, FetchStatus.NOT_MODIFIED, state=previous)

    state = {"cursor": "a"}
    result = fetch(client, SPEC, state, policy=POLICY, now=datetime(2024, 5, 6, 12, 0))
    assert state == {"cursor": "a"} and result.state == {"cursor": "changed"}
    assert seen[0][1] == datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
    fetch(client, SPEC, {}, policy=POLICY)
    assert seen[1][1].tzinfo is not None
    assert fetch.__doc__ == "Doc of the platform's reading."


def test_a_source_problem_is_a_failed_result_keeping_the_state(client: httpx.Client) -> None:
    def limited(
        client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
    ) -> FetchResult:
        raise RateLimited(spec.url, "HTTP 429 Too Many Requests", retry_after=60.0)

    def gone(
        client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
    ) -> FetchResult:
        raise HttpStatusError(spec.url, "HTTP 410 Gone", status=410)

    first = Listener(limited)(client, SPEC, {"since_id": "7"}, policy=POLICY)
    assert first.status is FetchStatus.FAILED and first.posts == ()
    assert first.error == "https://x.example/feed: HTTP 429 Too Many Requests"
    assert (first.http_status, first.retry_after_seconds) == (429, 60.0)
    assert first.state == {"since_id": "7"}
    second = Listener(gone)(client, SPEC, {"since_id": "7"}, policy=POLICY)
    assert second.state == {"since_id": "7"}
    assert (second.http_status, second.retry_after_seconds) == (410, None)
