"""Learning from the labels: sentiment per language and relevance per topic, by `earshot learn`
and at the start of every `enrich` whose labels changed since the last learn.

What the models were learned from is remembered beside them (`learned.json` in the models
folder: a fingerprint of the labels, the taxonomy, the languages and the learning code), so
an `enrich` relearns only when that changed, and says nothing otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from earshot.nlp import Enricher, calibration, relevance, sentiment_model
from earshot.nlp import learn as sentiment_learning
from earshot.nlp.language import LanguageIdentifier
from earshot.nlp.learn import Figures, Learned, keep_model, learn_sentiment, remove_model
from earshot.nlp.relevance import LearnedRelevance, learn_relevance
from earshot.nlp.rule_scores import RuleScores
from earshot.nlp.tokenizer import split
from earshot.pipelines import jobs, tagging
from earshot.pipelines.config import LoadedConfig
from earshot.warehouse.labels import LabelledText, labelled_texts

STATE = "learned.json"


@dataclass(frozen=True, slots=True)
class Learning:
    """What one learn gave: per language, per topic (with labels), and what it learned from."""

    sentiment: list[Learned]
    relevance: list[LearnedRelevance]
    fingerprint: str

    def summary(self) -> str:
        """One line: which models are in use now."""
        parts = [f"{x.lang} sentiment: {_in_use(x)}" for x in self.sentiment] + [
            f"{x.topic_id} relevance: {'model' if x.used else 'rules'}" for x in self.relevance
        ]
        return "; ".join(parts) or "no models"


def _in_use(learned: Learned) -> str:
    return "rules calibrated" if learned.calibrated else "model" if learned.used else "rules"


def labels_fingerprint(con: duckdb.DuckDBPyConnection, loaded: LoadedConfig) -> str:
    """Changes when the labels (added only, never changed: their count and newest id), the
    taxonomy, the languages or the learning code change."""
    count, newest = con.execute(
        "SELECT count(*), coalesce(max(label_id), 0) FROM _labels"
    ).fetchall()[0]
    rules = [
        {"id": r.topic_id, "terms": r.terms, "exclude": r.exclude, "query": r.query}
        for r in tagging.topic_rules(loaded)
    ]
    header = {
        "labels": [int(count), int(newest)],
        "topics": rules,
        "languages": list(loaded.config.nlp.languages),
        "code": [sentiment_model.VERSION, relevance.VERSION, calibration.VERSION],
    }
    return hashlib.sha256(json.dumps(header, sort_keys=True).encode()).hexdigest()[:16]


def _state_path(loaded: LoadedConfig) -> Path:
    return loaded.models_path / STATE


def learned_from(loaded: LoadedConfig) -> str | None:
    """The fingerprint of the labels the models in the folder were learned from, if known."""
    try:
        data = json.loads(_state_path(loaded).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(data.get("labels")) if isinstance(data, dict) else None


def learn_all(loaded: LoadedConfig) -> Learning:
    """Learn every language's sentiment and every topic's relevance from the labels; keep the
    models that beat the rules (and remove those that no longer do)."""
    with jobs.warehouse(loaded) as con:  # migrated, taxonomy synced
        labelled = labelled_texts(con)
        fingerprint = labels_fingerprint(con, loaded)
    sentiment = learn_sentiments(loaded, labelled)
    learned = learn_relevances(loaded, labelled)
    folder = loaded.models_path
    folder.mkdir(parents=True, exist_ok=True)
    state = _state_path(loaded)
    tmp = state.with_name(state.name + ".tmp")
    tmp.write_text(json.dumps({"labels": fingerprint}), encoding="utf-8")
    tmp.replace(state)
    return Learning(sentiment, learned, fingerprint)


def relearn_if_labels_changed(loaded: LoadedConfig) -> Learning | None:
    """`learn_all` when the labels changed since the models were learned; None (and no
    work beyond one query) when they did not, or when there are neither labels nor models."""
    with jobs.warehouse(loaded) as con:
        fingerprint = labels_fingerprint(con, loaded)
        labels = con.execute("SELECT count(*) FROM _labels").fetchall()[0][0]
    if fingerprint == learned_from(loaded):
        return None
    folder = loaded.models_path
    if not labels and not (folder.is_dir() and any(folder.glob("*.npz"))):
        return None  # nothing to learn and nothing to take out of use
    return learn_all(loaded)


def learn_sentiments(loaded: LoadedConfig, labelled: Sequence[LabelledText]) -> list[Learned]:
    """Learn each configured language's sentiment from `labelled`; keep the models that beat
    the rules in cross-validation (and remove those that no longer do).

    A label's language is its own, else its post's, else identified from its text. A label
    of a stored post teaches as any other (its text is the post's title and text).
    """
    cfg = loaded.config
    identifier = LanguageIdentifier(tuple(cfg.nlp.languages))
    per_lang: dict[str, list[tuple[str, str]]] = {}
    for label in labelled:
        if label.sentiment is None:
            continue
        lang = label.lang or identifier.identify_tokens(split(label.text)[0]).lang
        per_lang.setdefault(lang, []).append((label.text, label.sentiment))
    lexicons = loaded.lexicons()
    results: list[Learned] = []
    for lang in cfg.nlp.languages:
        scorer = RuleScores(lang, lexicons.get(lang), cfg.nlp.pipelines.get(lang))
        if not scorer.rated:
            continue  # no rules' sentiment for this language: nothing to beat or feed
        pairs = per_lang.get(lang, [])
        texts = [t for t, _ in pairs]
        learned = learn_sentiment(
            lang, texts, [g for _, g in pairs], scorer.scores(texts), code=scorer.code
        )
        keep_model(learned.model, sentiment_model.model_path(loaded.models_path, lang))
        results.append(learned)
    return results


def learn_relevances(
    loaded: LoadedConfig, labelled: Sequence[LabelledText]
) -> list[LearnedRelevance]:
    """A relevance model per configured topic with labels (`relevant` true/false).

    Each labelled text's matched terms come from the taxonomy's rules, in the text's language
    (the label's, its post's, else identified), as the Enricher would find them.
    """
    cfg = loaded.config
    per_topic: dict[str, list[LabelledText]] = {}
    for label in labelled:
        if label.topic_id is not None and label.relevant is not None:
            per_topic.setdefault(label.topic_id, []).append(label)
    results: list[LearnedRelevance] = []
    folder = loaded.models_path
    rules_only: Enricher | None = None  # built once, only when some topic has labels
    identifier = LanguageIdentifier(tuple(cfg.nlp.languages))
    for topic_id in (t.id for t in cfg.topics):
        path = relevance.model_path(folder, topic_id)
        labels = per_topic.get(topic_id, [])
        if not labels:
            remove_model(path)
            continue
        if rules_only is None:
            rules_only = tagging.build_enricher(loaded, with_models=False)
        langs = [
            label.lang or identifier.identify_tokens(split(label.text)[0]).lang for label in labels
        ]
        tags = rules_only.tag_topics(
            (str(n), label.text, lang)
            for n, (label, lang) in enumerate(zip(labels, langs, strict=True))
        )
        terms = [
            tuple(t for m in tag.topics if m.topic_id == topic_id for t in m.matched_terms)
            for tag in tags
        ]
        learned = learn_relevance(
            topic_id,
            [label.text for label in labels],
            [bool(label.relevant) for label in labels],
            terms,
            code=rules_only.topics_version,
        )
        keep_model(learned.model, path)
        results.append(learned)
    return results


def sentiment_report(learned: Learned) -> str:
    """One language's figures: the rules and the models side by side, and the verdict."""
    return _report(
        f"{learned.lang} sentiment",
        learned.counts,
        sentiment_model.LABELS,
        learned.needs,
        [
            ("rules", learned.rules),
            (f"model ({sentiment_learning.FOLDS}-fold CV)", learned.model_cv),
            (f"rules calibrated ({sentiment_learning.FOLDS}-fold CV)", learned.calibrated_cv),
        ],
        learned.model.identity if learned.model is not None else None,
        learned.seconds,
        stays="the rules stay",
        least=sentiment_learning.MIN_PER_CLASS,
        widths=(30, 10),
        in_use="the rules calibrated in use" if learned.calibrated else "model in use",
    )


def relevance_report(learned: LearnedRelevance) -> str:
    """One topic's figures: the rules and the model side by side, and the verdict."""
    return _report(
        f"topic {learned.topic_id} relevance",
        learned.counts,
        relevance.CLASSES,
        learned.needs,
        [
            ("rules (every match relevant)", learned.rules),
            (f"model ({sentiment_learning.FOLDS}-fold CV)", learned.model_cv),
        ],
        learned.model.identity if learned.model is not None else None,
        learned.seconds,
        stays="every match stays relevant",
        least=relevance.MIN_PER_CLASS,
        widths=(30, 14),
    )


def _report(
    title: str,
    counts: dict[str, int],
    classes: Sequence[str],
    needs: dict[str, int],
    rows: list[tuple[str, Figures | None]],
    identity: str | None,
    seconds: float,
    *,
    stays: str,
    least: int,
    widths: tuple[int, int],
    in_use: str = "model in use",
) -> str:
    """A model's report: labels per class, what is missing, the figures table, the verdict
    (`in_use`, with the identity, when a model is in use)."""
    name_width, class_width = widths
    total = sum(counts.values())
    lines = [f"{title}: {total} label(s) (" + ", ".join(f"{counts[c]} {c}" for c in classes) + ")"]
    if needs:
        more = ", ".join(f"{n} more {c}" for c, n in needs.items())
        lines.append(
            f"  too few labels to learn from: needs {more} (at least {least} of each class); "
            f"{stays}"
            if identity is None
            else f"  too few labels for an n-gram model: needs {more} (at least {least} of each)"
        )
    shown = [(name, figures) for name, figures in rows if figures is not None]
    if shown and total:
        lines.append(
            f"  {'':<{name_width}}{'macro-F1':>9}{'micro-F1':>9}"
            + "".join(f"{c:>{class_width}}" for c in classes)
        )
        for name, figures in shown:
            per = "".join(f"{figures.per_class[c]:>{class_width}.3f}" for c in classes)
            lines.append(
                f"  {name:<{name_width}}{figures.macro_f1:>9.3f}{figures.micro_f1:>9.3f}{per}"
            )
    if any(figures is not None for _, figures in rows[1:]):  # a model was cross-validated
        verdict = (
            f"{in_use} ({identity})"
            if identity is not None
            else f"the model does not beat the rules: {stays}"
        )
        lines.append(f"  {verdict}; learned in {seconds:.1f} s")
    return "\n".join(lines)
