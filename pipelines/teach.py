"""`earshot labels next`: the teach queue for the configured languages' rules and models."""

from __future__ import annotations

from collections.abc import Sequence

from earshot.nlp.judging import JudgeSettings, build_judge
from earshot.nlp.teach import Judge
from earshot.pipelines.config import LoadedConfig
from earshot.warehouse.labels import LabelledText, labelled_texts
from earshot.warehouse.teach import RelevanceLabels, TeachItem, queue_inputs, rank, relevance_labels


def judge_settings(loaded: LoadedConfig) -> JudgeSettings:
    """The config's languages, lexicons, trained pipelines and models folder, as plain values
    (what Explore's settings carry too, so its teach page judges as this command does)."""
    cfg = loaded.config
    return JudgeSettings(
        languages=tuple(cfg.nlp.languages),
        models_folder=loaded.models_path,
        topics=tuple(t.id for t in cfg.topics),
        lexicons=loaded.lexicons(),
        pipelines=dict(cfg.nlp.pipelines),
    )


def judge(
    loaded: LoadedConfig,
    labelled: Sequence[LabelledText],
    relevance: dict[str, RelevanceLabels] | None = None,
) -> Judge:
    """The rules of every configured language, the models `earshot learn` left, and the
    labels (sentiment per language, as `earshot learn` reads them; relevance per topic) for
    provisional models."""
    return build_judge(judge_settings(loaded), labelled, relevance_labelled=relevance)


def next_to_label(loaded: LoadedConfig, n: int) -> list[TeachItem]:
    """The `n` stored posts whose label would teach the models most (sentiment, and
    relevance for the topics with a relevance model or enough labels for a provisional one).

    The labels, then the candidates and the label counts, are read under the writer lock
    (labels just imported count); the judge is built and judges them outside it
    (`warehouse.teach.teach_queue` is these same steps on one connection).
    """
    from earshot.pipelines.jobs import warehouse, write_session

    with warehouse(loaded):  # migrated: the labels table exists
        pass
    with write_session(loaded) as con:
        labelled = labelled_texts(con)
        relevance = relevance_labels(con)
    judged = judge(loaded, labelled, relevance)
    with write_session(loaded) as con:
        found, counts, matches = queue_inputs(con, judged)
    return rank(found, judged, counts, n, matches)
