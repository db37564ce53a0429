"""A batch's feature columns for `SentimentModel` prediction, found with numpy (`BatchColumns`)."""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from earshot.nlp.sentiment_model import SentimentModel

_SEPARATOR = "\x00"  # between the texts of a batch, found as a token of its own
_BATCH_TOKEN = re.compile(r"\w+|[!?]|\x00", re.UNICODE)


class BatchColumns:
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
