"""Inputs and outputs of enrichment: the taxonomy and pending posts in, `Annotation`s out."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TopicRule:
    """One topic of the organisation's taxonomy, as the NLP stage sees it."""

    topic_id: str
    bucket_id: str | None
    # language code -> terms, e.g. {"de": ("Kundenservice",), "en": ("customer experience",)}
    terms: dict[str, tuple[str, ...]]
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # boolean query (see `nlp.query`); the topic is tagged when a term matches or it holds
    query: str | None = None


@dataclass(frozen=True, slots=True)
class TopicMatch:
    topic_id: str
    bucket_id: str | None
    matched_terms: tuple[str, ...]  # the configured terms that matched: the evidence
    # the topic's relevance model's P(relevant) of this match; None: the topic has no model
    relevance: float | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity a trained pipeline's NER found; offsets are characters of the text."""

    label: str  # the model's label, e.g. "ORG", "PERSON", "LOC"
    text: str
    start_char: int
    end_char: int


@dataclass(frozen=True, slots=True)
class Annotation:
    """Everything enrichment says about one post; the warehouse stores it as rows."""

    post_id: str
    lang: str  # ISO 639-1 code, or "und" when unknown
    lang_score: float
    sentiment: float | None  # [-1, 1]; None when no pipeline for the language
    sentiment_label: str | None  # "positive" | "neutral" | "negative"
    is_question: bool
    key_terms: tuple[str, ...]
    topics: tuple[TopicMatch, ...]
    # only when the language's pipeline is a trained one with an entity recogniser
    entities: tuple[Entity, ...] = ()
    # matches the topic's relevance model set aside as not about the topic (with their score)
    rejected_topics: tuple[TopicMatch, ...] = ()
    # the distinct word parts the topic matcher read (`nlp.topics.distinct_parts`); None: not
    # recorded (then the warehouse's parts index does not cover the post)
    topic_parts: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class PendingPost:
    """A post waiting for NLP, as the warehouse hands it over."""

    post_id: str
    text: str
    lang_hint: str | None
    # the stored language when the post's analysis is current: then only its topics are
    # re-tagged, with that language's pipeline; None when the whole post needs enriching
    lang: str | None
    topics_stale: bool  # whether its topic tags are to be rewritten


@dataclass(frozen=True, slots=True)
class TopicTags:
    """A post's topic tags (possibly none), to replace the stored ones."""

    post_id: str
    topics: tuple[TopicMatch, ...]
    rejected_topics: tuple[TopicMatch, ...] = ()  # set aside by the topic's relevance model
    topic_parts: tuple[str, ...] | None = None  # as `Annotation.topic_parts`


@dataclass(frozen=True, slots=True)
class EnrichResult:
    """One batch's output: full annotations, and the posts whose topic tags are rewritten."""

    annotations: tuple[Annotation, ...]
    topic_tags: tuple[TopicTags, ...]

    def __len__(self) -> int:
        return len({a.post_id for a in self.annotations} | {t.post_id for t in self.topic_tags})
