"""The fault matrix: every fault a feed server can throw at `collect`, one case each.

Each case runs the real collect flow twice against a real DuckDB file: once with every source
healthy (the seed), then with the victim source's server misbehaving while a healthy source on
another server publishes a new post. For every fault:

- the victim ends with a clear error on its source (or, for the faults we recover from, with
  exactly the posts it should have);
- the run takes no longer than the policy's timeouts allow, and the collecting process's peak
  traced memory stays far below what the hostile body would expand to;
- the healthy source is unaffected (its new post is stored, its status is ok);
- nothing already stored changes: every seeded post row and the victim's saved state are
  byte-for-byte what they were.
"""

from __future__ import annotations

import functools
import json
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from earshot.listeners.addresses import RedirectGuard, check_redirect, non_public_reason
from earshot.listeners.http import HttpPolicy, build_client, fetch_bytes
from tests.listeners.feedserver import FeedServer, Reply, redirect

MIB = 1024 * 1024
TIMEOUT = 1.0  # http.timeout_seconds
BODY_DEADLINE = 2.0  # http.max_seconds_per_attempt
RETRIES = 1
HOST_INTERVAL = 1.0  # http_setup.http_policy: one request per second per host
PEAK_LIMIT = 48 * MIB  # traced memory of one collect run, bombs included


def rss(*items: int) -> bytes:
    body = b"".join(
        b"<item><guid>urn:blog:post-%d</guid><title>Post %d</title><link>https://blog.example/%d</link>"
        b"<pubDate>Tue, 17 Nov 2026 09:00:00 +0100</pubDate>"
        b"<description>Text number %d about customer service</description></item>\n" % (i, i, i, i)
        for i in items
    )
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Blog'
        b"</title>\n" + body + b"</channel></rss>\n"
    )


SEED = rss(1, 2, 3)
NEXT = rss(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)


@functools.cache
def gzip_bomb() -> bytes:
    """256 MiB of zeros, gzip-compressed to about 256 KiB."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    return b"".join(deflate.compress(zeros) for _ in range(256)) + deflate.flush()


def entity_bomb() -> bytes:
    """'Billion laughs': 10 levels of 10 references, 3 GB once expanded."""
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    head, rest = NEXT.split(b"?>", 1)
    body = head + b"?>" + f"<!DOCTYPE rss [{entities}]>".encode() + rest
    return body.replace(b"Post 4", b"&e9;")


@dataclass(frozen=True)
class Fault:
    """What the victim's server does on the second run, and what must come of it."""

    replies: tuple[Reply, ...]  # served in order after the seed reply; the last repeats
    error: str | None  # expected in the source's error; None: the fault is recovered from
    new_posts: int = 0  # victim posts added when recovered
    status: str = "failed"
    warning: str | None = None  # recovered, but said: expected in the source's last error


HANG = Reply(NEXT, delay_seconds=TIMEOUT + 2)
DRIP = Reply(NEXT, drip_seconds=0.25)  # ~40 pieces of 64 bytes: ~10 s, cut at the deadline
CUT = NEXT.rindex(b"<item>", 0, NEXT.index(b"urn:blog:post-7<"))
TRUNCATED = NEXT[:CUT] + b"<item><guid>urn:blog:post-7</guid><ti"  # cut in item 7

