"""Near-duplicate texts for the teach queue: one answer covers texts this alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from earshot.nlp.ngram_features import Features, FeatureSettings

NEAR_DUPLICATE = 0.6  # cosine of two texts' n-gram TF-IDF above which one answer covers both
LIKENESS_SAMPLE = 5_000  # texts (at most) the near-duplicates' vocabulary and IDF come from


class Likeness:
    """Which texts are near-duplicates (cosine of their word and character n-gram TF-IDF
    above `NEAR_DUPLICATE`): the queue asks about one of them per step.

    The vocabulary and IDF are learned from the texts themselves (no labels), at most
    `LIKENESS_SAMPLE` of them, evenly spread; a text's vector is made when it is first
    compared, so a queue over many candidates costs only the texts it looks at.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)
        self._features: Features | None = None
        self._vectors: dict[int, Any] = {}
        self._chosen: list[int] = []  # the rows of `_stack`, kept while a choice grows
        self._stack: Any = None

    def _vector(self, i: int) -> Any:
        found = self._vectors.get(i)
        if found is None:
            if self._features is None:
                step = max(1, -(-len(self.texts) // LIKENESS_SAMPLE))  # ceiling division
                sample = self.texts[::step]
                self._features = Features(FeatureSettings(lexicon_weight=0.0))
                self._features.fit_transform(sample, [0.0] * len(sample))
            # a row of unit length, then the (here zero) lexicon column, dropped
            found = self._features.transform([self.texts[i]], [0.0])[:, :-1].tocsr()
            self._vectors[i] = found
        return found

    def too_close(self, i: int, chosen: Sequence[int]) -> bool:
        """Whether text `i` is a near-duplicate of one of the `chosen`."""
        if not chosen:
            return False
        from scipy import sparse

        known = len(self._chosen)
        if list(chosen[:known]) != self._chosen:  # not the same choice grown: start again
            self._chosen, self._stack, known = [], None, 0
        if len(chosen) > known:  # the choice grew since the last question: stack the new
            rows = [self._vector(c) for c in chosen[known:]]
            self._stack = sparse.vstack(rows if self._stack is None else [self._stack, *rows])
            self._chosen = list(chosen)
        similar = (self._stack @ self._vector(i).T).tocsr()
        return bool(similar.max() > NEAR_DUPLICATE) if similar.nnz else False
