"""A generated warehouse with a known history: weeks 2026-W39 to W47 (Europe/Berlin).

What is planted, so that each digest section has exactly one right answer for W47:

* Topic 'price' (bucket expert): 4 posts every baseline week (1 of 4 negative), 20 in W47 with
  15 negative -> the one rising topic, and the one at risk.
* Topic 'service' (bucket practice): 10 posts every week -> steady.
* Topic 'climate' (no bucket): 1 post a week, 4 in W47 -> "1 -> 4" is few posts, nothing claimed.
* Term '#wärmepumpe': 0 before, 8 untagged posts by 8 authors in W47 -> the one emerging term.
  Decoys: 'strompreis' rises with 'price' (covered by a topic), 'energie' is steady, 'spam'
  comes from one author, 'zufall' has 2 posts, own posts say '#eigenwerbung' 9 times.
* Questions in W47: price q30/q20/q10/q1 (engagement), service q5, an own question and a W46
  question (both must not appear).
* Own posts (W44-W47): service 18, price 1, climate 1 -> talk more about price, less about
  service; buckets: practice 18, expert 1 of 19 bucketed own posts.
* A W47 story syndicated by two sources (one duplicate); source 'quiet' posted in W43 only.

`build_history(path, quiet=True)` plants none of it: W47 is like the weeks before (no spike,
no emerging term, no question, no own posts); only the decoys and the duplicate remain.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from earshot.listeners.records import FetchResult, FetchStatus, Post
from earshot.nlp.records import Annotation, TopicMatch
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.sources import SourceRow, insert_posts, store_fetch, sync_sources
from earshot.warehouse.taxonomy import sync_taxonomy

WEEK = "2026-W47"
W47_MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
BUCKET_OF = {"price": "expert", "service": "practice", "climate": None}


@dataclass
class History:
    con: duckdb.DuckDBPyConnection
    posts: list[Post] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # post_id -> planted name

    def add(
        self,
        name: str,
        weeks_before: int,
        *,
        topics: tuple[str, ...] = (),
        source: str = "blog",
        author: str | None = None,
        label: str = "neutral",
        terms: tuple[str, ...] = (),
        question: bool = False,
        likes: int = 0,
        lang: str = "de",
        text: str | None = None,
        hour: int = 0,
    ) -> Post:
        p = Post(
            platform="feed",
            source_id=source,
            external_id=name,
            url=f"https://example.org/{name}",
            author=author or f"author-{name}",
            author_handle=None,
            title=None,
            text=text or f"Text of {name}",
            lang_hint=lang,
            published_at=W47_MONDAY - timedelta(weeks=weeks_before, hours=-hour),
            fetched_at=NOW,
            likes=likes,
        )
        score = {"negative": -0.6, "neutral": 0.0, "positive": 0.6}[label]
        self.posts.append(p)
        self.names[p.post_id] = name
        self.annotations.append(
            Annotation(
                post_id=p.post_id,
                lang=lang,
                lang_score=0.99,
                sentiment=score,
                sentiment_label=label,
                is_question=question,
                key_terms=terms,
                topics=tuple(TopicMatch(t, BUCKET_OF[t], (t,)) for t in topics),
            )
        )
        return p

    def store(self) -> None:
        insert_posts(self.con, self.posts, "load-1")
        store_annotations(self.con, self.annotations, pipeline_version="t.v1", load_id="load-2")


def build_history(path: Path, *, quiet: bool = False) -> History:
    con = open_warehouse(path)
    sync_sources(
        con,
        [
            SourceRow("blog", "feed", "https://blog.example.org/feed", False),
            SourceRow("forum", "feed", "https://forum.example.org/rss", False),
            SourceRow("quiet", "feed", "https://quiet.example.org/rss", False),
            SourceRow("own", "feed", "https://us.example/feed", True),
        ],
    )
    sync_taxonomy(
        con,
        [
            ("service", "Kundenservice", "practice"),
            ("price", "Preise", "expert"),
            ("climate", "Klima", None),
        ],
        [("expert", "Fachwissen", 0.5), ("practice", "Praxis", 0.5)],
        timezone="Europe/Berlin",
    )
    h = History(con)
    for wb in range(8, -1, -1):  # W39 (8 weeks before) .. W47 (0)
        for i in range(10):
            h.add(f"s{wb}-{i}", wb, topics=("service",), hour=i, lang="en" if i < 2 else "de")
        planted = wb == 0 and not quiet
        n_price = 20 if planted else 4
        n_negative = 15 if planted else 1
        for i in range(n_price):
            h.add(
                f"p{wb}-{i}",
                wb,
                topics=("price",),
                source="forum",
                label="negative" if i < n_negative else "neutral",
                terms=("strompreis",) if wb == 0 else (),
                hour=i,
            )
        for i in range(4 if planted else 1):
            h.add(f"c{wb}-{i}", wb, topics=("climate",), hour=i)
        for i in range(6):
            h.add(f"e{wb}-{i}", wb, terms=("energie",), hour=20 + i)
    for i in range(0 if quiet else 8):
        h.add(f"wp{i}", 0, terms=("#wärmepumpe",), hour=30 + i)
    for i in range(6):
        h.add(f"spam{i}", 0, author="spammer", terms=("spam",), hour=40 + i)
    for i in range(2):
        h.add(f"zu{i}", 0, terms=("zufall",), hour=50 + i)
    if not quiet:
        # questions
        for likes in (30, 20, 10, 1):
            h.add(f"q{likes}", 0, topics=("price",), question=True, likes=likes, hour=60 + likes)
        h.add("q5", 0, topics=("service",), question=True, likes=5, hour=70)
        h.add("q-own", 0, topics=("price",), source="own", question=True, likes=99, hour=71)
        h.add("q-old", 1, topics=("price",), question=True, likes=99, hour=72)
        # own posts over the last 4 weeks
        for i in range(18):
            h.add(
                f"own-s{i}",
                i % 4,
                topics=("service",),
                source="own",
                author="us",
                terms=("#eigenwerbung",) if i < 9 else (),
            )
        h.add("own-p", 2, topics=("price",), source="own", author="us")
        h.add("own-c", 1, topics=("climate",), source="own", author="us")
    # one story, two sources: a duplicate
    h.add("dup-a", 0, source="blog", text="Same story everywhere", hour=80)
    h.add("dup-b", 0, source="forum", text="Same story everywhere", hour=81)
    h.add("quiet-1", 4, source="quiet")
    h.store()
    for source in ("blog", "forum", "quiet", "own"):
        store_fetch(
            con,
            FetchResult(source, FetchStatus.OK, state={}, http_status=200),
            load_id="load-1",
            attempted_at=NOW,
            next_attempt_at=NOW + timedelta(minutes=30),
        )
    refresh_facts(con)  # as every write cycle ends
    return h


@pytest.fixture(scope="session")
def history_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Built once per session; each test gets its own copy (see `history`)."""
    path = tmp_path_factory.mktemp("history") / "history.duckdb"
    h = build_history(path)
    names = dict(h.names)
    h.con.close()
    return path, names


@pytest.fixture
def history(history_file: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[History]:
    source, names = history_file
    copy = tmp_path / "history.duckdb"
    shutil.copyfile(source, copy)
    h = History(open_warehouse(copy), names=dict(names))
    yield h
    h.con.close()
