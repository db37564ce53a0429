"""Token normalisation for topic tagging and key terms: folding, hashtags, compound splitting."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from spacy.attrs import (
    IS_PUNCT,
    IS_SPACE,
    LIKE_EMAIL,
    LIKE_NUM,
    LIKE_URL,
    LOWER,
    ORTH,
    SENT_START,
    SPACY,
)
from spacy.lexeme import Lexeme
from spacy.tokens import Doc, Token

JOINERS = frozenset({"#", "-", "\u2013"})  # hashtag mark, hyphen, en dash: join, not separate
BOUNDARY = ""  # stands in a word sequence for punctuation, URLs and mentions

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_CHUNK = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lowercase, spell umlauts out (ä → ae, so "Bürger" and "Buerger" agree) and drop accents."""
    if not text.isascii():
        # decomposed umlauts ("a" + U+0308) compose first; soft hyphens are invisible
        text = unicodedata.normalize("NFC", text).replace("\u00ad", "")
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


@dataclass(frozen=True, slots=True)
class WordInfo:
    """What the components ask of a token that depends on its text alone; cached per word."""

    text: str
    lower: str
    folded: str
    parts: tuple[str, ...]  # `split_parts(text)`
    is_punct: bool
    is_space: bool
    like_num: bool
    is_url: bool
    is_mention: bool
    is_word: bool  # has a letter and is alphanumeric apart from '-' and "'"
    # what the token adds to the word sequence topic matching reads: its parts; nothing for
    # spaces, hashtag marks and hyphens (they join); a boundary ("") for URLs and punctuation;
    # a mention's handle parts between boundaries, so "@DB_Bahn" and "@DeutscheBahn" match the
    # terms "Bahn" and "Deutsche Bahn" but never join the words around them into a phrase (see
    # `nlp.topics.view_sequence`)
    topic_parts: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if self.is_space or self.text in JOINERS:
            seq: tuple[str, ...] = ()
        elif self.is_url or not self.parts:
            seq = (BOUNDARY,)
        elif self.is_mention:
            seq = (BOUNDARY, *self.parts, BOUNDARY)
        else:
            seq = self.parts
        object.__setattr__(self, "topic_parts", seq)


@dataclass(slots=True)
class TokenView:
    """A doc's tokens as plain Python data, built once and shared by all our components.

    Walking spaCy `Token`s is slow (each access builds an object); the components walk
    these lists instead. Read only, but not frozen: one is built per post, and a frozen
    dataclass takes several times longer to build.
    """

    infos: list[WordInfo]
    spaced: list[bool]  # whitespace follows the token
    sent_start: list[bool]  # True where a sentence starts (token 0 always)
    hashtag: list[bool]  # `is_hashtag` of each token
    has_sentences: bool  # a sentence splitter ran (`doc.has_annotation("SENT_START")`)
    text: str  # `doc.text`, which spaCy rebuilds token by token on every access


_INFO_CACHES: dict[str, dict[int, WordInfo]] = {}  # per language: lexeme flags differ
_INFO_CACHE_LIMIT = 200_000


def _word_info(token: Token) -> WordInfo:
    text = token.text
    return WordInfo(
        text=text,
        lower=token.lower_,
        folded=fold(text),
        parts=split_parts(text),
        is_punct=token.is_punct,
        is_space=token.is_space,
        like_num=token.like_num,
        is_url=is_url(token),
        is_mention=is_mention(token),
        is_word=any(ch.isalpha() for ch in text)
        and text.replace("-", "").replace("'", "").isalnum(),
    )


def lexeme_info(lexeme: Lexeme) -> WordInfo:
    """`WordInfo` from the vocabulary entry alone (what a token of that text would say)."""
    text = lexeme.orth_
    return WordInfo(
        text=text,
        lower=lexeme.lower_,
        folded=fold(text),
        parts=split_parts(text),
        is_punct=lexeme.is_punct,
        is_space=lexeme.is_space,
        like_num=lexeme.like_num,
        is_url=bool(
            lexeme.like_url or lexeme.like_email or text.startswith(("http:", "https:", "www."))
        ),
        is_mention=text.startswith("@") and len(text) > 1,
        is_word=any(ch.isalpha() for ch in text)
        and text.replace("-", "").replace("'", "").isalnum(),
    )


def text_info(text: str, getters: dict[int, Any]) -> WordInfo:
    """`lexeme_info` of a vocabulary's new entry for `text`, without making the entry.

    `getters` is the vocabulary's `lex_attr_getters`: what spaCy computes for a new lexeme
    (and the flags of a blank pipeline's lexemes are never changed afterwards). Creating the
    lexeme would compute all of its twenty-odd attributes and keep it in the vocabulary.
    """
    if not text:
        return WordInfo(text, "", "", (), False, False, False, False, False, False)
    return WordInfo(
        text=text,
        lower=getters[LOWER](text),
        folded=fold(text),
        parts=split_parts(text),
        is_punct=bool(getters[IS_PUNCT](text)),
        is_space=bool(getters[IS_SPACE](text)),
        like_num=bool(getters[LIKE_NUM](text)),
        is_url=bool(
            getters[LIKE_URL](text)
            or getters[LIKE_EMAIL](text)
            or text.startswith(("http:", "https:", "www."))
        ),
        is_mention=text.startswith("@") and len(text) > 1,
        is_word=any(ch.isalpha() for ch in text)
        and text.replace("-", "").replace("'", "").isalnum(),
    )


def token_view(doc: Doc) -> TokenView:
    """The doc's `TokenView`, computed on first use and kept in `doc.user_data`."""
    view = doc.user_data.get("earshot_view")
    if isinstance(view, TokenView):
        return view
    n = len(doc)
    if n:
        arr = doc.to_array([ORTH, SPACY, SENT_START])
        orths = arr[:, 0].tolist()
        spaced = [bool(s) for s in arr[:, 1].tolist()]
        raw = arr[:, 2].tolist()
        starts = [s == 1 for s in raw]
        starts[0] = True
        has_sentences = n == 1 or any(s != 0 for s in raw[1:])
    else:
        orths, spaced, starts, has_sentences = [], [], [], False
    cache = _INFO_CACHES.setdefault(doc.lang_, {})
    infos: list[WordInfo] = []
    for i, orth in enumerate(orths):
        info = cache.get(orth)
        if info is None:
            if len(cache) > _INFO_CACHE_LIMIT:
                cache.clear()
            info = cache[orth] = _word_info(doc[i])
        infos.append(info)
    hashtag = [False] * n
    for i, info in enumerate(infos):
        text = info.text
        if text.startswith("#") and len(text) > 1:
            hashtag[i] = True
        elif i > 0 and infos[i - 1].text == "#" and not spaced[i - 1]:
            hashtag[i] = _CHUNK.match(text) is not None
    pairs = zip(infos, spaced, strict=True)
    text = "".join(info.text + " " if space else info.text for info, space in pairs)
    view = TokenView(infos, spaced, starts, hashtag, has_sentences, text)
    doc.user_data["earshot_view"] = view
    return view
