"""The analysts' views on a real published copy: what the README promises an analyst.

Every view is documented in the README (or internal, `_`-prefixed), counts arrive as BIGINT
(not HUGEINT, which pandas gets as decimal128(38, 0)), weeks are the configured zone's and
say whether they are over, and the README's pandas lines run as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
import yaml

from earshot.listeners.records import Post
from earshot.nlp.records import Annotation, TopicMatch
from earshot.pipelines.config import LoadedConfig, load_config
from earshot.pipelines.jobs import publish_analytics, refresh_digest_facts, warehouse
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.export import EXPORTED_VIEWS
from earshot.warehouse.loads import start_load
from earshot.warehouse.sources import insert_posts

README = Path(__file__).resolve().parents[2] / "README.md"
ZONE = "Europe/Berlin"
# Sunday 25 October 2026 the clocks go back: that ISO week (W43) lasts 169 hours in Berlin.
DST_WEEK_POST = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)
# 23:30 UTC on Sunday 22 November is 00:30 on Monday in Berlin: W48 there, W47 in UTC.
LATE_SUNDAY = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)


@dataclass
class Copy:
    loaded: LoadedConfig
    con: duckdb.DuckDBPyConnection


def post(n: int, published: datetime, handle: str | None) -> Post:
    return Post(
        platform="mastodon",
        source_id="forum",
        external_id=f"item-{n}",
        url=f"https://social.example/@dana/{n}",
        author="Dana",
        author_handle=handle,
        title=None,
        text=f"Customer service story {n}",
        lang_hint="en",
        published_at=published,
        fetched_at=published,
        likes=10 * n,
        reposts=n,
        raw={"id": n},
    )


@pytest.fixture
def copy(tmp_path: Path) -> Iterator[Copy]:
    path = tmp_path / "listening.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "organisation": "Beispiel GmbH",
                "timezone": ZONE,
                "sources": [{"id": "forum", "kind": "feed", "url": "https://f.example/rss"}],
                "topics": [{"id": "service", "label": "Service", "terms": {"en": ["service"]}}],
            }
        ),
        encoding="utf-8",
    )
    loaded = load_config(path)
    now = datetime.now(UTC)
    posts = [
        post(1, DST_WEEK_POST, "@dana@social.example"),
        post(2, LATE_SUNDAY, "@dana@social.example"),
        post(3, now, None),  # this week: not over yet
    ]
    with warehouse(loaded) as con:
        load = start_load(con, "collect")
        insert_posts(con, posts, load)
        store_annotations(
            con,
            [
                Annotation(
                    p.post_id,
                    "en",
                    0.9,
                    -0.5,
                    "negative",
                    False,
                    ("service",),
                    (TopicMatch("service", None, ("service",)),),
                )
                for p in posts
            ],
            pipeline_version="v1",
            load_id=load,
        )
        refresh_digest_facts(con)  # as the end of a write cycle does
    publish_analytics(loaded)
    assert loaded.analytics_path == tmp_path / "data" / "earshot-analytics.duckdb"
    con = duckdb.connect(str(loaded.analytics_path), read_only=True)
    yield Copy(loaded, con)
    con.close()


def documented_views() -> set[str]:
    """The views named in the README's tables: the column headed `view` of each table."""
    names: set[str] = set()
    column: int | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            column = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if column is None:
            column = cells.index("view") if "view" in cells else -1
        elif column >= 0 and not set(cells[column]) <= set("-: "):
            names.update(re.findall(r"`([a-z0-9_]+)`", cells[column]))
    return names


def public_views(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
    ).fetchall()
    return {name for (name,) in rows if not name.startswith("_")}


def test_every_view_is_documented_and_exported(copy: Copy) -> None:
    documented = documented_views()
    assert {"posts", "weeks", "topic_weekly", "topic_movement", "week_languages"} <= documented
    assert public_views(copy.con) == documented  # nothing undocumented, nothing missing
    assert set(EXPORTED_VIEWS) == documented


