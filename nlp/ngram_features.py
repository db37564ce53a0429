"""The n-gram features of learned models: how a text becomes word and character n-grams
(`FeatureSettings`, `analyse`), and the training side of the TF-IDF transform (`Features`).

Sentiment (`nlp.learn`), relevance (`nlp.relevance`) and the teach queue (`nlp.teach`) train on
these features; `SentimentModel` (`nlp.sentiment_model`) reproduces them with numpy alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

_WORD = re.compile(r"\w+|[!?]", re.UNICODE)


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
