"""Every listener kind in `listening.yaml`, the specs `due_sources` builds from them, and
`earshot sources import-opml`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from earshot.pipelines import http_setup, jobs
from earshot.pipelines.cli import app
from earshot.pipelines.config import ConfigError, load_config
from earshot.warehouse import open_warehouse

SOURCES = [
    {"id": "blog", "kind": "feed", "url": "https://blog.example/feed"},
    {
        "id": "masto",
        "kind": "mastodon",
        "instance": "https://mastodon.social",
        "hashtag": "#marketing",
    },
    {
        "id": "masto-search",
        "kind": "mastodon",
        "instance": "https://m.example",
        "query": "newsletter",
        "token_env": "EARSHOT_TEST_MASTODON_TOKEN",
    },
    {"id": "sky", "kind": "bluesky", "actor": "bsky.app", "lang": "en"},
    {
        "id": "sky-search",
        "kind": "bluesky",
        "query": "newsletter",
        "handle_env": "EARSHOT_TEST_BSKY_HANDLE",
        "app_password_env": "EARSHOT_TEST_BSKY_PASSWORD",
    },
    {"id": "sub", "kind": "reddit", "subreddit": "marketing"},
    {"id": "hn", "kind": "hackernews", "query": "newsletter"},
    {"id": "yt", "kind": "youtube", "channel_id": "UCK8sQmJBp8GCxrOtXWBpyEA"},
    {"id": "forum", "kind": "discourse", "url": "https://forum.example.org", "category": "help"},
    {"id": "lemmy", "kind": "lemmy", "instance": "https://lemmy.world", "community": "fuckcars"},
    {"id": "so", "kind": "stackexchange", "site": "stackoverflow", "tagged": "mailchimp;api"},
    {"id": "su", "kind": "stackexchange", "site": "unix", "query": "cron", "key_env": "SE_KEY"},
    {"id": "app", "kind": "appstore", "app_id": 497799835, "countries": ["de", "AT"]},
    {"id": "news", "kind": "news", "query": "Bahn", "languages": ["de"], "countries": ["germany"]},
]


def write(tmp_path: Path, sources: list[dict[str, object]]) -> Path:
    path = tmp_path / "listening.yaml"
    data = {"organisation": "Test", "warehouse": {"path": "data/w.duckdb"}, "sources": sources}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_every_kind_loads_and_becomes_a_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARSHOT_TEST_MASTODON_TOKEN", "tok")
    monkeypatch.delenv("EARSHOT_TEST_BSKY_HANDLE", raising=False)
    loaded = load_config(write(tmp_path, SOURCES))
    con = open_warehouse(loaded.warehouse_path)
    try:
        due = {d.spec.source_id: d.spec for d in jobs.due_sources(con, loaded, datetime.now(UTC))}
    finally:
        con.close()
    assert due["masto"].url == "https://mastodon.social/tags/marketing"
    assert due["masto"].options == {"instance": "https://mastodon.social/", "hashtag": "#marketing"}
    assert due["masto-search"].secrets == {"token": "tok"}
    assert due["sky-search"].secrets["handle"] is None  # unset: the listener says so, per source
    assert due["sky"].lang_hint == "en" and due["sky"].options == {"actor": "bsky.app"}
    assert due["yt"].url == (
        "https://www.youtube.com/feeds/videos.xml?channel_id=UCK8sQmJBp8GCxrOtXWBpyEA"
    )
    assert due["hn"].options["tags"] == "(story,comment)"
    assert due["blog"].options == {}
    assert due["forum"].url == "https://forum.example.org/"
    assert due["forum"].options == {"category": "help"}
    assert due["lemmy"].url == "https://lemmy.world/c/fuckcars"
    assert due["so"].url == "https://stackoverflow.com/questions/tagged/mailchimp+api"
    assert due["su"].url == "https://unix.stackexchange.com/search?q=cron"
    assert due["su"].secrets == {"key": None}
    assert due["app"].options == {"app_id": "497799835", "countries": "de,AT"}
    assert due["app"].url == "https://apps.apple.com/de/app/id497799835?see-all=reviews"
    assert due["news"].options == {"query": "Bahn", "languages": "de", "countries": "germany"}


def test_gdelt_gets_one_request_per_5_seconds_whatever_the_config(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCES)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["http"] = {"host_intervals": {"api.gdeltproject.org": 1, "intranet.example": 0}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    policy = http_setup.http_policy(load_config(path))
    assert policy.interval_for("https://api.gdeltproject.org/api/v2/doc/doc?query=x") == 5.0
    assert policy.interval_for("https://intranet.example/feed") == 0.0
    assert policy.interval_for("https://blog.example/feed") == 1.0  # the default


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            {"kind": "mastodon", "instance": "https://m.example"},
            "sources[0]: expected exactly one of `hashtag`, `account`, `query` (got none)",
        ),
        (
            {"kind": "mastodon", "instance": "https://m.example", "query": "x"},
            "sources[0]: Mastodon search (`query`) needs `token_env`",
        ),
        ({"kind": "bluesky", "query": "x"}, "sources[0]: Bluesky search (`query`) needs a session"),
        ({"kind": "reddit"}, "sources[0]: expected `subreddit`, `query` or both"),
        ({"kind": "youtube", "channel_id": "nope"}, "sources[0].channel_id: "),
        ({"kind": "hackernews"}, "sources[0].query: required key is missing"),
        ({"kind": "gopher"}, "sources[0].kind: expected one of feed, mastodon, bluesky"),
        ({"kind": "discourse"}, "sources[0].url: required key is missing"),
        ({"kind": "news"}, "sources[0].query: required key is missing"),
        ({"kind": "news", "query": "x", "languages": ["de-DE"]}, "sources[0].languages[0]: "),
        ({"kind": "appstore", "app_id": "123456"}, "sources[0].countries: required key is missing"),
        (
            {"kind": "appstore", "app_id": "123456", "countries": []},
            "sources[0].countries: List should have at least 1 item",
        ),
        (
            {"kind": "appstore", "app_id": "123456", "countries": ["deu"]},
            "sources[0].countries[0]: expected a two-letter country code such as de or us",
        ),
        (
            {"kind": "appstore", "app_id": "id123456", "countries": ["de"]},
            "sources[0].app_id: ",
        ),
        ({"kind": "stackexchange", "tagged": "x"}, "sources[0].site: required key is missing"),
        ({"kind": "stackexchange", "site": "superuser"}, "sources[0]: expected `tagged`, `query`"),
        (
            {"kind": "stackexchange", "site": "superuser", "tagged": "a; b"},
            "sources[0].tagged: ",
        ),
        ({"kind": "lemmy", "community": "x"}, "sources[0].instance: required key is missing"),
        (
            {"kind": "lemmy", "instance": "https://l.example"},
            "sources[0]: expected `community`, `query` or both",
        ),
        (
            {"kind": "lemmy", "instance": "https://l.example", "community": "a b"},
            "sources[0].community: ",
        ),
        (
            {"kind": "discourse", "url": "https://f.example", "category": "a", "tag": "b"},
            "sources[0]: expected at most one of `category`, `tag` (got both)",
        ),
        (
            {"kind": "discourse", "url": "https://f.example", "api_key_env": "K"},
            "sources[0]: a Discourse API key needs both `api_key_env` and `api_username_env`",
        ),
        (
            {"kind": "reddit", "subreddit": "x", "token_env": "T"},
            "sources[0].token_env: unknown key",
        ),
    ],
)
def test_bad_sources_name_the_key(tmp_path: Path, source: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, [{"id": "s", **source}]))
    assert expected in str(err.value)


def test_earshot_sources_lists_every_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # one row per source, unwrapped
    config = write(tmp_path, SOURCES)
    result = CliRunner().invoke(app, ["sources", "--config", str(config)])
    assert result.exit_code == 0, result.output
    for source in SOURCES:
        row = next(line for line in result.output.splitlines() if f" {source['id']} " in line)
        assert f" {source['kind']} " in row


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Export</title></head><body>
  <outline text="News">
    <outline type="rss" text="Heise" title="heise online" xmlUrl="https://www.heise.de/rss/heise.rdf"
             htmlUrl="https://www.heise.de/" language="de-DE"/>
    <outline type="rss" text="Already there" xmlUrl="https://blog.example/feed"/>
  </outline>
  <outline type="rss" text="Stra\xc3\x9fe &amp; Co" xmlUrl="https://strasse.example/feed/"/>
</body></opml>
"""