def test_no_count_column_arrives_as_hugeint(copy: Copy) -> None:
    wide: list[tuple[str, str, str]] = []
    for view in sorted(documented_views()):
        for name, kind, *_ in copy.con.execute(f"DESCRIBE {view}").fetchall():
            if kind in ("HUGEINT", "UHUGEINT") or kind.startswith("DECIMAL(38"):
                wide.append((view, name, kind))
    assert wide == []
    # and in pandas: the digest's counts are int64, not objects of Decimal
    frame = copy.con.sql("SELECT * FROM topic_share_4w").df()
    assert {frame[c].dtype.name for c in ("audience_posts", "audience_tags", "own_tags")} == {
        "int64"
    }


def test_posts_carry_their_week_in_the_configured_zone_and_the_author_handle(copy: Copy) -> None:
    rows = copy.con.execute(
        "SELECT p.published_at, p.week, w.week, p.author_handle "
        "FROM posts p JOIN post_weeks w USING (post_id) ORDER BY p.published_at"
    ).fetchall()
    assert [r[1] for r in rows[:2]] == ["2026-W43", "2026-W48"]  # W47 in UTC
    assert all(r[1] == r[2] for r in rows)  # the same week as post_weeks and the digest
    assert [r[3] for r in rows] == ["@dana@social.example", "@dana@social.example", None]
    assert copy.con.execute(
        "SELECT count(*) FROM week_coverage c JOIN posts p USING (week)"
    ).fetchone() == (3,)


def test_weeks_say_whether_they_are_over(copy: Copy) -> None:
    zone = ZoneInfo(ZONE)
    rows = copy.con.execute(
        "SELECT week, week_start, starts_at, ends_at, complete, posts FROM weeks ORDER BY week"
    ).fetchall()
    this_week = datetime.now(zone).strftime("%G-W%V")
    assert rows[0][0] == "2026-W43" and rows[-1][0] == this_week
    assert [r[0] for r in rows if not r[4]] == [this_week]  # only the current week is open
    assert sum(r[5] for r in rows) == 3
    assert {r[0]: r[5] for r in rows}["2026-W45"] == 0  # a quiet week is a row of zero
    for _week, start, starts_at, ends_at, complete, _posts in rows:
        local = starts_at.astimezone(zone)
        assert (local.date(), local.hour, local.minute) == (start, 0, 0)
        assert ends_at.astimezone(zone) == datetime.combine(
            start + timedelta(days=7), datetime.min.time(), zone
        )
        assert complete == (ends_at <= datetime.now(UTC))
    assert rows[0][3] - rows[0][2] == timedelta(hours=169)  # the clocks went back that Sunday
    weekly = copy.con.execute(
        "SELECT t.week, t.complete, w.complete FROM topic_weekly t JOIN weeks w USING (week)"
    ).fetchall()
    assert sorted(weekly) == [
        ("2026-W43", True, True),
        ("2026-W48", True, True),
        (this_week, False, False),
    ]


def readme_python() -> str:
    """The Python block of the README's "For analysts" section."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## For analysts") :]
    section = section[: section.index("\n## ", 1)]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return str(block)


def test_the_readme_pandas_lines_run_against_the_published_copy(
    copy: Copy, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = readme_python()
    assert len(code.strip().splitlines()) == 3
    assert "read_only=True" in code and ".df()" in code
    monkeypatch.chdir(copy.loaded.path.parent)  # where `data/` is, as the README says
    names: dict[str, object] = {}
    exec(compile(code, str(README), "exec"), names)
    df = names["df"]
    assert isinstance(df, pd.DataFrame)
    assert sorted(df["week"]) == ["2026-W43", "2026-W48"]  # complete weeks only
    assert df["posts"].dtype.name == "int64" and df["engagement"].dtype.name == "int64"
    assert list(df.sort_values("week")["engagement"]) == [11, 22]
    con = names["con"]
    assert isinstance(con, duckdb.DuckDBPyConnection)
    con.close()
