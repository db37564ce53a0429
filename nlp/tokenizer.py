"""A fast tokenizer for social text: one regex pass, hashtags/mentions/URLs/emoticons kept whole.

spaCy's rule-based tokenizer costs about as much per post as the whole of VADER; social posts
need few of its rules. This one splits with a single regular expression and builds the `Doc`
from words and spaces, so `doc.text` is exactly the input text. It also computes the
`TokenView` our components share (see `nlp.normalise`), from a per-word cache, and marks
sentence starts (in the view, not on the `Doc`: that would triple the cost) after sentence-final
punctuation, so our components need no sentencizer.

Registered as the spaCy tokenizer `earshot_tokenizer_v1`:
`spacy.blank("de", config={"nlp": {"tokenizer": {"@tokenizers": "earshot_tokenizer_v1"}}})`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.attrs import IS_PUNCT, IS_SPACE, LIKE_EMAIL, LIKE_NUM, LIKE_URL, LOWER
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

from earshot.nlp.normalise import TokenView, WordInfo, lexeme_info, text_info

VERSION = "1"

_EMOTICON = (
    r"(?<![\w])(?:"
    r"[<>]?[:;=][\-o'^]?[()\[\]dDpP/\\|*3oO@$sS]+"  # :-) ;) :D :P :/ =) :'(
    r"|[xX][dDpP]+|8[)D]"
    r"|[()\[\]dD/\\][\-o'^]?[:;=]"  # (: D: ):
    r"|</?3+|\^_*\^|-_+-|[oO]_[oO]|[tT]_[tT]"
    r")(?![\w])"
)
_TOKEN = re.compile(
    r"(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]}'\u2019]"  # URL without trailing punctuation
    r"|[\w.+-]+@\w+(?:\.\w+)+"  # e-mail
    r"|[@#]\w+(?:[-'\u2019]\w+)*"  # mention, hashtag
    r"|" + _EMOTICON + r"|\d+(?:[.,:/]\d+)+"  # 4:20, 1.000,50, 24/7
    # words, "can't", "S-Bahn", "Kundenservice-Hotline"; combining accents and soft hyphens
    # stay inside the word ("Verspa\u0308tung" as some clients send it)
    r"|[\w\u0300-\u036f\u00ad]+(?:[-'\u2019][\w\u0300-\u036f\u00ad]+)*"
    r"|[.!?…]+"  # sentence ends, "!!!", "?!"
    r"|(\S)\1*"  # anything else, runs of the same character together ("---", "😂😂")
)
_SENTENCE_END = frozenset(".!?…")
_FIND_END = re.compile("[.!?…]").search


_NEEDED = frozenset({LOWER, IS_PUNCT, IS_SPACE, LIKE_NUM, LIKE_URL, LIKE_EMAIL})

_WHITESPACE = re.compile(r"(\s+)")
_IRREGULAR_SPACE = re.compile(r"[^\S ]|  |^ ")  # anything but single spaces between chunks
# a space-free chunk → its tokens, and whether a space follows each when the chunk is followed
# by one (only its last token's)
_CHUNKS: dict[str, tuple[tuple[str, ...], tuple[bool, ...]]] = {}


def _chunk(chunk: str) -> tuple[tuple[str, ...], tuple[bool, ...]]:
    if len(_CHUNKS) > 200_000:
        _CHUNKS.clear()
    if chunk.isalpha():  # letters only: a word, which no other token pattern can split
        tokens: tuple[str, ...] = (chunk,)
    else:
        tokens = tuple(m.group() for m in _TOKEN.finditer(chunk))
    entry = _CHUNKS[chunk] = (tokens, (False,) * (len(tokens) - 1) + (True,))
    return entry


def split(text: str) -> tuple[list[str], list[bool]]:
    """(words, spaces) such that `Doc(vocab, words, spaces).text == text`.

    Texts whose words are separated by single spaces (nearly all posts) are split at the
    spaces first; each distinct chunk goes through the regex once and is remembered.
    """
    if not text or _IRREGULAR_SPACE.search(text):
        return _split_any(text)
    chunks = text.split(" ")
    if not chunks[-1]:  # the text ends with a space: the last token has it
        chunks.pop()
        last = True
    else:
        last = False
    get = _CHUNKS.get
    entries = [get(chunk) or _chunk(chunk) for chunk in chunks]
    words = [token for tokens, _ in entries for token in tokens]
    spaces = [space for _, spaced in entries for space in spaced]
    spaces[-1] = last
    return words, spaces


def _split_any(text: str) -> tuple[list[str], list[bool]]:
    """`split` of a text with other whitespace than single spaces between its chunks.

    Tokens never hold whitespace and the token pattern looks no further than a neighbouring
    word character, so each chunk splits on its own, as in `split`, from the same cache.
    """
    words: list[str] = []
    spaces: list[bool] = []
    get = _CHUNKS.get
    for n, piece in enumerate(_WHITESPACE.split(text)):
        if n % 2:  # the whitespace between two chunks
            _gap(piece, words, spaces)
        elif piece:
            tokens = (get(piece) or _chunk(piece))[0]
            words.extend(tokens)
            spaces.extend([False] * len(tokens))
    return words, spaces


def _gap(gap: str, words: list[str], spaces: list[bool]) -> None:
    """Whitespace between tokens: one space is the previous token's, the rest a space token."""
    if words and not spaces[-1] and gap[0] == " ":
        spaces[-1] = True
        gap = gap[1:]
    if gap:
        words.append(gap)
        spaces.append(False)


