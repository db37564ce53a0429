"""Entities: a trained pipeline named in the config tags entities, and they land in their table.

The pipeline is a tiny spaCy NER trained here, saved to a temp dir and named by path under
`nlp.pipelines` in a copy of the example config.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import spacy
from spacy.training import Example

from earshot.listeners.records import Post
from earshot.nlp import Enricher
from earshot.nlp.records import Entity
from earshot.pipelines.config import load_config
from earshot.pipelines.tagging import build_enricher
from earshot.warehouse import open_warehouse
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.entities import store_entities, write_entities
from earshot.warehouse.loads import start_load
from earshot.warehouse.sources import SourceRow, insert_posts, sync_sources

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/listening.yaml"
COMPANIES = ("Nordlicht", "Acme", "Globex", "Initech")
CITIES = ("Berlin", "Hamburg", "Paris", "Boston")
PATTERNS = (
    "I had a great call with {org} in {city} today",
    "The {org} office in {city} was closed",
    "Why does {org} never answer in {city}?",
    "{org} opened a shop in {city}",
)
TEXT = "The Acme office in Paris was closed"


def _training_data() -> list[tuple[str, list[tuple[int, int, str]]]]:
    data = []
    for pattern in PATTERNS:
        for org in COMPANIES:
            for city in CITIES:
                text = pattern.format(org=org, city=city)
                spans = [
                    (m.start(), m.end(), label)
                    for name, label in ((org, "ORG"), (city, "LOC"))
                    for m in [re.search(re.escape(name), text)]
                    if m is not None
                ]
                data.append((text, spans))
    return data


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A blank English pipeline with an NER trained on a few dozen sentences, on disk."""
    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    data = _training_data()
    for _, spans in data:
        for _, _, label in spans:
            ner.add_label(label)
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": s}) for t, s in data]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(0)
    for _ in range(8):
        rng.shuffle(examples)
        for start in range(0, len(examples), 8):
            nlp.update(examples[start : start + 8], sgd=optimizer, drop=0.1)
    path = tmp_path_factory.mktemp("pipeline") / "tiny_en_ner"
    nlp.to_disk(path)
    return path


@pytest.fixture(scope="module")
def enricher(trained: Path, tmp_path_factory: pytest.TempPathFactory) -> Enricher:
    """Built the way the `enrich` job builds it, from a config naming the pipeline by path."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace(
        "nlp:\n  languages: [de, en]\n",
        f"nlp:\n  pipelines:\n    en: {trained}\n  languages: [de, en]\n",
        1,
    )
    assert str(trained) in text
    config = tmp_path_factory.mktemp("config") / "listening.yaml"
    config.write_text(text, encoding="utf-8")
    loaded = load_config(config)
    assert loaded.config.nlp.pipelines == {"en": str(trained)}
    return build_enricher(loaded)


def test_trained_pipeline_entities_come_out(enricher: Enricher) -> None:
    [en, de] = enricher.annotate(
        [("p1", TEXT, None), ("p2", "Der Kundenservice von Acme in Berlin war super", None)]
    )
    assert en.lang == "en"
    assert Entity("ORG", "Acme", 4, 8) in en.entities
    assert all(TEXT[e.start_char : e.end_char] == e.text for e in en.entities)
    assert en.sentiment is not None and en.key_terms  # our components still run after the NER
    assert de.lang == "de" and de.entities == ()  # German has no trained pipeline here


def test_entities_are_stored_in_their_own_table(enricher: Enricher, tmp_path: Path) -> None:
    con = open_warehouse(tmp_path / "w.duckdb")
    sync_sources(con, [SourceRow("blog", "feed", "https://example.org/feed", False)])
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    posts = [
        Post(
            platform="feed",
            source_id="blog",
            external_id=str(n),
            url=f"https://example.org/{n}",
            author=None,
            author_handle=None,
            title=None,
            text=text,
            lang_hint="en",
            published_at=now,
            fetched_at=now,
        )
        for n, text in enumerate([TEXT, "Nothing to see here"])
    ]
    insert_posts(con, posts, load_id="collect-1")
    ids = [r[0] for r in con.execute("SELECT post_id FROM _posts ORDER BY external_id").fetchall()]
    annotations = list(
        enricher.annotate(zip(ids, [p.text for p in posts], ["en", "en"], strict=True))
    )
    load_id = start_load(con, "enrich")
    version = enricher.analysis_version
    # the annotation store path writes the entities in the same transaction
    store_annotations(con, annotations, pipeline_version=version, load_id=load_id)
    stored = sum(len(a.entities) for a in annotations)
    assert stored >= 1
    rows = con.execute(
        "SELECT post_id, label, text, start_char, end_char FROM post_entities ORDER BY start_char"
    ).fetchall()
    assert (ids[0], "ORG", "Acme", 4, 8) in rows
    assert len(rows) == stored
    # storing the batch again replaces, never duplicates
    assert store_entities(con, annotations, pipeline_version=version, load_id=load_id) == stored
    store_annotations(con, annotations, pipeline_version=version, load_id=load_id)
    assert con.execute("SELECT count(*) FROM _post_entities").fetchone() == (stored,)
    versions = con.execute("SELECT DISTINCT pipeline_version FROM _post_entities").fetchall()
    assert versions == [(version,)]


def test_write_entities_joins_the_callers_transaction(tmp_path: Path) -> None:
    con: duckdb.DuckDBPyConnection = open_warehouse(tmp_path / "w.duckdb")
    from earshot.nlp.records import Annotation

    found = Annotation(
        "p", "en", 1.0, 0.0, "neutral", False, (), (), (Entity("ORG", "Acme", 0, 4),)
    )
    con.execute("BEGIN TRANSACTION")
    assert write_entities(con, [found], pipeline_version="v", load_id="l") == 1
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM _post_entities").fetchone() == (0,)