# `internal` is filled with the URL of a second server on "localhost" (see the fixture).
FAULTS: dict[str, Fault] = {
    "slow drip": Fault((DRIP,), f"body still arriving after {BODY_DEADLINE:g} s"),
    "connection reset": Fault((Reply(reset=True),), "connection broken"),
    "timeout (no answer)": Fault((HANG,), f"no answer within {TIMEOUT:g} s (timeout)"),
    "HTTP 500": Fault(
        (Reply(b"oops", status=500, content_type="text/plain"),),
        "HTTP 500 Internal Server Error",
    ),
    "HTTP 503 retried": Fault(
        (Reply(b"", status=503, content_type="text/plain"),),
        "HTTP 503 Service Unavailable (still after 1 retry)",
    ),
    "429 Retry-After too long": Fault(
        (Reply(status=429, retry_after="7200", content_type=None),),
        "HTTP 429 Too Many Requests: the server asks us to wait 2.0 h",
    ),
    "429 Retry-After honoured": Fault(
        (Reply(status=429, retry_after="1", content_type=None), Reply(NEXT)),
        None,
        new_posts=9,
        status="ok",
    ),
    "redirect loop": Fault((redirect("/victim.xml"),), "too many redirects"),
    "redirect to link-local": Fault(
        (redirect("http://169.254.169.254/latest/meta-data/"),),
        "redirect to http://169.254.169.254/latest/meta-data/ refused: "
        "169.254.169.254 is a link-local address",
    ),
    "redirect to private": Fault(
        (redirect("http://10.1.2.3/admin"),),
        "redirect to http://10.1.2.3/admin refused: 10.1.2.3 is a private address",
    ),
    "redirect to loopback name": Fault(
        (redirect("{internal}"),), "refused: localhost is a loopback address"
    ),
    "wrong content type (HTML)": Fault(
        (Reply(b"<html><body><p>Maintenance</p></body></html>", content_type="text/html"),),
        "not a feed (got text/html",
    ),
    "wrong content type (PNG)": Fault(
        (Reply(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, content_type="image/png"),),
        "not a feed (got image/png",
    ),
    "invalid UTF-8": Fault(
        (Reply(NEXT.replace(b"Post 5", b"Po\xffst \xc3(5")),), None, new_posts=9, status="ok"
    ),
    # The whole items before the cut are stored, the cut one is left for the next fetch.
    "truncated XML (mid-feed)": Fault(
        (Reply(TRUNCATED),),
        None,
        new_posts=3,
        status="ok",
        warning="the feed ends inside an entry, which was left out (6 post(s) read)",
    ),
    "truncated XML (no item)": Fault(
        (Reply(NEXT[:70]),), "malformed feed, no entries could be read"
    ),
    "XML entity bomb": Fault((Reply(entity_bomb()),), None, new_posts=9, status="ok"),
    "gzip bomb": Fault(
        (Reply(gzip_bomb(), headers={"Content-Encoding": "gzip"}),), "body exceeds 1 MiB limit"
    ),
    "body over the size limit": Fault((Reply(b"<rss>" + b" " * (3 * MIB)),), "body exceeds"),
}


@pytest.fixture
def servers() -> Iterator[tuple[FeedServer, FeedServer, FeedServer]]:
    """The victim's server, the healthy source's server, and an 'internal' one."""
    with FeedServer() as victim, FeedServer() as healthy, FeedServer() as internal:
        yield victim, healthy, internal


def write_config(tmp_path: Path, victim_url: str, healthy_url: str, **http: Any) -> str:
    config = {
        "organisation": "Beispiel GmbH",
        "http": {
            "timeout_seconds": TIMEOUT,
            "max_seconds_per_attempt": BODY_DEADLINE,
            "retries": RETRIES,
            "backoff_seconds": 0.01,
            "max_body_mb": 1,
            **http,
        },
        "sources": [
            {"id": "victim", "kind": "feed", "url": victim_url, "lang": "en"},
            {"id": "healthy", "kind": "feed", "url": healthy_url, "lang": "en"},
        ],
    }
    path = tmp_path / "listening.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


def snapshot(tmp_path: Path) -> tuple[dict[str, tuple[Any, ...]], dict[str, Any]]:
    """Every stored post row by id, and every source's row."""
    con = duckdb.connect(str(tmp_path / "data" / "earshot.duckdb"), read_only=True)
    try:
        posts = {row[0]: row for row in con.execute("SELECT post_id, * FROM _posts").fetchall()}
        columns = [c[0] for c in con.execute("DESCRIBE _sources").fetchall()]
        sources = {
            row[0]: dict(zip(columns, row, strict=True))
            for row in con.execute("SELECT * FROM _sources").fetchall()
        }
    finally:
        con.close()
    return posts, sources


