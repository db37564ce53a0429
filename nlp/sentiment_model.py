"""The stored sentiment model: a trained model as plain data and its numpy prediction
(`SentimentModel`), its files, and its identity.

What is stored is data: the coefficients, intercepts, IDF weights as a numpy `.npz` (read
with `allow_pickle=False`) and the vocabulary and settings as JSON. Prediction
(`SentimentModel.predict`) reproduces the transform from them with numpy alone, so loading a
model file can never run code, and no scikit-learn object is ever pickled. Training is
`nlp.learn`'s.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from earshot.nlp.batch_columns import BatchColumns
from earshot.nlp.errors import NlpError
from earshot.nlp.ngram_features import FeatureSettings, char_grams, words_of

VERSION = "1"  # bump when the features or the prediction change: it is part of a model's identity
FORMAT = "earshot-sentiment-model/1"
LABELS = ("negative", "neutral", "positive")


class ModelError(NlpError):
    """A model file that cannot be used: `str(exc)` is "<file>: <what is wrong>"."""


class SentimentPredictor(Protocol):
    """A language's sentiment model in use: the n-gram `SentimentModel`, or the rules
    calibrated (`nlp.calibration.CalibratedModel`), whichever won the cross-validation."""

    @property
    def lang(self) -> str: ...
    @property
    def classes(self) -> tuple[str, ...]: ...
    @property
    def identity(self) -> str: ...
    @property
    def info(self) -> dict[str, Any]: ...

    def probabilities(
        self, texts: Sequence[str], lexicon_scores: Sequence[float]
    ) -> np.ndarray: ...

    def predict(
        self, texts: Sequence[str], lexicon_scores: Sequence[float]
    ) -> list[tuple[float, str]]: ...

    def save(self, npz_path: Path) -> None: ...


def scored_labels(probs: np.ndarray, classes: Sequence[str]) -> list[tuple[float, str]]:
    """(score in [-1, 1] = P(positive) - P(negative), likeliest class) per row of `probs`
    (n_texts, n_classes), the columns in the order of `classes`."""
    pos = classes.index("positive")
    neg = classes.index("negative")
    return [(round(float(p[pos] - p[neg]), 4), classes[int(p.argmax())]) for p in probs]


@dataclass(frozen=True, slots=True)
class SentimentModel:
    """A trained sentiment model as plain data, and the numpy prediction over it."""

    lang: str
    classes: tuple[str, ...]
    vocabulary: tuple[str, ...]  # feature name per column of the TF-IDF part
    idf: np.ndarray  # (n_vocabulary,)
    coef: np.ndarray  # (n_classes, n_vocabulary + 1): the last column weighs the lexicon score
    intercept: np.ndarray  # (n_classes,)
    settings: FeatureSettings
    identity: str
    info: dict[str, Any] = field(default_factory=dict)  # labels, figures, when: for people
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _word_memo: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)
    _coef_t: np.ndarray = field(init=False, compare=False, repr=False)  # vocabulary x classes
    _batch: BatchColumns | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update((name, i) for i, name in enumerate(self.vocabulary))
        object.__setattr__(self, "_coef_t", np.ascontiguousarray(self.coef[:, :-1].T))
        lo, hi = self.settings.word_ngrams
        if lo <= 1 and hi <= 2:  # the default: whole batches in numpy (`BatchColumns`)
            object.__setattr__(self, "_batch", BatchColumns(self))

    def _grams(self, word: str) -> tuple[int, ...]:
        """The vocabulary columns of a word's unigram and character n-grams."""
        lo, hi = self.settings.word_ngrams
        clo, chi = self.settings.char_ngrams
        grams = ["w:" + word] if lo <= 1 <= hi else []
        grams.extend(char_grams(word, clo, chi))
        index = self._index
        return tuple(index[g] for g in grams if g in index)

    def _columns(self, text: str) -> list[int]:
        """The vocabulary columns of a text's features, one per occurrence."""
        index, memo = self._index, self._word_memo
        words = words_of(text)
        lo, hi = self.settings.word_ngrams
        columns: list[int] = []
        for n in range(lo, hi + 1):
            if n == 1:
                continue  # unigrams come with the word's memo below
            for i in range(len(words) - n + 1):
                found = index.get("w:" + " ".join(words[i : i + n]))
                if found is not None:
                    columns.append(found)
        for word in words:
            known = memo.get(word)
            if known is None:
                known = self._grams(word)
                if len(memo) > 200_000:
                    memo.clear()
                memo[word] = known
            columns.extend(known)
        return columns

    def _occurrences(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every feature occurrence of the texts: rows index `texts`."""
        if self._batch is not None:
            found = self._batch.occurrences(texts)
            if found is not None:
                return found
        occurrences: list[int] = []
        ends: list[int] = []
        for text in texts:
            occurrences.extend(self._columns(text))
            ends.append(len(occurrences))
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(np.asarray([0, *ends])))
        return rows, np.asarray(occurrences, dtype=np.int64)

    def probabilities(self, texts: Sequence[str], lexicon_scores: Sequence[float]) -> np.ndarray:
        """(n_texts, n_classes) class probabilities, as the trained regression gives them.

        The batch at once: the texts' words are found in one pass over the batch and their
        feature columns gathered with numpy (see `BatchColumns`), and everything after is a
        handful of numpy calls over the whole batch.
        """
        n = len(texts)
        rows, occurrences = self._occurrences(texts)
        width = len(self.vocabulary)
        keys, tf = np.unique(rows * width + occurrences, return_counts=True)
        row, col = keys // width, keys % width
        weights = (1.0 + np.log(tf)) * self.idf[col]
        norms = np.sqrt(np.bincount(row, weights=weights * weights, minlength=n))
        norms[norms == 0.0] = 1.0
        weights /= norms[row]
        scores = np.asarray(lexicon_scores, dtype=np.float64) * self.settings.lexicon_weight
        out = np.outer(scores, self.coef[:, -1]) + self.intercept
        coef_t = self._coef_t
        for k in range(len(self.classes)):
            out[:, k] += np.bincount(row, weights=weights * coef_t[col, k], minlength=n)
        out -= out.max(axis=1, keepdims=True)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def predict(
        self, texts: Sequence[str], lexicon_scores: Sequence[float]
    ) -> list[tuple[float, str]]:
        """(score in [-1, 1] = P(positive) - P(negative), label) per text."""
        return scored_labels(self.probabilities(texts, lexicon_scores), self.classes)

    # -- files ---------------------------------------------------------------------------
    def save(
        self, npz_path: Path, *, fmt: str = FORMAT, extra: Mapping[str, Any] | None = None
    ) -> None:
        """Write `<name>.npz` (arrays) and `<name>.json` (vocabulary, settings) beside it;
        `fmt` and `extra` (more description fields) for the relevance models that wrap one.

        Written to temporary names and renamed, the JSON last: a reader sees the old model
        or the new one.
        """
        npz_path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": fmt,
            "lang": self.lang,
            "classes": list(self.classes),
            "settings": self.settings.to_json(),
            "identity": self.identity,
            "info": self.info,
            "vocabulary": list(self.vocabulary),
            **(extra or {}),
        }
        tmp_npz = npz_path.with_name(npz_path.name + ".tmp.npz")
        with tmp_npz.open("wb") as handle:
            np.savez(handle, idf=self.idf, coef=self.coef, intercept=self.intercept)
        json_path = npz_path.with_suffix(".json")
        tmp_json = json_path.with_name(json_path.name + ".tmp")
        tmp_json.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        tmp_npz.replace(npz_path)
        tmp_json.replace(json_path)


def model_path(folder: Path, lang: str) -> Path:
    """Where the sentiment model of `lang` lives in a models folder."""
    return folder / f"sentiment-{lang}.npz"


def load_model(npz_path: Path) -> SentimentPredictor:
    """Read a model saved by `SentimentModel.save` or `CalibratedModel.save` (its `.json`
    says which); `ModelError` for anything else."""
    from earshot.nlp import calibration

    try:
        meta = json.loads(npz_path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None  # `read_model` says what is wrong with it
    if isinstance(meta, dict) and meta.get("format") == calibration.FORMAT:
        return calibration.read(npz_path, meta)
    return read_model(npz_path, fmt=FORMAT, what="sentiment", classes=LABELS)[1]


def read_model(
    npz_path: Path, *, fmt: str, what: str, classes: Sequence[str]
) -> tuple[dict[str, Any], SentimentModel]:
    """Read a model's `.json` description and `.npz` arrays, checked against each other: (the
    description, the model). Sentiment and relevance models share this reader.

    The arrays are read with `allow_pickle=False`: a file holding pickled objects is refused
    before any of it is unpickled.
    """
    json_path = npz_path.with_suffix(".json")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{json_path}: not a readable model description: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise ModelError(f"{json_path}: not an Earshot {what} model ({fmt})")
    try:
        with np.load(npz_path, allow_pickle=False) as arrays:
            idf, coef, intercept = (np.array(arrays[k]) for k in ("idf", "coef", "intercept"))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(
            f"{npz_path}: not a model's arrays (plain .npz, no pickles): {exc}"
        ) from None
    found = tuple(str(c) for c in meta["classes"])
    vocabulary = tuple(str(v) for v in meta["vocabulary"])
    n = len(vocabulary)
    if (
        any(a.dtype != np.float64 for a in (idf, coef, intercept))
        or idf.shape != (n,)
        or coef.shape != (len(found), n + 1)
        or intercept.shape != (len(found),)
        or set(found) != set(classes)
    ):
        raise ModelError(f"{npz_path}: arrays do not fit the model's description")
    model = SentimentModel(
        lang=str(meta.get("lang", "")),
        classes=found,
        vocabulary=vocabulary,
        idf=idf,
        coef=coef,
        intercept=intercept,
        settings=FeatureSettings.from_json(meta["settings"]),
        identity=str(meta["identity"]),
        info=dict(meta.get("info") or {}),
    )
    return meta, model


def model_identity(
    lang: str, texts: Sequence[str], labels: Sequence[str], settings: FeatureSettings, code: str
) -> str:
    """A hash of the labels, the settings and the code version: the model's identity."""
    digest = hashlib.sha256()
    header = {"lang": lang, "settings": settings.to_json(), "code": code, "version": VERSION}
    digest.update(json.dumps(header, sort_keys=True).encode())
    for text, label in sorted(zip(texts, labels, strict=True)):
        digest.update(f"{len(text)}:{text}{label}\0".encode())
    return digest.hexdigest()[:16]
