"""spaCy pipelines: one language's pipeline built from our components, and its `Doc` as a record."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import compile_prefix_regex

from earshot.nlp import keyterms, language, questions, sentiment, tokenizer, topics
from earshot.nlp.lexicon import packaged_lexicon_path
from earshot.nlp.records import Annotation, Entity, TopicMatch, TopicRule

FALLBACK = "xx"  # spaCy's multi-language tokenizer, for posts in languages we have no pipeline for

TOKENIZER = "earshot_tokenizer_v1"
COMPONENTS = {  # factory name → code version; both go into `Enricher.version`
    TOKENIZER: tokenizer.VERSION,
    "earshot_language": language.VERSION,
    "earshot_topics_v1": topics.VERSION,
    "earshot_sentiment_v2": sentiment.VERSION,
    "earshot_questions_v1": questions.VERSION,
    "earshot_keyterms_v1": keyterms.VERSION,
}
# The components a topics-only re-tag leaves out (the tokenizer, sentencizer and any trained
# components stay, since topic matching reads their output).
NOT_TOPICS = ("earshot_sentiment_v2", "earshot_questions_v1", "earshot_keyterms_v1")


def _keep_hashtags(nlp: Language) -> None:
    """Stop the tokenizer from splitting '#' off, so "#Kundenservice" stays one token."""
    prefixes = [p for p in nlp.Defaults.prefixes or () if p not in {"#", r"\#"}]
    tokenizer: Any = nlp.tokenizer
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search


def build_pipeline(
    lang: str,
    rules: Sequence[TopicRule],
    *,
    lexicon_path: Path | None = None,
    trained_pipeline: str | None = None,
) -> Language:
    """One language's pipeline: blank (or trained) spaCy plus our components.

    `lang` "xx" builds the fallback: topics, "?" questions and hashtags, no sentiment.
    Sentiment is left out for a language that has neither a packaged nor a given lexicon.
    """
    if trained_pipeline:
        # a trained pipeline keeps the tokenizer its models were trained with
        nlp = spacy.load(trained_pipeline)
        _keep_hashtags(nlp)
        if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
            nlp.add_pipe("sentencizer")
    else:
        # our tokenizer sets sentence starts itself: no sentencizer needed
        nlp = spacy.blank(lang, config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}})
    nlp.add_pipe("earshot_topics_v1", config={"rules": [topics.rule_to_config(r) for r in rules]})
    if lang != FALLBACK and (lexicon_path is not None or packaged_lexicon_path(lang)):
        nlp.add_pipe(
            "earshot_sentiment_v2",
            config={"lexicon_path": str(lexicon_path) if lexicon_path else None},
        )
    nlp.add_pipe("earshot_questions_v1")
    nlp.add_pipe("earshot_keyterms_v1", config={"hashtags_only": lang == FALLBACK})
    return nlp


def has_entities(nlp: Language) -> bool:
    """Whether the pipeline recognises named entities (a trained `ner` or an entity ruler)."""
    return nlp.has_pipe("ner") or nlp.has_pipe("entity_ruler")


def annotation_from_doc(
    post_id: str, lang: str, lang_score: float, doc: Doc, *, entities: bool = False
) -> Annotation:
    """Convert a processed `Doc` to the warehouse's record, so no `Doc` leaves `nlp/`.

    `entities`: read `doc.ents` (only worth it when the pipeline has an entity recogniser).
    """
    ext = doc._  # one accessor object for all reads
    score = ext.earshot_sentiment if Doc.has_extension("earshot_sentiment") else None
    label = ext.earshot_sentiment_label if score is not None else None
    found: tuple[TopicMatch, ...] = ext.earshot_topics or ()
    return Annotation(
        post_id=post_id,
        lang=lang,
        lang_score=round(lang_score, 4),
        sentiment=None if score is None else round(float(score), 4),
        sentiment_label=label,
        is_question=bool(ext.earshot_is_question),
        key_terms=tuple(ext.earshot_key_terms or ()),
        topics=found,
        entities=tuple(Entity(e.label_, e.text, e.start_char, e.end_char) for e in doc.ents)
        if entities
        else (),
        topic_parts=ext.earshot_topic_parts if Doc.has_extension("earshot_topic_parts") else None,
    )
