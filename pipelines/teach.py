"""`earshot labels next`: the teach queue for the configured languages' rules and models."""

from __future__ import annotations

from collections.abc import Sequence

from earshot.nlp.language import LanguageIdentifier
from earshot.nlp.learn import RuleScores, load_model
from earshot.nlp.teach import Judge
from earshot.nlp.tokenizer import split
from earshot.pipelines.config import LoadedConfig
from earshot.pipelines.jobs import learned_models, warehouse, write_session
from earshot.warehouse.labels import LabelledText, labelled_texts
from earshot.warehouse.teach import TeachItem, candidates, labelled_counts, rank


def judge(loaded: LoadedConfig, labelled: Sequence[LabelledText]) -> Judge:
    """The rules of every configured language, the models `earshot learn` left, and the
    sentiment labels (per language, as `earshot learn` reads them) for provisional models."""
    cfg = loaded.config
    identifier = LanguageIdentifier(tuple(cfg.nlp.languages))
    taught: dict[str, tuple[list[str], list[str]]] = {}
    for label in labelled:
        if label.sentiment is not None:
            lang = label.lang or identifier.identify_tokens(split(label.text)[0]).lang
            texts, labels = taught.setdefault(lang, ([], []))
            texts.append(label.text)
            labels.append(label.sentiment)
    lexicons = loaded.lexicons()
    rules = {
        lang: RuleScores(lang, lexicons.get(lang), cfg.nlp.pipelines.get(lang))
        for lang in cfg.nlp.languages
    }
    models = {lang: load_model(path) for lang, path in learned_models(loaded).items()}
    return Judge(rules, models, taught)


def next_to_label(loaded: LoadedConfig, n: int) -> list[TeachItem]:
    """The `n` stored posts whose sentiment label would teach the models most.

    The candidates and the label counts are read under the writer lock (labels just
    imported count); the rules and models judge them after it is released.
    """
    with warehouse(loaded):  # migrated: the labels table exists
        pass
    with write_session(loaded) as con:
        found = candidates(con)
        counts = labelled_counts(con)
        labelled = labelled_texts(con)
    return rank(found, judge(loaded, labelled), counts, n)
