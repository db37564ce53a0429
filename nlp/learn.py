"""Learned sentiment: a model per language trained on the organisation's labels.

scikit-learn trains it (word and character n-gram TF-IDF plus the lexicon score, into a
multinomial logistic regression) and cross-validates it against the rules on the same labels,
beside the rules calibrated (`nlp.calibration`, a handful of weights over the rules' features).
A model is kept only where it beats the rules; of the two, the better in cross-validation.
What is stored is data: the coefficients, intercepts, IDF weights as a numpy `.npz` (read
with `allow_pickle=False`) and the vocabulary and settings as JSON. Prediction
(`SentimentModel.predict`) reproduces the transform from them with numpy alone, so loading a
model file can never run code, and no scikit-learn object is ever pickled.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import zipfile
from array import array
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from earshot.nlp.errors import NlpError

VERSION = "1"  # bump when the features or the prediction change: it is part of a model's identity
FORMAT = "earshot-sentiment-model/1"
LABELS = ("negative", "neutral", "positive")
MIN_PER_CLASS = 20  # labels of each class below which no model is trained
FOLDS = 5
_WORD = re.compile(r"\w+|[!?]", re.UNICODE)


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


@dataclass(frozen=True, slots=True)
class FeatureSettings:
    """How texts become features and how hard the regression is regularised."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)  # within words padded by a space (char_wb)
    min_df: int = 2  # features in fewer training texts are left out
    lexicon_weight: float = 1.0  # scale of the rules' score as an extra feature (0: none)
    c: float = 10.0  # inverse regularisation strength
    class_weight: str | None = "balanced"
    tol: float = 1e-3  # the solver's stopping tolerance

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSettings:
        return cls(
            word_ngrams=(int(data["word_ngrams"][0]), int(data["word_ngrams"][1])),
            char_ngrams=(int(data["char_ngrams"][0]), int(data["char_ngrams"][1])),
            min_df=int(data["min_df"]),
            lexicon_weight=float(data["lexicon_weight"]),
            c=float(data["c"]),
            class_weight=data.get("class_weight"),
            tol=float(data.get("tol", 1e-3)),
        )


def scored_labels(probs: np.ndarray, classes: Sequence[str]) -> list[tuple[float, str]]:
    """(score in [-1, 1] = P(positive) - P(negative), likeliest class) per row of `probs`
    (n_texts, n_classes), the columns in the order of `classes`."""
    pos = classes.index("positive")
    neg = classes.index("negative")
    return [(round(float(p[pos] - p[neg]), 4), classes[int(p.argmax())]) for p in probs]


def words_of(text: str) -> list[str]:
    """The lowercased words (and "!", "?") a text's features are made of."""
    return _WORD.findall(text.lower())


def char_grams(word: str, lo: int, hi: int) -> list[str]:
    """Character n-grams of a word padded with a space on each side (as sklearn's char_wb)."""
    padded = f" {word} "
    return [
        "c:" + padded[i : i + n]
        for n in range(lo, hi + 1)
        for i in range(max(len(padded) - n + 1, 1) if n <= len(padded) else 0)
    ]


def analyse(text: str, settings: FeatureSettings) -> list[str]:
    """A text's feature names: word n-grams ("w:..."), character n-grams of words ("c:...")."""
    words = words_of(text)
    lo, hi = settings.word_ngrams
    features = [
        "w:" + " ".join(words[i : i + n])
        for n in range(lo, hi + 1)
        for i in range(len(words) - n + 1)
    ]
    clo, chi = settings.char_ngrams
    for word in words:
        features.extend(char_grams(word, clo, chi))
    return features