class EarshotTokenizer:
    """`text → Doc` with sentence starts set and the shared `TokenView` attached."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self._infos: dict[str, WordInfo] = {}
        getters = getattr(vocab, "lex_attr_getters", None) or {}
        # a new word's attributes straight from the vocabulary's getters, without adding it
        self._getters = getters if _NEEDED.issubset(getters) else None

    def __call__(self, text: str) -> Doc:
        words, spaces = split(text)
        return self.make_doc(words, spaces, text)

    def info(self, word: str) -> WordInfo:
        info = self._infos.get(word)
        if info is None:
            if len(self._infos) > 200_000:
                self._infos.clear()
            getters = self._getters
            info = self._infos[word] = (
                text_info(word, getters) if getters is not None else lexeme_info(self.vocab[word])
            )
        return info

    def make_doc(self, words: list[str], spaces: list[bool], text: str | None = None) -> Doc:
        """The `Doc` of already split text (see `split`), view and sentence starts included."""
        doc = Doc(self.vocab, words=words, spaces=spaces)
        doc.user_data["earshot_view"] = self.view(words, spaces, doc.text if text is None else text)
        return doc

    def view(self, words: list[str], spaces: list[bool], text: str) -> TokenView:
        """The `TokenView` of already split `text`, without building a `Doc`.

        What `make_doc` attaches to its `Doc`; the Enricher's fast path hands it straight to
        the components' view functions.
        """
        cache = self._infos
        infos = [cache.get(w) or self.info(w) for w in words]
        n = len(words)
        starts = [False] * n
        if n:
            starts[0] = True
            if infos[0].is_space or _FIND_END(text) is not None:
                # a sentence starts at the first token that is not a space, and at the first
                # such token after each sentence end
                ends = [i + 1 for i, word in enumerate(words) if word[0] in _SENTENCE_END]
                for i in (0, *ends):
                    while i < n and infos[i].is_space:
                        i += 1
                    if i < n:
                        starts[i] = True
        # sentence starts live in the view: `Doc(sent_starts=...)` would triple the cost
        hashtag = [len(w) > 1 and w[0] == "#" for w in words] if "#" in text else [False] * n
        return TokenView(infos, spaces, starts, hashtag, True, text)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterable[Doc]:
        for text in texts:
            yield self(text)

    # Nothing to save: the tokenizer has no data, only code (its version is in its name).
    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> EarshotTokenizer:
        return self

    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)

    def from_disk(self, path: str | Path, **kwargs: Any) -> EarshotTokenizer:
        return self


@registry.tokenizers("earshot_tokenizer_v1")
def create_tokenizer() -> Callable[[Language], EarshotTokenizer]:
    def make(nlp: Language) -> EarshotTokenizer:
        return EarshotTokenizer(nlp.vocab)

    return make
