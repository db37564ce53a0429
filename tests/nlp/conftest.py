"""Shared fixtures for the NLP tests: a small taxonomy and real spaCy pipelines built once."""

from __future__ import annotations

import pytest
from spacy.language import Language

from earshot.nlp import Enricher, TopicRule
from earshot.nlp.pipeline import build_pipeline

TAXONOMY = (
    TopicRule(
        topic_id="service",
        bucket_id="care",
        terms={"de": ("Kundenservice",), "en": ("customer experience",)},
        exclude={"en": ("job offer",), "de": ("Stellenanzeige",)},
    ),
    TopicRule(
        topic_id="newsletter",
        bucket_id="owned",
        terms={"de": ("Newsletter",), "en": ("mailing list", "newsletter")},
    ),
    TopicRule(topic_id="marketing", bucket_id=None, terms={"en": ("Marketing",)}),
)


@pytest.fixture(scope="session")
def taxonomy() -> tuple[TopicRule, ...]:
    return TAXONOMY


@pytest.fixture(scope="session")
def de_nlp() -> Language:
    return build_pipeline("de", TAXONOMY)


@pytest.fixture(scope="session")
def en_nlp() -> Language:
    return build_pipeline("en", TAXONOMY)


@pytest.fixture(scope="session")
def enricher() -> Enricher:
    return Enricher(TAXONOMY)
