"""Builders for the reports tests: a small real warehouse for 2026-W47 (Europe/Berlin) and a
real SMTP server. The fixtures are registered in conftest.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from earshot.listeners.records import FetchResult, FetchStatus, Post
from earshot.nlp.records import Annotation, TopicMatch
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.sources import SourceRow, insert_posts, store_fetch, sync_sources
from earshot.warehouse.taxonomy import sync_taxonomy

WEEK = "2026-W47"  # Mon 2026-11-16 00:00 CET = 2026-11-15 23:00 UTC
MID_WEEK = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
MID_PREVIOUS = MID_WEEK - timedelta(days=7)
FETCHED = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin: digest time


def post(key: str, source: str = "blog", **kw: Any) -> Post:
    fields: dict[str, Any] = {
        "platform": "feed",
        "source_id": source,
        "external_id": key,
        "url": f"https://example.org/{key}",
        "author": f"author-{key}",
        "author_handle": None,
        "title": f"Title {key}",
        "text": f"Text {key}",
        "lang_hint": "de",
        "published_at": MID_WEEK,
        "fetched_at": FETCHED,
    }
    fields.update(kw)
    return Post(**fields)


def annotation(p: Post, topics: tuple[str, ...], sentiment: float, label: str) -> Annotation:
    return Annotation(
        post_id=p.post_id,
        lang="de",
        lang_score=0.99,
        sentiment=sentiment,
        sentiment_label=label,
        is_question=False,
        key_terms=(),
        topics=tuple(TopicMatch(t, None, (t,)) for t in topics),
    )


@dataclass
class Fixture:
    """The warehouse and the posts in it, by name."""

    con: duckdb.DuckDBPyConnection
    posts: dict[str, Post] = field(default_factory=dict)


def new_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = open_warehouse(path)
    sync_sources(
        con,
        [
            SourceRow("blog", "feed", "https://blog.example.org/feed", False),
            SourceRow("forum", "feed", "https://forum.example.org/rss", False),
            SourceRow("own", "feed", "https://us.example/feed", True),
        ],
    )
    sync_taxonomy(
        con,
        [("service", "Kundenservice", None), ("price", "Preise", None), ("climate", "Klima", None)],
        [],
        timezone="Europe/Berlin",
    )
    refresh_facts(con)  # as every write cycle ends
    return con


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Fixture]:
    """Week W47: 'service' 5 posts (8 the week before), 'price' 2 (1), 'climate' 1 (0).

    Engagement (likes + reposts + replies) decides the top posts: untagged 50, p3 20, p1 12,
    evil 5, p2 3, p8 2, edge 1, p7 0; the own post (100) never counts as audience.
    """
    con = new_warehouse(tmp_path / "warehouse.duckdb")
    current: dict[str, tuple[Post, tuple[str, ...], float, str]] = {
        "p1": (post("p1", author="anna", likes=10, replies=2), ("service",), -0.5, "negative"),
        "p2": (post("p2", author="ben", likes=3), ("price", "service"), 0.4, "positive"),
        "p3": (post("p3", "forum", author="anna", reposts=20), ("service",), 0.0, "neutral"),
        "evil": (
            post(
                "evil",
                author="carl",
                title=None,
                text="<script>alert(1)</script>",
                url="javascript:alert(1)",
                likes=5,
            ),
            ("price",),
            -0.2,
            "negative",
        ),
        # Sunday 23:30 UTC = Monday 00:30 in Berlin: the first minutes of W47.
        "edge": (
            post(
                "edge",
                author="dora",
                likes=1,
                published_at=datetime(2026, 11, 15, 23, 30, tzinfo=UTC),
            ),
            ("service",),
            0.1,
            "neutral",
        ),
        "p7": (post("p7", "forum", author="ben"), ("service",), 0.2, "positive"),
        "p8": (post("p8", author="fay", likes=2), ("climate",), 0.3, "positive"),
        "untagged": (post("untagged", author="eve", likes=50, title=None), (), 0.0, "neutral"),
        "mine": (post("mine", "own", author="us", likes=100), ("service",), 0.9, "positive"),
    }
    previous: dict[str, tuple[Post, tuple[str, ...], float, str]] = {
        f"old{n}": (
            post(
                f"old{n}",
                author=f"old-author{n % 4}",
                published_at=MID_PREVIOUS + timedelta(hours=n),
            ),
            ("service",),
            0.0,
            "neutral",
        )
        for n in range(7)
    }
    # Sunday 22:30 UTC = 23:30 in Berlin: the last minutes of W46.
    previous["late"] = (
        post("late", published_at=datetime(2026, 11, 15, 22, 30, tzinfo=UTC)),
        ("service", "price"),
        0.0,
        "neutral",
    )
    everything = {**current, **previous}
    insert_posts(con, [p for p, *_ in everything.values()], "load-1")
    store_annotations(
        con,
        [annotation(p, topics, score, label) for p, topics, score, label in everything.values()],
        pipeline_version="test.v1",
        load_id="load-2",
    )
    store_fetch(
        con,
        FetchResult("blog", FetchStatus.OK, state={"etag": "x"}, http_status=200),
        load_id="load-1",
        attempted_at=FETCHED,
        next_attempt_at=FETCHED + timedelta(minutes=30),
    )
    store_fetch(
        con,
        FetchResult("forum", FetchStatus.FAILED, error="HTTP 503 from forum.example.org"),
        load_id="load-1",
        attempted_at=FETCHED,
        next_attempt_at=FETCHED + timedelta(minutes=30),
    )
    refresh_facts(con)  # as every write cycle ends
    yield Fixture(con, {k: v[0] for k, v in everything.items()})
    con.close()


# --- SMTP -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


class Recorder:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Received] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(content))
        )
        return "250 Message accepted for delivery"


USERNAME, PASSWORD = "earshot", "s3cret-Pa55word"


def check_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: Recorder
    auth: bool = False  # require AUTH PLAIN with USERNAME/PASSWORD (over plain TCP: tests only)
    controller: Controller | None = None

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.auth:
            options = {
                "authenticator": check_login,
                "auth_required": True,
                "auth_require_tls": False,
                # smtplib falls back from PLAIN to LOGIN after a refusal, and aiosmtpd's LOGIN
                # then waits for input smtplib never sends: offer PLAIN only.
                "auth_exclude_mechanism": ["LOGIN"],
            }
        self.controller = Controller(self.recorder, hostname=self.host, port=self.port, **options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer("127.0.0.1", free_port(), Recorder())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def auth_smtp_server() -> Iterator[SmtpServer]:
    """A server that wants a login. aiosmtpd warns (rightly) about AUTH without TLS; the
    tests using this fixture silence exactly that warning."""
    server = SmtpServer("127.0.0.1", free_port(), Recorder(), auth=True)
    server.start()
    yield server
    server.stop()
