"""The rules' sentiment scores of texts as the Enricher computes them, for learning from."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path


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
