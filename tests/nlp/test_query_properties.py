"""Property: any string given as a topic query parses or raises `QueryError`, nothing else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from earshot.nlp.query import QueryError, parse_query, query_terms

# Pieces of the query language, so generated text often comes close to a valid query.
PIECES = st.sampled_from(
    ["AND", "OR", "NOT", "NEAR/3", "NEAR/", "NEAR/x", "(", ")", '"', '"a b"', '""', "a", "b*",
     "#tag", "Kundenservice", " ", "and", "near/0", "NEAR/99999999999999999999"]
)  # fmt: skip
QUERIES = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=14).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(QUERIES)
def test_any_query_parses_or_raises_query_error(text: str) -> None:
    try:
        node = parse_query(text)
    except QueryError as exc:
        assert str(exc)  # a clear error says what is wrong
        return
    assert isinstance(query_terms(node), tuple)
