"""Listener fixtures: a real local HTTP server and the shared client under a fast policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from earshot.listeners.http import HttpPolicy, build_client
from tests.listeners.feedserver import FeedServer

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def policy() -> HttpPolicy:
    # Retries stay on, but back off in milliseconds so the failure cases run fast.
    return HttpPolicy(
        user_agent="Earshot-test/1",
        timeout_seconds=5.0,
        retries=2,
        backoff_seconds=0.01,
        max_retry_after_seconds=5.0,
    )


@pytest.fixture
def client(policy: HttpPolicy) -> Iterator[httpx.Client]:
    with build_client(policy) as shared:
        yield shared