def run_collect(config: str, *, trace: bool = True) -> tuple[Any, float, int]:
    from earshot.pipelines import flows

    if trace:
        tracemalloc.start()
    started = time.monotonic()
    try:
        summary = flows.collect(config, force=True, publish_copy=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return summary, time.monotonic() - started, peak


def time_bound() -> float:
    """The most the policy allows: every attempt waits for its host slot, times out on
    connect/answer and reads its body up to the deadline; plus flow overhead."""
    attempts = RETRIES + 1
    per_attempt = HOST_INTERVAL + TIMEOUT + BODY_DEADLINE + 0.01 * 2**RETRIES * 1.5
    return attempts * per_attempt + 20.0


@pytest.mark.parametrize("name", list(FAULTS))
@pytest.mark.usefixtures("prefect_harness")
def test_fault(
    name: str, tmp_path: Path, servers: tuple[FeedServer, FeedServer, FeedServer]
) -> None:
    fault = FAULTS[name]
    victim, healthy, internal = servers
    hidden = internal.route("/secret", Reply(b"<rss>internal data</rss>"))
    internal_url = hidden.replace("127.0.0.1", "localhost")
    replies = [_with_location(r, internal_url) for r in fault.replies]
    victim_url = victim.route("/victim.xml", Reply(SEED), *replies)
    healthy_url = healthy.route("/feed.xml", Reply(rss(100, 101)), Reply(rss(100, 101, 102)))
    config = write_config(tmp_path, victim_url, healthy_url)

    seeded, _, _ = run_collect(config, trace=False)
    assert (seeded.ok, seeded.failed, seeded.posts_added) == (2, 0, 5)
    posts_before, sources_before = snapshot(tmp_path)

    summary, elapsed, peak = run_collect(config)
    posts_after, sources_after = snapshot(tmp_path)

    # Bounded time and memory.
    assert elapsed < time_bound(), f"{name}: {elapsed:.1f} s"
    assert peak < PEAK_LIMIT, f"{name}: {peak / MIB:.0f} MiB traced"
    # The healthy source is unaffected.
    healthy_after = sources_after["healthy"]
    assert healthy_after["last_status"] == "ok" and healthy_after["last_error"] is None
    assert sum(1 for p in posts_after.values() if p[3] == "healthy") == 3
    # Nothing already stored changed.
    for post_id, row in posts_before.items():
        assert posts_after[post_id] == row
    victim_after = sources_after["victim"]
    if fault.error is None:
        assert victim_after["last_status"] == fault.status, victim_after["last_error"]
        added = sum(1 for p in posts_after.values() if p[3] == "victim") - 3
        assert added == fault.new_posts, sorted((p[3], p[4]) for p in posts_after.values())
        assert summary.failed == 0
        if fault.warning is None:
            assert victim_after["last_error"] is None and not summary.warnings
        else:
            said = summary.warnings["victim"]
            assert said.startswith(f"{victim_url}: ") and fault.warning in said, said
            assert victim_after["last_error"] == said
        return
    # A clear error on that source, naming it, and its saved state kept.
    error = summary.errors["victim"]
    assert error.startswith(f"{victim_url}: ") and fault.error in error, error
    assert victim_after["last_status"] == "failed" and victim_after["last_error"] == error
    assert victim_after["failure_count"] == 1
    assert json.loads(victim_after["state"]) == json.loads(sources_before["victim"]["state"])
    assert {k for k, p in posts_after.items() if p[3] == "victim"} == {
        k for k, p in posts_before.items() if p[3] == "victim"
    }
    assert summary.ok == 1 and summary.failed == 1 and summary.posts_added == 1
    if name == "redirect to loopback name":
        assert internal.requests_to("/secret") == []  # refused before connecting
    if name.startswith("429 Retry-After too long"):
        next_at = victim_after["next_attempt_at"]
        assert next_at - victim_after["last_attempt_at"] >= timedelta(hours=2)


def _with_location(reply: Reply, internal_url: str) -> Reply:
    location = reply.headers.get("Location")
    if location != "{internal}":
        return reply
    return Reply(status=reply.status, content_type=None, headers={"Location": internal_url})


def test_the_matrix_is_complete() -> None:
    """Every fault the reliability promise lists has a case."""
    listed = [
        "slow drip",
        "connection reset",
        "timeout",
        "HTTP 5",
        "429 Retry-After",
        "redirect loop",
        "redirect to private",
        "redirect to link-local",
        "wrong content type",
        "invalid UTF-8",
        "truncated XML",
        "entity bomb",
        "gzip bomb",
        "over the size limit",
    ]
    for fault in listed:
        assert any(fault in name for name in FAULTS), fault


# --- the redirect guard on its own -------------------------------------------------------


def test_a_private_redirect_is_followed_when_allowed(
    servers: tuple[FeedServer, FeedServer, FeedServer],
) -> None:
    victim, _, internal = servers
    target = internal.route("/feed.xml", Reply(SEED)).replace("127.0.0.1", "localhost")
    url = victim.route("/moved.xml", redirect(target))
    for guard, followed in (
        (RedirectGuard(allow_private=True), True),
        (RedirectGuard(trusted_hosts=frozenset({"localhost"})), True),
        (RedirectGuard(), False),
    ):
        policy = HttpPolicy(retries=0, redirect_guard=guard)
        with build_client(policy) as client:
            if followed:
                assert fetch_bytes(client, url, policy=policy).content == SEED
            else:
                with pytest.raises(Exception, match="refused: localhost is a loopback"):
                    fetch_bytes(client, url, policy=policy)
    assert len(internal.requests_to("/feed.xml")) == 2


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not globally routable"),
        ("240.0.0.1", "reserved"),
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_non_public_addresses(address: str, reason: str | None) -> None:
    import ipaddress

    assert non_public_reason(ipaddress.ip_address(address)) == reason


def test_the_guard_checks_every_address_a_name_resolves_to() -> None:
    def resolver(host: str) -> list[str]:
        return {"mixed.example": ["93.184.216.34", "10.0.0.7"], "ok.example": ["1.1.1.1"]}[host]

    guard = RedirectGuard()
    check_redirect("a.example", "ok.example", guard, where="u", target_url="t", resolver=resolver)
    check_redirect("a.example", "A.Example.", guard, where="u", target_url="t", resolver=resolver)
    with pytest.raises(Exception, match=r"^u: redirect to t refused: mixed.example is a private"):
        check_redirect(
            "a.example", "mixed.example", guard, where="u", target_url="t", resolver=resolver
        )


def test_a_relative_guid_gives_the_same_id_on_both_parse_paths(
    servers: tuple[FeedServer, FeedServer, FeedServer],
) -> None:
    """A feed that turns malformed for one fetch (feedparser instead of the fast path) must
    not get its posts stored a second time under URL-resolved ids."""
    from earshot.listeners import SourceSpec, fetch_source

    victim = servers[0]
    relative = rss(1).replace(b"urn:blog:", b"")  # <guid>post-1</guid>
    wellformed = victim.route("/ok.xml", Reply(relative))
    broken = victim.route("/broken.xml", Reply(relative.replace(b"Blog", b"Blog & Co")))
    policy = HttpPolicy(retries=0)
    with build_client(policy) as client:
        ids = [
            fetch_source(client, SourceSpec("s", "feed", url), {}, policy=policy).posts[0].post_id
            for url in (wellformed, broken)
        ]
    assert ids[0] == ids[1]


@pytest.mark.parametrize(
    ("encoding", "wbits"),
    [("gzip", 31), ("x-gzip", 31), ("deflate", 15), ("deflate", -15)],
    ids=["gzip", "x-gzip", "deflate (zlib)", "deflate (raw)"],
)
def test_compressed_bodies_are_inflated_in_steps(
    servers: tuple[FeedServer, FeedServer, FeedServer], encoding: str, wbits: int
) -> None:
    body = NEXT * 400  # ~1 MiB, well compressible: many inflate steps
    squeeze = zlib.compressobj(6, zlib.DEFLATED, wbits)
    packed = squeeze.compress(body) + squeeze.flush()
    url = servers[0].route("/packed.xml", Reply(packed, headers={"Content-Encoding": encoding}))
    policy = HttpPolicy(retries=0)
    with build_client(policy) as client:
        assert fetch_bytes(client, url, policy=policy).content == body
        broken = servers[0].route(
            "/broken.xml",
            Reply(packed[:20] + b"garbage" * 50, headers={"Content-Encoding": encoding}),
        )
        with pytest.raises(Exception, match="could not decompress the body"):
            fetch_bytes(client, broken, policy=policy)


# --- the platform kinds: the same faults on their JSON APIs ------------------------------


def _json(document: Any) -> bytes:
    return json.dumps(document).encode()


def _review(n: int) -> dict[str, Any]:
    label = {"label": str(n)}
    return {"id": label, "im:rating": {"label": "4"}, "title": {"label": f"Review {n}"},
            "content": {"label": f"Text {n} about customer service"},
            "author": {"name": {"label": f"user{n}"}}}  # fmt: skip


def _lemmy_post(n: int) -> dict[str, Any]:
    return {"post": {"id": n, "name": f"Post {n}", "body": f"Text {n}",
                     "ap_id": f"https://lemmy.example/post/{n}",
                     "published": f"2026-11-17T0{n}:00:00Z"},
            "creator": {"name": "ana", "actor_id": "https://lemmy.example/u/ana"},
            "counts": {"upvotes": 2, "score": 2, "comments": 0}}  # fmt: skip


def _question(n: int) -> dict[str, Any]:
    return {"question_id": n, "title": f"Question {n}?", "body": f"<p>Text {n}</p>",
            "creation_date": 1_763_366_400 + n, "last_activity_date": 1_763_366_400 + n,
            "link": f"https://stackoverflow.com/questions/{n}", "score": 1}  # fmt: skip


def _article(n: int) -> dict[str, Any]:
    return {"url": f"https://news.example/{n}", "title": f"Article {n} on customer service",
            "seendate": f"2026111{n}T090000Z", "domain": "news.example"}  # fmt: skip


def _discourse_post(n: int) -> dict[str, Any]:
    return {"id": n, "cooked": f"<p>Post {n}</p>", "username": "ana", "topic_id": 7,
            "post_number": n}  # fmt: skip


def _youtube_threads(*numbers: int) -> bytes:
    def thread(n: int) -> dict[str, Any]:
        comment = {"id": f"c{n}", "snippet": {"textOriginal": f"Comment {n} on service",
                   "authorDisplayName": "ana", "likeCount": 1,
                   "publishedAt": f"2026-11-17T0{n}:00:00Z"}}  # fmt: skip
        return {"id": f"c{n}", "snippet": {"topLevelComment": comment, "totalReplyCount": 0}}

    return _json({"kind": "youtube#commentThreadListResponse",
                  "items": [thread(n) for n in numbers]})  # fmt: skip


@dataclass(frozen=True)
class Platform:
    """A source of one kind: its options (given the victim server's URL), the routes it reads
    (path -> seed reply body, next reply body), the route the fault hits, and what a
    body that is not the platform's JSON fails with."""

    kind: str
    options: Any  # Callable[[str], dict[str, Any]]
    routes: dict[str, tuple[bytes, bytes]]
    fault_path: str
    not_json: str = "expected JSON, got"
    env: dict[str, str] = field(default_factory=dict)  # the environment its secrets are in


APP_PAGE = "/gb/rss/customerreviews/page={n}/id=123456/sortby=mostrecent/json"
PLATFORMS: dict[str, Platform] = {
    "discourse": Platform(
        "discourse",
        lambda base: {"url": base},
        {
            "/posts.json": (
                _json({"latest_posts": [_discourse_post(1)]}),
                _json({"latest_posts": [_discourse_post(2), _discourse_post(1)]}),
            )
        },
        "/posts.json",
    ),
    "lemmy": Platform(
        "lemmy",
        lambda base: {"instance": base, "community": "service"},
        {
            "/api/v3/post/list": (
                _json({"posts": [_lemmy_post(1)]}),
                _json({"posts": [_lemmy_post(2), _lemmy_post(1)]}),
            ),
            "/api/v3/comment/list": (_json({"comments": []}), _json({"comments": []})),
        },
        "/api/v3/post/list",
    ),
    "stackexchange": Platform(
        "stackexchange",
        lambda base: {"site": "stackoverflow", "tagged": "service", "api_url": base + "/2.3"},
        {
            "/2.3/questions": (
                _json({"items": [_question(1)], "has_more": False, "quota_remaining": 9}),
                _json({"items": [_question(2), _question(1)], "quota_remaining": 8}),
            ),
            "/2.3/questions/1/answers": (_json({"items": []}), _json({"items": []})),
            "/2.3/questions/2/answers": (_json({"items": []}), _json({"items": []})),
        },
        "/2.3/questions",
    ),
    "appstore": Platform(
        "appstore",
        lambda base: {"app_id": "123456", "countries": ["gb"], "api_url": base},
        {
            APP_PAGE.format(n=1): (
                _json({"feed": {"entry": _review(1)}}),  # one review: an object, not a list
                _json({"feed": {"entry": [_review(2), _review(1)]}}),
            ),
            APP_PAGE.format(n=2): (_json({"feed": {}}), _json({"feed": {}})),
        },
        APP_PAGE.format(n=1),
    ),
    "news": Platform(
        "news",
        lambda base: {"query": "customer service", "api_url": base + "/api/v2/doc/doc"},
        {
            "/api/v2/doc/doc": (
                _json({"articles": [_article(1)]}),
                _json({"articles": [_article(2), _article(1)]}),
            )
        },
        "/api/v2/doc/doc",
        not_json="GDELT did not answer with articles",
    ),
    "youtube": Platform(  # the comments of one video (Data API v3)
        "youtube",
        lambda base: {
            "video_id": "dQw4w9WgXcQ",
            "api_key_env": "EARSHOT_TEST_YT_KEY",
            "api_url": base + "/youtube/v3",
        },
        {"/youtube/v3/commentThreads": (_youtube_threads(1), _youtube_threads(2, 1))},
        "/youtube/v3/commentThreads",
        env={"EARSHOT_TEST_YT_KEY": "key"},
    ),
}

# The faults of the matrix that a JSON API can throw (the XML ones have no JSON twin; a
# truncated or invalid-UTF-8 JSON body cannot be read in part, so it fails the source).
PLATFORM_FAULTS = [
    "connection reset",
    "timeout (no answer)",
    "HTTP 500",
    "HTTP 503 retried",
    "429 Retry-After too long",
    "429 Retry-After honoured",
    "redirect loop",
    "redirect to link-local",
    "wrong content type (HTML)",
    "truncated JSON",
    "invalid UTF-8",
    "gzip bomb",
    "body over the size limit",
]


def _platform_fault(name: str, platform: Platform, next_body: bytes) -> Fault:
    if name == "truncated JSON":
        return Fault((Reply(next_body[: len(next_body) // 2], content_type="application/json"),),
                     platform.not_json)  # fmt: skip
    if name == "invalid UTF-8":
        broken = next_body.replace(b"2", b"\xff\xc3(2", 1)
        return Fault((Reply(broken, content_type="application/json"),), platform.not_json)
    if name == "429 Retry-After honoured":
        replies = (Reply(status=429, retry_after="1", content_type=None),
                   Reply(next_body, content_type="application/json"))  # fmt: skip
        return Fault(replies, None, new_posts=1, status="ok")
    if name == "wrong content type (HTML)":
        return Fault(FAULTS[name].replies, platform.not_json)
    if name == "redirect loop":
        return Fault((redirect(platform.fault_path),), "too many redirects")
    if name == "body over the size limit":
        big = Reply(b"[" + b" " * (3 * MIB) + b"]", content_type="application/json")
        return Fault((big,), "body exceeds")
    return FAULTS[name]


@pytest.mark.parametrize("name", PLATFORM_FAULTS)
@pytest.mark.parametrize("kind", list(PLATFORMS))
@pytest.mark.usefixtures("prefect_harness")
def test_platform_fault(
    kind: str,
    name: str,
    tmp_path: Path,
    servers: tuple[FeedServer, FeedServer, FeedServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    platform = PLATFORMS[kind]
    for variable, value in platform.env.items():
        monkeypatch.setenv(variable, value)
    victim, healthy, _ = servers
    fault = _platform_fault(name, platform, platform.routes[platform.fault_path][1])
    for path, (seed, following) in platform.routes.items():
        if path == platform.fault_path:
            victim.route(path, Reply(seed, content_type="application/json"), *fault.replies)
        else:
            victim.route(path, Reply(seed, content_type="application/json"),
                         Reply(following, content_type="application/json"))  # fmt: skip
    healthy_url = healthy.route("/feed.xml", Reply(rss(100, 101)), Reply(rss(100, 101, 102)))
    config = write_config(tmp_path, "https://unused.example/", healthy_url)
    data = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
    data["sources"][0] = {"id": "victim", "kind": kind, "lang": "en",
                          **platform.options(victim.base_url)}  # fmt: skip
    Path(config).write_text(yaml.safe_dump(data), encoding="utf-8")

    seeded, _, _ = run_collect(config, trace=False)
    assert (seeded.ok, seeded.failed, seeded.posts_added) == (2, 0, 3), seeded.errors
    posts_before, sources_before = snapshot(tmp_path)

    summary, elapsed, peak = run_collect(config)
    posts_after, sources_after = snapshot(tmp_path)

    assert elapsed < time_bound(), f"{kind}/{name}: {elapsed:.1f} s"
    assert peak < PEAK_LIMIT, f"{kind}/{name}: {peak / MIB:.0f} MiB traced"
    assert sources_after["healthy"]["last_status"] == "ok"
    assert sum(1 for p in posts_after.values() if p[3] == "healthy") == 3
    for post_id, row in posts_before.items():
        assert posts_after[post_id] == row
    victim_after = sources_after["victim"]
    if fault.error is None:
        assert victim_after["last_status"] == fault.status, victim_after["last_error"]
        added = sum(1 for p in posts_after.values() if p[3] == "victim") - 1
        assert added == fault.new_posts
        if kind == "stackexchange":  # the API's quota, as the last answer gave it
            con = duckdb.connect(str(tmp_path / "data" / "earshot.duckdb"), read_only=True)
            try:
                quota = con.execute(
                    "SELECT quota_remaining FROM source_health WHERE source_id = 'victim'"
                ).fetchone()
            finally:
                con.close()
            assert quota == (8,)
        if kind == "youtube":  # the run's budget: one list call of the default 1,000 units
            con = duckdb.connect(str(tmp_path / "data" / "earshot.duckdb"), read_only=True)
            try:
                quota = con.execute(
                    "SELECT quota_used, quota_remaining FROM source_health"
                    " WHERE source_id = 'victim'"
                ).fetchone()
            finally:
                con.close()
            assert quota == (1, 999)
        return
    # A clear error naming the request that failed, on this source alone; its state kept.
    error = summary.errors["victim"]
    assert error.startswith(f"{victim.base_url}{platform.fault_path}") and fault.error in error, (
        error
    )
    assert victim_after["last_status"] == "failed" and victim_after["last_error"] == error
    assert victim_after["failure_count"] == 1
    assert json.loads(victim_after["state"]) == json.loads(sources_before["victim"]["state"])
    assert summary.ok == 1 and summary.failed == 1 and summary.posts_added == 1
