"""Earshot's NLP stage: texts in, `Annotation`s out.

Language, topics, sentiment, questions and key terms of each post.
"""

from __future__ import annotations

from earshot.nlp.enricher import Enricher
from earshot.nlp.errors import LexiconError, NlpError
from earshot.nlp.records import Annotation, TopicMatch, TopicRule

__all__ = ["Annotation", "Enricher", "LexiconError", "NlpError", "TopicMatch", "TopicRule"]
