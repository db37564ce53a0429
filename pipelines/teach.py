"""`earshot labels next`: the teach queue for the configured languages' rules and models."""

from __future__ import annotations

from collections.abc import Sequence

from earshot.nlp.teach import Judge, JudgeSettings, build_judge
from earshot.pipelines.config import LoadedConfig
from earshot.warehouse.labels import LabelledText, labelled_texts
from earshot.warehouse.teach import TeachItem, candidates, labelled_counts, rank


def judge_settings(loaded: LoadedConfig) -> JudgeSettings:
    """The config's languages, lexicons, trained pipelines and models folder, as plain values
    (what Explore's settings carry too, so its teach page judges as this command does)."""
    cfg = loaded.config
    return JudgeSettings(
        languages=tuple(cfg.nlp.languages),
        models_folder=loaded.models_path,
        lexicons=loaded.lexicons(),
        pipelines=dict(cfg.nlp.pipelines),
    )


def judge(loaded: LoadedConfig, labelled: Sequence[LabelledText]) -> Judge:
    """The rules of every configured language, the models `earshot learn` left, and the
    sentiment labels (per language, as `earshot learn` reads them) for provisional models."""
    return build_judge(judge_settings(loaded), labelled)


def next_to_label(loaded: LoadedConfig, n: int) -> list[TeachItem]:
    """The `n` stored posts whose sentiment label would teach the models most.

    The candidates and the label counts are read under the writer lock (labels just
    imported count); the rules and models judge them after it is released
    (`warehouse.teach.teach_queue` is these same two steps on one connection).
    """
    from earshot.pipelines.jobs import warehouse, write_session

    with warehouse(loaded):  # migrated: the labels table exists
        pass
    with write_session(loaded) as con:
        found = candidates(con)
        counts = labelled_counts(con)
        labelled = labelled_texts(con)
    return rank(found, judge(loaded, labelled), counts, n)
