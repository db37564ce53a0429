"""The Doc-free fast path: a blank pipeline's own components run straight on the tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spacy.language import Language

from earshot.nlp import sentiment, topics
from earshot.nlp.keyterms import KeyTermExtractor
from earshot.nlp.normalise import TokenView
from earshot.nlp.pipeline import FALLBACK, has_entities
from earshot.nlp.questions import QuestionDetector
from earshot.nlp.records import Annotation, TopicMatch
from earshot.nlp.sentiment import SentimentScorer
from earshot.nlp.tokenizer import EarshotTokenizer
from earshot.nlp.topics import TopicTagger


@dataclass(frozen=True, slots=True)
class FastPath:
    """A blank pipeline's own components, called on the `TokenView` without a `Doc`.

    Usable when the pipeline is our tokenizer plus only our components: then building a
    `Doc`, `nlp.pipe` and the `doc._` extensions are pure overhead. The same component
    objects (registered spaCy factories) run here as in `nlp.pipe`, through the same view
    functions their `__call__` uses, so the annotations are identical (tests/nlp check this).
    """

    usable: bool
    topics: TopicTagger | None = None
    sentiment: SentimentScorer | None = None
    questions: QuestionDetector | None = None
    keyterms: KeyTermExtractor | None = None
    fallback: bool = False

    @classmethod
    def of(cls, nlp: Language) -> FastPath:
        parts: dict[str, Any] = {}
        kinds = {
            TopicTagger: "topics",
            SentimentScorer: "sentiment",
            QuestionDetector: "questions",
            KeyTermExtractor: "keyterms",
        }
        for _, proc in nlp.pipeline:
            kind = kinds.get(type(proc))
            if kind is None or kind in parts:
                return cls(False)
            parts[kind] = proc
        if not isinstance(nlp.tokenizer, EarshotTokenizer) or has_entities(nlp):
            return cls(False)
        return cls(True, fallback=nlp.lang == FALLBACK, **parts)

    def tag_all(
        self, views: Sequence[TokenView]
    ) -> tuple[list[tuple[TopicMatch, ...]], list[tuple[str, ...]]]:
        """The topic tags of each view, and the distinct word parts the tagger read
        (`topics.distinct_parts`, recorded for the query preview); only with a tagger."""
        assert self.topics is not None
        seqs = [topics.view_sequence(v) for v in views]
        return [self.topics.match(s) for s in seqs], [topics.distinct_parts(s) for s in seqs]

    def annotate(self, post_id: str, lang: str, lang_score: float, view: TokenView) -> Annotation:
        """What `annotation_from_doc` makes of the pipeline's `Doc` for this view."""
        return self.annotate_all([(post_id, lang, lang_score, view)])[0]

    def annotate_all(self, posts: Sequence[tuple[str, str, float, TokenView]]) -> list[Annotation]:
        """`annotate` of (post_id, lang, lang_score, view) each, one component at a time.

        A component's code and data stay in the CPU's caches while it runs over all the
        posts: about a tenth faster than running all components post by post.
        """
        views = [view for _, _, _, view in posts]
        none = [None] * len(views)
        scorer = None if self.fallback else self.sentiment
        scores = [scorer.score_view(v) for v in views] if scorer is not None else none
        asks = [bool(self.questions.asks(v)) for v in views] if self.questions else none
        terms = [self.keyterms.extract_view(v) for v in views] if self.keyterms else none
        found: list[Any] = none
        parts: list[Any] = none
        if self.topics is not None:
            found, parts = self.tag_all(views)
        return [
            Annotation(
                post_id=post_id,
                lang=lang,
                lang_score=round(lang_score, 4),
                sentiment=None if score is None else round(float(score), 4),
                sentiment_label=None if score is None else sentiment.label_for(score),
                is_question=bool(question),
                key_terms=key_terms or (),
                topics=tags or (),
                entities=(),
                topic_parts=topic_parts,
            )
            for (post_id, lang, lang_score, _), score, question, key_terms, tags, topic_parts in (
                zip(posts, scores, asks, terms, found, parts, strict=True)
            )
        ]
