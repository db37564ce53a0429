"""A small boolean query language per topic: AND, OR, NOT, parentheses, "phrases" and NEAR/n.

    "customer service" AND (hotline OR chat) AND NOT jobs
    Kundenservice NEAR/3 schlecht

AND binds tighter than OR; NOT applies to what follows it. `a NEAR/n b` holds when a and b
both occur with at most n words between them, in either order. Terms match like topic
terms (case, inflection, hashtags, compounds). Keywords are upper case, so lower-case
"and", "or", "not" and "near" are ordinary words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from earshot.nlp.errors import NlpError

Hits = Mapping[str, Sequence[tuple[int, int]]]  # term → (first word, last word) of each match


class QueryError(NlpError, ValueError):
    """A topic query that does not parse; the message says where and what was expected.

    `position` is the 0-based character offset the message's "at character N" names (N - 1),
    or None when the problem has no one place (an empty query).
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True, slots=True)
class Term:
    text: str


@dataclass(frozen=True, slots=True)
class Near:
    left: Term
    right: Term
    distance: int  # at most this many words between them


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Any_:
    items: tuple[Node, ...]


Node = Term | Near | Not | All | Any_

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|(NEAR/\d+)\b|([^\s()"]+))')
_KEYWORDS = frozenset({"AND", "OR", "NOT"})


def _tokenise(text: str) -> list[tuple[str, str, int]]:
    """(kind, value, offset): kinds "(", ")", "phrase", "near", "word", "AND", "OR", "NOT"."""
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise QueryError(f"unbalanced quote at character {pos + 1}", pos)
        start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
        opening, closing, phrase, near, word = m.groups()
        if opening:
            tokens.append(("(", "(", start))
        elif closing:
            tokens.append((")", ")", start))
        elif phrase is not None:
            if not phrase.strip():
                raise QueryError(f"empty phrase at character {start + 1}", start)
            tokens.append(("phrase", phrase.strip(), start))
        elif near:
            tokens.append(("near", near[5:], start))
        elif word in _KEYWORDS:
            tokens.append((word, word, start))
        elif word.startswith("NEAR"):
            raise QueryError(
                f"expected NEAR/<number> at character {start + 1}, got {word!r}", start
            )
        else:
            tokens.append(("word", word, start))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenise(text)
        self.i = 0

    def _peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def _where(self) -> str:
        if self.i < len(self.tokens):
            _, value, offset = self.tokens[self.i]
            return f"at character {offset + 1} ({value!r})"
        return "at the end"

    def _offset(self) -> int:
        """Where `_where` points: the current token, or just past the text at the end."""
        return self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text.rstrip())

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError("the query is empty")
        node = self._or()
        if self.i < len(self.tokens):
            raise QueryError(f"expected AND, OR or the end {self._where()}", self._offset())
        return node

    def _or(self) -> Node:
        items = [self._and()]
        while self._peek() == "OR":
            self.i += 1
            items.append(self._and())
        return items[0] if len(items) == 1 else Any_(tuple(items))

    def _and(self) -> Node:
        items = [self._not()]
        while self._peek() == "AND":
            self.i += 1
            items.append(self._not())
        return items[0] if len(items) == 1 else All(tuple(items))

    def _not(self) -> Node:
        if self._peek() == "NOT":
            self.i += 1
            return Not(self._not())
        return self._near()

    def _near(self) -> Node:
        node = self._atom()
        while self._peek() == "near":
            distance = int(self.tokens[self.i][1])
            near_at = self.tokens[self.i][2]
            self.i += 1
            right = self._atom()
            if not isinstance(node, Term) or not isinstance(right, Term):
                raise QueryError("NEAR/n joins two terms or phrases, not groups", near_at)
            node = Near(node, right, distance)
        return node

    def _atom(self) -> Node:
        kind = self._peek()
        if kind in {"word", "phrase"}:
            term = Term(self.tokens[self.i][1])
            self.i += 1
            return term
        if kind == "(":
            self.i += 1
            node = self._or()
            if self._peek() != ")":
                raise QueryError(f"expected ')' {self._where()}", self._offset())
            self.i += 1
            return node
        raise QueryError(f"expected a term, a phrase, NOT or '(' {self._where()}", self._offset())


def parse_query(text: str) -> Node:
    """The query's syntax tree; `QueryError` says what is wrong and where."""
    return _Parser(text).parse()


def query_terms(node: Node) -> tuple[str, ...]:
    """Every term of the query, in order of appearance, without repeats."""
    found: dict[str, None] = {}

    def walk(n: Node) -> None:
        if isinstance(n, Term):
            found[n.text] = None
        elif isinstance(n, Near):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Not):
            walk(n.item)
        else:
            for item in n.items:
                walk(item)

    walk(node)
    return tuple(found)


def evaluate(node: Node, hits: Hits) -> tuple[bool, frozenset[str]]:
    """Whether the query holds, and the terms that made it hold (the evidence)."""
    if isinstance(node, Term):
        return (True, frozenset({node.text})) if hits.get(node.text) else (False, frozenset())
    if isinstance(node, Near):
        for a_first, a_last in hits.get(node.left.text, ()):
            for b_first, b_last in hits.get(node.right.text, ()):
                gap = b_first - a_last - 1 if b_first > a_last else a_first - b_last - 1
                if gap <= node.distance and (a_first, a_last) != (b_first, b_last):
                    return True, frozenset({node.left.text, node.right.text})
        return False, frozenset()
    if isinstance(node, Not):
        holds, _ = evaluate(node.item, hits)
        return not holds, frozenset()
    results = [evaluate(item, hits) for item in node.items]
    if isinstance(node, All):
        if all(holds for holds, _ in results):
            return True, frozenset().union(*(terms for _, terms in results))
        return False, frozenset()
    held = [terms for holds, terms in results if holds]
    return (True, frozenset().union(*held)) if held else (False, frozenset())
