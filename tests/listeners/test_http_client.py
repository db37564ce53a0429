"""The shared client factory and fetch_bytes, against the local server."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from earshot.listeners.errors import BodyTooLarge, HttpStatusError, RateLimited, TooManyRedirects
from earshot.listeners.http import (
    HttpPolicy,
    build_client,
    fetch_bytes,
    format_size,
)
from earshot.listeners.http_answers import retry_after_seconds
from tests.listeners.feedserver import FeedServer, Reply


def test_build_client_sets_policy() -> None:
    policy = HttpPolicy(user_agent="UA/1", timeout_seconds=7, max_redirects=3)
    with build_client(policy) as client:
        assert client.headers["user-agent"] == "UA/1"
        assert client.headers["accept-encoding"] == "gzip, deflate"
        assert client.follow_redirects and client.max_redirects == 3
        assert client.timeout == httpx.Timeout(7)


def test_fetch_bytes_returns_body_final_url_and_headers(feed_server: FeedServer) -> None:
    policy = HttpPolicy(backoff_seconds=0.01)
    feed_server.route("/new", Reply(b"payload", content_type="text/plain", etag='"e"'))
    url = feed_server.route("/old", Reply(status=308, headers={"Location": "/new"}))
    with build_client(policy) as client:
        response = fetch_bytes(client, url, headers={"X-Test": "1"}, policy=policy)
    assert response.status_code == 200 and response.content == b"payload"
    assert response.url == feed_server.url("/new")
    assert response.headers["ETAG"] == '"e"'
    assert feed_server.requests_to("/new")[0]["x-test"] == "1"


def test_304_is_returned_not_raised(feed_server: FeedServer) -> None:
    policy = HttpPolicy()
    url = feed_server.route("/c", Reply(b"x", etag='"1"'))
    with build_client(policy) as client:
        response = fetch_bytes(client, url, headers={"If-None-Match": '"1"'}, policy=policy)
    assert response.status_code == 304 and response.content == b""


def test_typed_errors(feed_server: FeedServer) -> None:
    policy = HttpPolicy(backoff_seconds=0.01, max_body_bytes=10, max_redirects=1)
    with build_client(policy) as client:
        with pytest.raises(HttpStatusError) as status:
            fetch_bytes(client, feed_server.route("/403", Reply(status=403)), policy=policy)
        assert status.value.status == 403 and status.value.http_status == 403
        with pytest.raises(BodyTooLarge) as big:
            fetch_bytes(client, feed_server.route("/big", Reply(b"x" * 11)), policy=policy)
        assert big.value.limit == 10 and str(big.value).endswith("body exceeds 10 bytes limit")
        loop = feed_server.route("/l", Reply(status=307, headers={"Location": "/l"}))
        with pytest.raises(TooManyRedirects):
            fetch_bytes(client, loop, policy=policy)
        with pytest.raises(RateLimited) as limited:
            fetch_bytes(client, feed_server.route("/429", Reply(status=429)), policy=policy)
        assert "still after 2 retries" in str(limited.value)


def test_per_host_concurrency_is_capped(feed_server: FeedServer) -> None:
    policy = HttpPolicy(max_per_host=1)
    url = feed_server.route("/f", Reply(b"x"))
    with build_client(policy) as client:
        slot = _slot_for(client, url)
        slot.acquire()  # someone else holds the only slot for this host
        done = threading.Event()

        def fetch_then_signal() -> None:
            fetch_bytes(client, url, policy=policy)
            done.set()

        worker = threading.Thread(target=fetch_then_signal)
        worker.start()
        assert not done.wait(0.2)  # waits for the slot
        slot.release()
        assert done.wait(5)
        worker.join()


def _slot_for(client: httpx.Client, url: str) -> threading.BoundedSemaphore:
    from earshot.listeners.http import _HOST_SLOTS

    return _HOST_SLOTS[client].for_url(url)


def test_retry_after_forms() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(" 0 ") == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    future = datetime.now(UTC) + timedelta(seconds=120)
    seconds = retry_after_seconds(format_datetime(future, usegmt=True))
    assert seconds is not None and 110 < seconds <= 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_format_size() -> None:
    assert format_size(10 * 1024 * 1024) == "10 MiB"
    assert format_size(64 * 1024) == "64 KiB"
    assert format_size(1000) == "1000 bytes"


def test_backoff_grows_exponentially(feed_server: FeedServer) -> None:
    policy = HttpPolicy(backoff_seconds=0.05, retries=2)
    url = feed_server.route("/down", Reply(status=502))
    with build_client(policy) as client:
        started = time.monotonic()
        with pytest.raises(HttpStatusError):
            fetch_bytes(client, url, policy=policy)
        elapsed = time.monotonic() - started
    # 0.05 * (1 + 2) * [0.5, 1.5] between the three attempts
    assert 0.07 <= elapsed < 1.0


def test_per_host_intervals_override_the_default_and_pace_only_their_host(
    feed_server: FeedServer,
) -> None:
    policy = HttpPolicy(
        retries=0, min_host_interval_seconds=0.0, host_intervals={"127.0.0.1": 0.15, "x.org": 3}
    )
    assert policy.interval_for("https://X.org./feed") == 3
    assert policy.interval_for("https://y.org/feed") == 0.0
    url = feed_server.route("/paced.xml", Reply(b"ok", content_type="text/plain"))
    with build_client(policy) as client:
        started = time.monotonic()
        for _ in range(3):
            fetch_bytes(client, url, policy=policy)
        paced = time.monotonic() - started
    assert paced >= 0.3  # two waits of 0.15 s between three request starts


def test_an_api_error_body_names_the_problem(feed_server: FeedServer) -> None:
    """A small JSON error answer says what went wrong; an HTML error page adds nothing."""
    policy = HttpPolicy(retries=0)
    json_type = "application/json; charset=utf-8"
    cases = {
        "/se": (b'{"error_id": 400, "error_message": "No site found for name `x`"}', json_type),
        "/discourse": (b'{"errors": ["The requested URL could not be found."]}', json_type),
        "/lemmy": (b'{"error": "couldnt_find_community"}', json_type),
        "/html": (b"<html><body>Not here</body></html>", "text/html"),
        "/big": (b'{"error": "' + b"x" * 5000 + b'"}', json_type),
    }
    expected = {
        "/se": "HTTP 404 Not Found: No site found for name `x`",
        "/discourse": "HTTP 404 Not Found: The requested URL could not be found.",
        "/lemmy": "HTTP 404 Not Found: couldnt_find_community",
        "/html": "HTTP 404 Not Found",
        "/big": "HTTP 404 Not Found",
    }
    with build_client(policy) as client:
        for path, (body, ctype) in cases.items():
            url = feed_server.route(path, Reply(body, status=404, content_type=ctype))
            with pytest.raises(HttpStatusError) as caught:
                fetch_bytes(client, url, policy=policy)
            assert str(caught.value) == f"{url}: {expected[path]}"
