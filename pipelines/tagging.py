"""The NLP stage as the config sets it up: the taxonomy's rules, the Enricher with the models
`earshot learn` left in the models folder, and the record of what tags were made with."""

from __future__ import annotations

from pathlib import Path

import duckdb

from earshot.nlp import Enricher, TopicRule
from earshot.nlp.relevance import model_path as relevance_model_path
from earshot.nlp.sentiment_model import model_path
from earshot.nlp.topics import matcher_identity, rule_to_config
from earshot.pipelines.config import LoadedConfig
from earshot.warehouse.topic_definitions import record_topic_definitions


def topic_rules(loaded: LoadedConfig) -> list[TopicRule]:
    """The configured taxonomy as the NLP stage sees it."""
    return [
        TopicRule(
            topic_id=t.id,
            bucket_id=t.bucket,
            terms={lang: tuple(terms) for lang, terms in t.terms.items()},
            exclude={lang: tuple(terms) for lang, terms in t.exclude.items()},
            query=t.query,
        )
        for t in loaded.config.topics
    ]


def build_enricher(loaded: LoadedConfig, *, with_models: bool = True) -> Enricher:
    """The configured Enricher, with the learned models in the models folder (`with_models`:
    without them, the rules alone, as learning needs them)."""
    cfg = loaded.config
    return Enricher(
        topic_rules(loaded),
        languages=cfg.nlp.languages,
        lexicons=loaded.lexicons(),
        trained_pipelines=cfg.nlp.pipelines,
        batch_size=min(cfg.nlp.batch_size, 1000),
        sentiment_models=learned_models(loaded) if with_models else {},
        relevance_models=relevance_models(loaded) if with_models else {},
    )


def record_tagging(con: duckdb.DuckDBPyConnection, enricher: Enricher) -> None:
    """Record the definitions `enricher` tags with under its topics version (before it stores
    tags), for readers that want to know what produced the stored matches."""
    record_topic_definitions(
        con,
        enricher.topics_version,
        [rule_to_config(rule) for rule in enricher.topics],
        matcher=matcher_identity(),
    )


def relevance_models(loaded: LoadedConfig) -> dict[str, Path]:
    """The relevance models `earshot learn` left in the models folder, per configured topic."""
    folder = loaded.models_path
    found = {t.id: relevance_model_path(folder, t.id) for t in loaded.config.topics}
    return {topic: path for topic, path in found.items() if path.is_file()}


def learned_models(loaded: LoadedConfig) -> dict[str, Path]:
    """The sentiment models `earshot learn` left in the models folder, per language."""
    folder = loaded.models_path
    found = {lang: model_path(folder, lang) for lang in loaded.config.nlp.languages}
    return {lang: path for lang, path in found.items() if path.is_file()}
