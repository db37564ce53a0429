"""`earshot labels next`: the teach queue for the configured languages' rules and models."""

from __future__ import annotations

from earshot.nlp.learn import RuleScores, load_model
from earshot.nlp.teach import Judge
from earshot.pipelines.config import LoadedConfig
from earshot.pipelines.jobs import learned_models, warehouse, write_session
from earshot.warehouse.teach import TeachItem, candidates, labelled_counts, rank


def judge(loaded: LoadedConfig) -> Judge:
    """The rules of every configured language and the models `earshot learn` left."""
    cfg = loaded.config
    lexicons = loaded.lexicons()
    rules = {
        lang: RuleScores(lang, lexicons.get(lang), cfg.nlp.pipelines.get(lang))
        for lang in cfg.nlp.languages
    }
    models = {lang: load_model(path) for lang, path in learned_models(loaded).items()}
    return Judge(rules, models)


def next_to_label(loaded: LoadedConfig, n: int) -> list[TeachItem]:
    """The `n` stored posts whose sentiment label would teach the models most.

    The candidates and the label counts are read under the writer lock (labels just
    imported count); the rules and models judge them after it is released.
    """
    with warehouse(loaded):  # migrated: the labels table exists
        pass
    with write_session(loaded) as con:
        found = candidates(con)
        labelled = labelled_counts(con)
    return rank(found, judge(loaded), labelled, n)