def test_import_opml_appends_feeds_and_keeps_the_file_loadable(tmp_path: Path) -> None:
    config = tmp_path / "listening.yaml"
    config.write_text(
        "organisation: Test\n# our feeds\nsources:\n  - id: blog\n    kind: feed\n"
        "    url: https://blog.example/feed\n\n# what we care about\ntopics: []\n",
        encoding="utf-8",
    )
    opml = tmp_path / "feeds.opml"
    opml.write_bytes(OPML)
    result = CliRunner().invoke(app, ["sources", "import-opml", str(opml), "--config", str(config)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "imported 2 feed(s)" in output and "1 already configured" in output
    sources = load_config(config).config.sources
    assert [s.id for s in sources] == ["blog", "heise-online", "strasse-co"]
    assert sources[1].lang == "de" and str(sources[2].url) == "https://strasse.example/feed/"
    text = config.read_text(encoding="utf-8")
    assert "# our feeds" in text and "# what we care about" in text  # comments kept
    again = CliRunner().invoke(app, ["sources", "import-opml", str(opml), "--config", str(config)])
    output = " ".join(again.output.split())
    assert "imported 0 feed(s)" in output and "3 already configured" in output


def test_import_opml_rejects_a_file_that_is_not_opml(tmp_path: Path) -> None:
    config = write(tmp_path, SOURCES[:1])
    before = config.read_text(encoding="utf-8")
    bad = tmp_path / "x.opml"
    bad.write_bytes(b"<rss/>")
    result = CliRunner().invoke(app, ["sources", "import-opml", str(bad), "--config", str(config)])
    assert result.exit_code == 1 and "not OPML" in result.output
    assert config.read_text(encoding="utf-8") == before