@dataclass(frozen=True, slots=True)
class Figures:
    """Macro-F1, micro-F1 and F1 per class of predictions against the labels."""

    macro_f1: float
    micro_f1: float
    per_class: dict[str, float]

    @classmethod
    def of(cls, gold: Sequence[str], predicted: Sequence[str]) -> Figures:
        per_class: dict[str, float] = {}
        for label in LABELS:
            tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
            fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label != g)
            fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label != p)
            per_class[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        micro = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / max(len(gold), 1)
        return cls(sum(per_class.values()) / len(LABELS), micro, per_class)

    def beats(self, other: Figures) -> bool:
        """Better macro-F1 and no worse micro-F1: never silently worse on either."""
        return self.macro_f1 > other.macro_f1 and self.micro_f1 >= other.micro_f1


_SEPARATOR = "\x00"  # between the texts of a batch, found as a token of its own
_BATCH_TOKEN = re.compile(r"\w+|[!?]|\x00", re.UNICODE)


class _BatchColumns:
    """A batch's feature columns without a Python step per feature: one regex pass over the
    batch's texts joined, one dict lookup per word (a slot: its unigram and character n-gram
    columns, its id among the words of bigram features), then numpy gathers the columns and
    finds the bigrams as pairs of word ids in a sorted array.

    Profiled in `enrich` with a model (tweets, 20,000 posts): the per-feature lookups of the
    text-by-text path were most of the model's cost per post.
    """

    _MEMO_LIMIT = 200_000  # distinct words remembered; then forgotten and found again

    def __init__(self, model: SentimentModel) -> None:
        self.model = model
        pair_words: dict[str, int] = {}
        keys: list[tuple[str, str, int]] = []
        for name, column in model._index.items():
            if name.startswith("w:") and " " in name:
                first, second = name[2:].split(" ", 1)
                keys.append((first, second, column))
                for word in (first, second):
                    pair_words.setdefault(word, len(pair_words))
        self.pair_words = pair_words
        self.width = np.int64(len(pair_words) + 1)
        pair_keys = np.asarray(
            [pair_words[a] * self.width + pair_words[b] for a, b, _ in keys], dtype=np.int64
        )
        order = np.argsort(pair_keys, kind="stable")
        self.pair_keys = pair_keys[order]
        self.pair_columns = np.asarray([c for _, _, c in keys], dtype=np.int64)[order]
        self._reset()

    def _reset(self) -> None:
        # typed arrays, not lists of ints: compact, and nothing for the garbage collector
        # to walk through on every full collection of a long enrich run
        self.slots: dict[str, int] = {_SEPARATOR: 0}
        self.slot_pair = array("q", [-1])  # the word's id among bigram words, -1: in none
        self.slot_start = array("q", [0])
        self.slot_length = array("q", [0])
        self.columns = array("q")
        self._arrays: tuple[np.ndarray, ...] | None = None

    def _add(self, word: str) -> int:
        found = self.model._grams(word)
        slot = self.slots[word] = len(self.slot_pair)
        self.slot_pair.append(self.pair_words.get(word, -1))
        self.slot_start.append(len(self.columns))
        self.slot_length.append(len(found))
        self.columns.extend(found)
        self._arrays = None
        return slot

    def occurrences(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """(row, column) per feature occurrence; None when a text holds the separator."""
        joined = _SEPARATOR.join(texts).lower()
        if joined.count(_SEPARATOR) != max(len(texts) - 1, 0):
            return None
        tokens = _BATCH_TOKEN.findall(joined)
        if len(self.slots) + len(tokens) > self._MEMO_LIMIT:
            self._reset()
        slots = np.fromiter(map(self.slots.get, tokens, repeat(-1)), np.int64, len(tokens))
        for position in np.flatnonzero(slots < 0).tolist():
            word = tokens[position]
            known = self.slots.get(word)  # a new word seen twice in the batch
            slots[position] = known if known is not None else self._add(word)
        if self._arrays is None:
            self._arrays = tuple(
                np.array(a, dtype=np.int64)
                for a in (self.slot_pair, self.slot_start, self.slot_length, self.columns)
            )
        slot_pair, slot_start, slot_length, columns = self._arrays
        rows = np.cumsum(slots == 0)  # the separator's slot is 0: each one starts a text
        # a word's columns: the ranges slot_start[s] : slot_start[s] + slot_length[s]
        lengths = slot_length[slots]
        total = int(lengths.sum())
        ends = np.cumsum(lengths)
        offsets = np.repeat(slot_start[slots] - (ends - lengths), lengths)
        word_columns = columns[offsets + np.arange(total, dtype=np.int64)]
        word_rows = np.repeat(rows, lengths)
        # bigrams: neighbouring tokens both among the bigram words (a separator is in none)
        pair = slot_pair[slots]
        both = np.flatnonzero((pair[:-1] >= 0) & (pair[1:] >= 0))
        keys = pair[both] * self.width + pair[both + 1]
        at = np.searchsorted(self.pair_keys, keys)
        at[at == len(self.pair_keys)] = 0
        hit = self.pair_keys[at] == keys if len(self.pair_keys) else np.zeros(0, dtype=bool)
        pair_rows = rows[both[hit]]
        return (
            np.concatenate([pair_rows, word_rows]),
            np.concatenate([self.pair_columns[at[hit]], word_columns]),
        )


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
    _batch: _BatchColumns | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update((name, i) for i, name in enumerate(self.vocabulary))
        object.__setattr__(self, "_coef_t", np.ascontiguousarray(self.coef[:, :-1].T))
        lo, hi = self.settings.word_ngrams
        if lo <= 1 and hi <= 2:  # the default: whole batches in numpy (`_BatchColumns`)
            object.__setattr__(self, "_batch", _BatchColumns(self))

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
        feature columns gathered with numpy (see `_BatchColumns`), and everything after is a
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


# -- training (scikit-learn) ---------------------------------------------------------------


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


class Features:
    """The training side of the transform: texts to a TF-IDF matrix, built with sparse
    products (the counts of a text's character n-grams are its word counts times each
    distinct word's n-gram counts), so 10,000 texts take seconds, not minutes.

    The same figures as `SentimentModel.probabilities` computes text by text: sublinear term
    frequency (1 + ln tf), smoothed IDF (ln((1 + n) / (1 + df)) + 1), rows scaled to unit
    length, then the lexicon score as one more column.
    """

    def __init__(self, settings: FeatureSettings) -> None:
        self.settings = settings
        self.vocabulary: list[str] = []
        self.idf = np.zeros(0)
        self.kept = np.zeros(0, dtype=np.intp)
        self._index: dict[str, int] = {}  # vocabulary -> column, made by `transform` once

    def _counts(self, texts: Sequence[str], index: dict[str, int], grow: bool) -> Any:
        """Feature counts (texts x len(index)); new features enter `index` when `grow`."""
        from scipy import sparse

        settings = self.settings
        lo, hi = settings.word_ngrams
        clo, chi = settings.char_ngrams
        word_ids: dict[str, int] = {}
        doc_rows: list[int] = []
        doc_words: list[int] = []
        gram_rows: list[int] = []
        gram_cols: list[int] = []

        def feature(name: str) -> int | None:
            found = index.get(name)
            if found is None and grow:
                found = index[name] = len(index)
            return found

        for row, text in enumerate(texts):
            words = words_of(text)
            for word in words:
                wid = word_ids.get(word)
                if wid is None:
                    wid = word_ids[word] = len(word_ids)
                doc_rows.append(row)
                doc_words.append(wid)
            for n in range(max(lo, 2), hi + 1):
                for i in range(len(words) - n + 1):
                    found = feature("w:" + " ".join(words[i : i + n]))
                    if found is not None:
                        gram_rows.append(row)
                        gram_cols.append(found)
        word_rows: list[int] = []
        word_cols: list[int] = []
        for word, wid in word_ids.items():
            names = ["w:" + word] if lo <= 1 <= hi else []
            names.extend(char_grams(word, clo, chi))
            for name in names:
                found = feature(name)
                if found is not None:
                    word_rows.append(wid)
                    word_cols.append(found)
        shape = len(index)
        ones = np.ones
        per_doc = sparse.csr_matrix(
            (ones(len(doc_rows)), (doc_rows, doc_words)), shape=(len(texts), len(word_ids))
        )
        per_word = sparse.csr_matrix(
            (ones(len(word_rows)), (word_rows, word_cols)), shape=(len(word_ids), shape)
        )
        grams = sparse.csr_matrix(
            (ones(len(gram_rows)), (gram_rows, gram_cols)), shape=(len(texts), shape)
        )
        return (per_doc @ per_word + grams).tocsr()

    def weigh(self, counts: Any, lexicon_scores: Sequence[float], dtype: type = np.float64) -> Any:
        """TF-IDF rows of these counts plus the lexicon column, as `dtype` (training: float32).

        On the arrays of the sparse matrix, as `SentimentModel.probabilities` computes them
        (scipy's products with diagonal matrices took 0.6 s a fold on 10,000 labels).
        """
        from scipy import sparse

        counts = counts.tocsr()
        n, width = counts.shape
        lengths = np.diff(counts.indptr)
        rows = np.repeat(np.arange(n), lengths)
        data = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
        norms[norms == 0.0] = 1.0
        data /= norms[rows]
        # every row gets one more entry, last: the lexicon score in column `width`
        indptr = np.concatenate([[0], np.cumsum(lengths + 1)])
        last = indptr[1:] - 1
        features = np.ones(int(indptr[-1]), dtype=bool)
        features[last] = False
        values: np.ndarray = np.empty(int(indptr[-1]), dtype=dtype)
        columns = np.empty(int(indptr[-1]), dtype=np.int32)
        values[features], columns[features] = data, counts.indices
        lexicon = np.asarray(lexicon_scores, dtype=np.float64) * self.settings.lexicon_weight
        values[last], columns[last] = lexicon, width
        return sparse.csr_matrix((values, columns, indptr), shape=(n, width + 1))

    def count(self, texts: Sequence[str]) -> tuple[Any, list[str]]:
        """(feature counts of every text, the feature names): what `fit_counts` takes."""
        index: dict[str, int] = {}
        counts = self._counts(texts, index, grow=True)
        names = [""] * len(index)
        for name, i in index.items():
            names[i] = name
        return counts, names

    def fit_counts(self, counts: Any, names: Sequence[str], lexicon_scores: Sequence[float]) -> Any:
        """Keep the features of at least `min_df` texts, weigh them: the training matrix.

        Counting once and fitting on rows of it is the same as fitting on those texts alone
        (cross-validation counts the texts once for all its folds).
        """
        df = np.bincount(counts.indices, minlength=counts.shape[1])  # counts hold no zeros
        keep = np.flatnonzero(df >= self.settings.min_df)
        self.kept = keep  # the columns of `counts` that are features
        self.vocabulary = [names[int(i)] for i in keep]
        self._index = {}
        self.idf = np.log((1.0 + counts.shape[0]) / (1.0 + df[keep])) + 1.0
        # float32: the solver's products over the matrix are most of training's time, and
        # halve with it (10,000 labels: 6 s -> 2.4 s a fit), at no cost in CV figures
        return self.weigh(counts[:, keep], lexicon_scores, np.float32)

    def fit_transform(self, texts: Sequence[str], lexicon_scores: Sequence[float]) -> Any:
        counts, names = self.count(texts)
        return self.fit_counts(counts, names, lexicon_scores)

    def transform(self, texts: Sequence[str], lexicon_scores: Sequence[float]) -> Any:
        if not self._index and self.vocabulary:  # once: a text at a time stays cheap
            self._index = {name: i for i, name in enumerate(self.vocabulary)}
        return self.weigh(self._counts(texts, self._index, grow=False), lexicon_scores)


def fit(
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    settings: FeatureSettings,
    *,
    identity: str = "",
    counted: tuple[Any, Sequence[str]] | None = None,
) -> tuple[SentimentModel, Any]:
    """Train on all of the texts; (the stored model, the in-memory (features, regression)).

    `counted`: the texts' `Features.count`, when already made. The second part of the result
    is only for tests; it is never saved.
    """
    from sklearn.linear_model import LogisticRegression

    features = Features(settings)
    counts, names = counted if counted is not None else features.count(texts)
    x = features.fit_counts(counts, names, lexicon_scores)
    regression = LogisticRegression(
        C=settings.c,
        max_iter=500,
        class_weight=settings.class_weight,
        solver="newton-cg",
        tol=settings.tol,
    )
    regression.fit(x, list(labels))
    model = SentimentModel(
        lang=lang,
        classes=tuple(str(c) for c in regression.classes_),
        vocabulary=tuple(features.vocabulary),
        idf=np.asarray(features.idf, dtype=np.float64),
        coef=np.asarray(regression.coef_, dtype=np.float64),
        intercept=np.asarray(regression.intercept_, dtype=np.float64),
        settings=settings,
        identity=identity,
    )
    return model, (features, regression)


def sklearn_probabilities(
    fitted: Any, texts: Sequence[str], lexicon_scores: Sequence[float]
) -> np.ndarray:
    """The in-memory scikit-learn regression's probabilities (what a stored model must equal)."""
    features, regression = fitted
    return np.asarray(regression.predict_proba(features.transform(texts, lexicon_scores)))


@dataclass(frozen=True, slots=True)
class Learned:
    """What learning one language's sentiment gave: the figures, and the model if it is used."""

    lang: str
    counts: dict[str, int]  # labels per class
    rules: Figures | None
    model_cv: Figures | None  # the n-gram model's; None: too few labels
    model: SentimentPredictor | None  # set only when it beat the rules
    seconds: float
    needs: dict[str, int]  # class -> labels still missing for an n-gram model
    # the rules calibrated (`nlp.calibration`); None: fewer than its `MIN_PER_CLASS`
    calibrated_cv: Figures | None = None

    @property
    def used(self) -> bool:
        return self.model is not None

    @property
    def calibrated(self) -> bool:
        """The model in use is the rules calibrated, not an n-gram model."""
        from earshot.nlp.calibration import CalibratedModel

        return isinstance(self.model, CalibratedModel)


def held_out_probabilities(
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    settings: FeatureSettings,
    *,
    counted: tuple[Any, list[str]],
    folds: int = FOLDS,
    seed: int = 0,
    pool: ThreadPoolExecutor | None = None,
) -> tuple[list[str], np.ndarray]:
    """Each text's class probabilities from the model (`fit`) of the stratified fold that held
    it out, and the classes in column order (sorted). `counted`: `Features.count` of `texts`,
    which each fold's rows are taken from; the held-out rows are weighed as the model would
    weigh them (the same figures as `SentimentModel.predict`, tests/nlp check it), without
    counting again. With `pool`, the folds train in its threads."""
    from sklearn.model_selection import StratifiedKFold

    matrix, names = counted
    gold = np.asarray(labels)
    classes = sorted(set(labels))
    probabilities = np.zeros((len(labels), len(classes)))

    def fold(train: np.ndarray, test: np.ndarray) -> None:
        _, (features, regression) = fit(
            lang,
            [texts[i] for i in train],
            gold[train].tolist(),
            [lexicon_scores[i] for i in train],
            settings,
            counted=(matrix[train], names),
        )
        held_out = features.weigh(matrix[test][:, features.kept], [lexicon_scores[i] for i in test])
        columns = [list(regression.classes_).index(c) for c in classes]
        probabilities[test] = regression.predict_proba(held_out)[:, columns]

    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(gold, gold)
    if pool is None:
        for train, test in splits:
            fold(train, test)
    else:
        for done in [pool.submit(fold, train, test) for train, test in splits]:
            done.result()
    return classes, probabilities


def learn_sentiment(
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    *,
    settings: FeatureSettings | None = None,
    code: str = "",
    folds: int = FOLDS,
    seed: int = 0,
    jobs: int = 2,
) -> Learned:
    """Cross-validate the models against the rules on these labels; train the one in use on
    all of them: of the n-gram model (from `MIN_PER_CLASS` labels of each class) and the
    rules calibrated (`nlp.calibration`, from its own `MIN_PER_CLASS`), the better in CV
    (macro-F1, then micro-F1; the n-gram model on a tie) of those that beat the rules.

    `lexicon_scores` are the rules' scores of the texts (the same the Enricher computes);
    the rules' labels follow from them. `code` is the version of everything else the model
    relies on (the rules' scoring): it goes into the identity. `jobs`: threads training
    the folds (2 cores: 2).
    """
    from earshot.nlp import calibration
    from earshot.nlp.sentiment import label_for

    settings = settings or FeatureSettings()
    start = time.perf_counter()
    counts = {label: sum(1 for g in labels if g == label) for label in LABELS}
    rules = Figures.of(labels, [label_for(s) for s in lexicon_scores]) if labels else None
    needs = {label: MIN_PER_CLASS - n for label, n in counts.items() if n < MIN_PER_CLASS}
    calibrated_cv: Figures | None = None
    if min(counts.values()) >= calibration.MIN_PER_CLASS:
        calibrated_cv = Figures.of(
            list(labels),
            calibration.held_out_predictions(texts, labels, lexicon_scores, folds=folds, seed=seed),
        )
    if needs:
        small = _calibrated(lang, texts, labels, lexicon_scores, code, rules, calibrated_cv)
        if small is not None:
            small.info.update({"labels": counts, "folds": folds})
        seconds = time.perf_counter() - start
        return Learned(lang, counts, rules, None, small, seconds, needs, calibrated_cv)
    # scikit-learn imported here, before the threads: two threads importing it at once can
    # meet it half-initialised
    import sklearn.linear_model
    import sklearn.model_selection  # noqa: F401

    matrix, names = Features(settings).count(texts)
    identity = model_identity(lang, texts, labels, settings, code)

    def whole() -> SentimentModel:
        return fit(
            lang,
            texts,
            labels,
            lexicon_scores,
            settings,
            identity=identity,
            counted=(matrix, names),
        )[0]

    # The folds and the model on all labels in `jobs` threads: the solver's sparse products
    # release the GIL. The whole model is trained beside the folds, not after them, and
    # dropped when the folds say it does not beat the rules (wall time over CPU time).
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        candidate = pool.submit(whole)
        classes, probabilities = held_out_probabilities(
            lang, texts, labels, lexicon_scores, settings,
            counted=(matrix, names), folds=folds, seed=seed, pool=pool,
        )  # fmt: skip
        predicted = [classes[i] for i in probabilities.argmax(axis=1)]
        cv = Figures.of(list(labels), predicted)
        ngram_wins = cv.beats(rules or cv) and not (
            calibrated_cv is not None
            and calibrated_cv.beats(rules or calibrated_cv)
            and (calibrated_cv.macro_f1, calibrated_cv.micro_f1) > (cv.macro_f1, cv.micro_f1)
        )
        ngram = candidate.result() if ngram_wins else None
        if ngram is None:
            candidate.cancel()
    chosen: SentimentPredictor | None = ngram
    if ngram is None:
        chosen = _calibrated(lang, texts, labels, lexicon_scores, code, rules, calibrated_cv)
    else:
        ngram.info.update({"cv": asdict(cv), "rules": asdict(rules) if rules else None})
    if chosen is not None:
        chosen.info.update({"labels": counts, "folds": folds})
    seconds = time.perf_counter() - start
    return Learned(lang, counts, rules, cv, chosen, seconds, {}, calibrated_cv)


def _calibrated(
    lang: str,
    texts: Sequence[str],
    labels: Sequence[str],
    lexicon_scores: Sequence[float],
    code: str,
    rules: Figures | None,
    cv: Figures | None,
) -> SentimentPredictor | None:
    """The rules calibrated, trained on all labels, when its CV figures beat the rules'."""
    from earshot.nlp import calibration

    if cv is None or rules is None or not cv.beats(rules):
        return None
    identity = calibration.model_identity(lang, texts, labels, code)
    model = calibration.fit(lang, texts, labels, lexicon_scores, identity=identity)
    model.info.update({"kind": "calibrated", "cv": asdict(cv), "rules": asdict(rules)})
    return model


class RuleScores:
    """The rules' sentiment scores of texts, exactly as the Enricher computes them for a
    language (its lexicon, its trained pipeline if any), rounded as annotations store them."""

    def __init__(
        self, lang: str, lexicon_path: Path | None = None, trained_pipeline: str | None = None
    ) -> None:
        from earshot.nlp import sentiment
        from earshot.nlp.lexicon import packaged_lexicon_path
        from earshot.nlp.pipeline import build_pipeline

        self.nlp = build_pipeline(
            lang, (), lexicon_path=lexicon_path, trained_pipeline=trained_pipeline
        )
        self.rated = self.nlp.has_pipe("earshot_sentiment_v2")
        lexicon = lexicon_path or packaged_lexicon_path(lang)
        digest = hashlib.sha256(lexicon.read_bytes() if lexicon else b"").hexdigest()[:16]
        # what else a model relies on: the rules' scoring and its lexicon, the tokens
        self.code = f"sentiment={sentiment.VERSION};lexicon={digest};pipeline={trained_pipeline}"

    def scores(self, texts: Sequence[str]) -> list[float]:
        if not self.rated:
            return [0.0] * len(texts)
        return [
            round(float(doc._.earshot_sentiment), 4) for doc in self.nlp.pipe(texts, batch_size=256)
        ]


class Saving(Protocol):
    def save(self, npz_path: Path) -> None: ...


def keep_model(model: Saving | None, npz_path: Path) -> None:
    """Put the model learning chose at `npz_path`, or, when it chose none (the rules stay),
    take the one there out of use."""
    if model is not None:
        model.save(npz_path)
    else:
        remove_model(npz_path)


def remove_model(npz_path: Path) -> None:
    """Take a model out of use: remove its files (no error when there are none)."""
    npz_path.with_suffix(".json").unlink(missing_ok=True)
    npz_path.unlink(missing_ok=True)
