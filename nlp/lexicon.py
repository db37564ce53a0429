"""Sentiment lexicons: reading word<TAB>valence files, the packaged ones, and emoji valences."""

from __future__ import annotations

import math
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from earshot.nlp.errors import LexiconError
from earshot.nlp.normalise import fold

MAX_VALENCE = 4.0


def packaged_lexicon_path(lang: str) -> Path | None:
    """The lexicon shipped for `lang`: VADER's (MIT) for English, our own for German; else None."""
    if lang == "en":
        return Path(str(files("vaderSentiment").joinpath("vader_lexicon.txt")))
    path = Path(str(files("earshot.nlp").joinpath("lexicons", f"{lang}.tsv")))
    return path if path.is_file() else None


def emoji_description_path() -> Path:
    """VADER's emoji → English description table (MIT)."""
    return Path(str(files("vaderSentiment").joinpath("emoji_utf8_lexicon.txt")))


def read_lexicon(path: Path) -> dict[str, float]:
    """Read a word<TAB>valence file (further columns ignored) into {folded word: valence}.

    Blank lines and lines starting with "# " are skipped. Anything else that is not a word,
    a TAB and a number in [-4, 4] raises `LexiconError` naming the file and line.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LexiconError(path, None, f"cannot read lexicon: {exc.strerror or exc}") from exc
    text = raw.decode("utf-8", errors="replace")
    lexicon: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        if not line.strip() or line.startswith("# "):
            continue
        fields = line.split("\t")
        word = fields[0].strip()
        if len(fields) < 2 or not word:
            raise LexiconError(path, number, f"expected word<TAB>valence, got {line!r}")
        try:
            valence = float(fields[1])
        except ValueError:
            raise LexiconError(
                path, number, f"valence must be a number, got {fields[1]!r}"
            ) from None
        if not math.isfinite(valence) or abs(valence) > MAX_VALENCE:
            raise LexiconError(path, number, f"valence must be in [-4, 4], got {valence}")
        lexicon[fold(word)] = valence
    return lexicon


@lru_cache(maxsize=8)
def _cached_lexicon(path: str, size: int, mtime_ns: int) -> dict[str, float]:
    return read_lexicon(Path(path))


def load_lexicon(path: Path) -> dict[str, float]:
    """`read_lexicon`, cached while the file is unchanged (callers must not mutate the result)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise LexiconError(path, None, f"cannot read lexicon: {exc.strerror or exc}") from exc
    return _cached_lexicon(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=1)
def emoji_valences() -> dict[str, float]:
    """Emoji → valence: the sum of VADER's English valences of the words describing the emoji."""
    words = load_lexicon(packaged_lexicon_path("en") or Path())
    table: dict[str, float] = {}
    text = emoji_description_path().read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        emoji, _, description = line.partition("\t")
        valence = sum(words.get(fold(w), 0.0) for w in description.split())
        if emoji and valence:
            table[emoji] = max(-MAX_VALENCE, min(MAX_VALENCE, valence))
    return table
