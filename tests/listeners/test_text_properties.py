"""Property: `html_to_text` never raises, and markup (not text spelled with entities such as
`&lt;script&gt;`, which is legitimate plain text) never survives as a script tag.
The digest escapes all post text anyway; this keeps the plain text honest."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from earshot.listeners.text import html_to_text

# Markup fragments, so generated text is often (broken) HTML with scripts in odd places.
PIECES = st.sampled_from(
    ["<script>", "</script>", "<SCRIPT src=x>", "<scr", "ipt>", "<script", "<p>", "</p>",
     "<br/>", "<style>", "</style", "<!--", "-->", "<![CDATA[", "]]>", "&lt;script&gt;",
     "&#60;script>", "&amp;", "<svg><script>", "</svg>", "<ns:script>", "alert(1)", "<", ">",
     "text", " ", "\n", "<td>", "<li>"]
)  # fmt: skip
MARKUP = st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=20).map("".join))


@settings(max_examples=400, deadline=None)
@given(MARKUP)
def test_html_to_text_never_raises_nor_returns_a_script_tag(markup: str) -> None:
    text = html_to_text(markup)
    assert isinstance(text, str)
    if "&" not in markup:
        assert not re.search(r"<script[\s/>]", text, re.I)


def test_split_tags_do_not_reassemble() -> None:
    assert html_to_text("a <scr<b>ipt>alert(1)</script> b") == "a alert(1) b"
    assert html_to_text("cut off <SCRIPT") == "cut off"
