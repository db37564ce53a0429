"""Saving a topic from Explore's query preview into listening.yaml: comments and layout kept,
a bad definition refused with the file unchanged, and the changed taxonomy re-tags exactly the
posts whose tags change at the next enrich (the existing re-tag machinery)."""

from __future__ import annotations

from pathlib import Path

import pytest

from earshot.pipelines.config import load_config
from earshot.pipelines.tagging import build_enricher
from earshot.pipelines.topic_config import TopicSaveError, save_topic
from earshot.warehouse.annotations import count_stale
from tests.warehouse.test_retag import con, enrich_all  # noqa: F401  (fixture, helper)

CONFIG = """\
# Our listening config (this comment must survive a save)
organisation: Stadtwerke Beispiel
timezone: Europe/Berlin

sources:
  - id: blog   # the company blog
    kind: feed
    url: https://example.org/feed

topics:
  # customer care first
  - id: service
    label: Kundenservice
    bucket: care   # the care bucket
    terms:
      de: [Kundenservice]
      en: [customer experience]
  - id: newsletter
    label: Newsletter
    bucket: owned
    terms:
      de: [Newsletter]
      en: [mailing list]

buckets:
  - id: care
    label: Care
    target_share: 0.5
  - id: owned
    label: Owned
    target_share: 0.5
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "listening.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_a_saved_topic_keeps_the_files_comments_and_other_topics(config: Path) -> None:
    save_topic(
        config,
        {
            "id": "service",
            "terms": {"de": ["Kundenservice", "Hotline"], "en": ["customer experience"]},
            "exclude": {"de": ["Hotline-Job"]},
            "query": '"lange Wartezeit" AND NOT Werbung',
        },
    )
    text = config.read_text(encoding="utf-8")
    for comment in (
        "# Our listening config",
        "# the company blog",
        "# customer care first",
        "# the care bucket",
    ):
        assert comment in text
    assert "de: [Kundenservice, Hotline]" in text
    topics = {t.id: t for t in load_config(config).config.topics}
    assert topics["service"].terms["de"] == ["Kundenservice", "Hotline"]
    assert topics["service"].exclude == {"de": ["Hotline-Job"]}
    assert topics["service"].query == '"lange Wartezeit" AND NOT Werbung'
    assert topics["service"].label == "Kundenservice" and topics["service"].bucket == "care"
    assert topics["newsletter"].terms["de"] == ["Newsletter"]
    save_topic(config, {"id": "prices", "label": "Preise", "terms": {"de": ["Strompreis"]}})
    topics = {t.id: t for t in load_config(config).config.topics}
    assert list(topics) == ["service", "newsletter", "prices"]
    save_topic(config, {"id": "service", "terms": {"de": ["Kundenservice"]}, "query": None})
    assert load_config(config).config.topics[0].query is None


def test_a_definition_that_would_break_the_config_leaves_the_file_as_it_was(
    config: Path,
) -> None:
    with pytest.raises(TopicSaveError) as caught:
        save_topic(config, {"id": "bad", "bucket": "nope", "terms": {"de": ["x"]}})
    assert "listening.yaml" in str(caught.value) and "bucket" in str(caught.value)
    assert config.read_text(encoding="utf-8") == CONFIG
    assert not list(config.parent.glob(".*.tmp"))


def test_a_saved_topic_re_tags_exactly_at_the_next_enrich(config: Path, con) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    before = build_enricher(load_config(config))
    enrich_all(con, before)
    assert count_stale(con, before.analysis_version, before.topics_version) == 0
    hotline = con.execute("SELECT count(*) FROM _posts WHERE text ILIKE '%hotline%'").fetchall()[0][
        0
    ]
    service_before = con.execute(
        "SELECT count(*) FROM _post_topics WHERE topic_id = 'service'"
    ).fetchall()[0][0]
    save_topic(
        config,
        {
            "id": "service",
            "terms": {"de": ["Kundenservice", "Hotline"], "en": ["customer experience", "hotline"]},
        },
    )
    after = build_enricher(load_config(config))
    assert after.analysis_version == before.analysis_version  # only the topics change
    assert after.topics_version != before.topics_version
    total = con.execute("SELECT count(*) FROM _posts").fetchall()[0][0]
    assert count_stale(con, after.analysis_version, after.topics_version) == total
    enrich_all(con, after)
    assert count_stale(con, after.analysis_version, after.topics_version) == 0
    service_after = con.execute(
        "SELECT count(*) FROM _post_topics WHERE topic_id = 'service'"
    ).fetchall()[0][0]
    assert hotline > 0 and service_after == service_before + hotline
