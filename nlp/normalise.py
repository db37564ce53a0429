"""Token normalisation for topic tagging and key terms: folding, hashtags, compound splitting."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from spacy.tokens import Token

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_CHUNK = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lowercase, spell umlauts out (ä → ae, so "Bürger" and "Buerger" agree) and drop accents."""
    text = text.lower().translate(_UMLAUTS)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _split_camel(chunk: str) -> list[str]:
    """`CustomerExperience` → [Customer, Experience]; `HTMLParser` → [HTML, Parser]."""
    parts: list[str] = []
    start = 0
    n = len(chunk)
    for i in range(1, n):
        prev, cur = chunk[i - 1], chunk[i]
        boundary = (prev.islower() and cur.isupper()) or (
            prev.isupper() and cur.isupper() and i + 1 < n and chunk[i + 1].islower()
        )
        if boundary:
            parts.append(chunk[start:i])
            start = i
    parts.append(chunk[start:])
    return parts


@lru_cache(maxsize=65536)
def split_parts(text: str) -> tuple[str, ...]:
    """Folded word parts of one token: '#' stripped, hyphenated compounds and camelCase split."""
    parts: list[str] = []
    for chunk in _CHUNK.findall(text):
        parts.extend(fold(p) for p in _split_camel(chunk))
    return tuple(parts)


def is_hashtag(token: Token) -> bool:
    """True for `#word`, whether or not the tokenizer split the '#' off as its own token."""
    if token.text.startswith("#") and len(token.text) > 1:
        return True
    if token.i > 0:
        prev = token.doc[token.i - 1]
        return prev.text == "#" and not prev.whitespace_ and _CHUNK.match(token.text) is not None
    return False


def is_mention(token: Token) -> bool:
    return token.text.startswith("@") and len(token.text) > 1


def is_url(token: Token) -> bool:
    text = token.text
    return bool(token.like_url or token.like_email or text.startswith(("http:", "https:", "www.")))
