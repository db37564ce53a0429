"""Building the teach queue's judge from the config's plain values: what `earshot labels next`
and Explore's teach page both call, so that they ask the same questions (`nlp.teach.Judge`
judges; Explore never imports `pipelines/`, so the construction lives here)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from earshot.nlp.rule_scores import RuleScores
from earshot.nlp.sentiment_model import load_model, model_path
from earshot.nlp.teach import Judge, RelevanceLabelled


@dataclass(frozen=True)
class JudgeSettings:
    """What a `Judge` is built from, as plain values of the config (the CLI fills it from the
    loaded config; Explore gets it through its settings, since it never imports `pipelines/`)."""

    languages: tuple[str, ...]
    models_folder: Path  # where `earshot learn` leaves the models
    topics: tuple[str, ...] = ()  # the configured topics (their relevance models)
    lexicons: Mapping[str, Path] = field(default_factory=dict)  # per language, if configured
    pipelines: Mapping[str, str] = field(default_factory=dict)  # trained spaCy pipeline names


class SentimentLabel(Protocol):
    """A label as the judge reads it (`warehouse.labels.LabelledText` is one)."""

    @property
    def text(self) -> str: ...
    @property
    def lang(self) -> str | None: ...
    @property
    def sentiment(self) -> str | None: ...


REMEMBERED_SCORES = 200_000  # texts whose rules' score a RememberingRules keeps


class RememberingRules(RuleScores):
    """The rules' scores, each text's computed once (the rules do not change while an app
    runs; the models and provisional models, trained on the labels, do). Texts are
    remembered by a digest, at most `REMEMBERED_SCORES` of them."""

    def __init__(self, lang: str, *args: Any) -> None:
        super().__init__(lang, *args)
        self._known: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def scores(self, texts: Sequence[str]) -> list[float]:
        keys = [hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts]
        with self._lock:
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._known}
        fresh = dict(zip(missing, super().scores(list(missing.values())), strict=True))
        with self._lock:
            if len(self._known) + len(fresh) > REMEMBERED_SCORES:
                self._known.clear()
            self._known.update(fresh)
            return [fresh[k] if k in fresh else self._known[k] for k in keys]


def judge_rules(settings: JudgeSettings, *, remember: bool = False) -> dict[str, RuleScores]:
    """The rules of every configured language (spaCy pipelines: build once, reuse);
    `remember`: each text's score kept (`RememberingRules`, for a long-running app)."""
    kind = RememberingRules if remember else RuleScores
    return {
        lang: kind(lang, settings.lexicons.get(lang), settings.pipelines.get(lang))
        for lang in settings.languages
    }


def build_judge(
    settings: JudgeSettings,
    labelled: Iterable[SentimentLabel],
    rules: Mapping[str, RuleScores] | None = None,
    relevance_labelled: Mapping[str, RelevanceLabelled] | None = None,
) -> Judge:
    """The judge of `earshot labels next` and Explore's teach page: the rules of every
    configured language (`rules` if already built), the sentiment and relevance models
    `earshot learn` left in the models folder, the sentiment labels per language (a label's
    own language, else identified from its text, as `earshot learn` reads them) and the
    relevance labels per topic, for provisional models."""
    from earshot.nlp import relevance
    from earshot.nlp.language import LanguageIdentifier
    from earshot.nlp.tokenizer import split

    identifier = LanguageIdentifier(tuple(settings.languages))
    taught: dict[str, tuple[list[str], list[str]]] = {}
    for label in labelled:
        if label.sentiment is not None:
            lang = label.lang or identifier.identify_tokens(split(label.text)[0]).lang
            texts, labels = taught.setdefault(lang, ([], []))
            texts.append(label.text)
            labels.append(label.sentiment)
    models = {}
    for lang in settings.languages:
        path = model_path(settings.models_folder, lang)
        if path.is_file():
            models[lang] = load_model(path)
    cores = {}
    for topic_id in settings.topics:
        path = relevance.model_path(settings.models_folder, topic_id)
        if path.is_file():
            cores[topic_id] = relevance.load_model(path).core
    return Judge(
        judge_rules(settings) if rules is None else rules,
        models,
        taught,
        cores,
        {t: given for t, given in (relevance_labelled or {}).items() if t in settings.topics},
    )
