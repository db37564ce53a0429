"""Relearning at the start of `enrich` (real Prefect flow runs, real DuckDB, real spaCy): quiet
without labels or when they did not change; a changed label set relearns, and the new
relevance model re-tags the posts."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from earshot.listeners.records import Post
from earshot.pipelines import flows, jobs
from earshot.pipelines.config import load_config
from earshot.pipelines.labels import import_labels
from earshot.pipelines.learning import STATE, relearn_if_labels_changed
from earshot.warehouse.sources import insert_posts
from tests.nlp.test_relevance import GOLD, TEXTS

pytestmark = pytest.mark.usefixtures("prefect_harness")

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
POSTS = {
    "rail": "Die Bahn: Zug und Stellwerk, Verspätung in Köln.",
    "lane": "Heute ist die Bahn frei: Schwimmbad mit Becken, ab acht Uhr.",
}


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "listening.yaml"
    config = {
        "organisation": "Beispiel GmbH",
        "sources": [{"id": "blog", "kind": "feed", "url": "https://blog.example.org/feed"}],
        "topics": [{"id": "bahn", "label": "Bahn", "terms": {"de": ["Bahn"]}}],
        "nlp": {"languages": ["de"], "processes": 1},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def tags(config: Path) -> tuple[set[str], set[str]]:
    """(external ids tagged `bahn`, external ids whose `bahn` match was set aside)."""
    loaded = load_config(config)
    with jobs.write_session(loaded) as con:
        kept, rejected = (
            {
                name
                for (name,) in con.execute(
                    f"SELECT p.external_id FROM {view} t JOIN _posts p USING (post_id) "
                    "WHERE t.topic_id = 'bahn'"
                ).fetchall()
            }
            for view in ("post_topics", "post_topics_rejected")
        )
    return kept, rejected


def test_enrich_relearns_when_the_labels_changed_and_only_then(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    loaded = load_config(config)
    with jobs.warehouse(loaded) as con:
        posts = [
            Post("feed", "blog", name, f"https://blog.example.org/{name}", None, None, None,
                 text, "de", NOW, NOW)
            for name, text in POSTS.items()
        ]  # fmt: skip
        insert_posts(con, posts, load_id="collect-1")
    assert relearn_if_labels_changed(loaded) is None  # no labels, no models: nothing to do
    assert flows.enrich(str(config)).annotated == 2
    assert tags(config) == ({"rail", "lane"}, set())  # the rules: every match is relevant
    assert not loaded.models_path.exists()

    labels = tmp_path / "labels.csv"
    with labels.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "lang", "topic", "relevant"])
        writer.writerows(
            [t, "de", "bahn", str(g).lower()] for t, g in zip(TEXTS, GOLD, strict=True)
        )
    import_labels(loaded, labels)

    assert flows.enrich(str(config)).annotated == 2  # relearned first: the model re-tags
    assert (loaded.models_path / "relevance-bahn.npz").is_file()
    assert tags(config) == ({"rail"}, {"lane"})
    state = (loaded.models_path / STATE).read_text(encoding="utf-8")

    assert relearn_if_labels_changed(loaded) is None  # the same labels: quiet
    assert flows.enrich(str(config)).annotated == 0
    assert (loaded.models_path / STATE).read_text(encoding="utf-8") == state

    # a correction of a stored post: relearned at the next enrich; the label wins for its post
    with jobs.write_session(loaded) as con:
        (lane,) = con.execute("SELECT post_id FROM _posts WHERE external_id = 'lane'").fetchone()
    correction = tmp_path / "correction.csv"
    correction.write_text(f"post_id,topic,relevant\n{lane},bahn,true\n", encoding="utf-8")
    import_labels(loaded, correction)
    flows.enrich(str(config))
    assert (loaded.models_path / STATE).read_text(encoding="utf-8") != state
    assert tags(config) == ({"rail", "lane"}, set())
