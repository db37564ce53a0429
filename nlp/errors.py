"""Errors raised by the NLP stage.

NlpError            base of everything raised here
└── LexiconError    a sentiment lexicon file is missing or malformed (names file and line)
"""

from __future__ import annotations

from pathlib import Path


class NlpError(Exception):
    """Base class of the errors raised by `nlp`."""


class LexiconError(NlpError):
    """A lexicon file could not be read or has a malformed line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")
