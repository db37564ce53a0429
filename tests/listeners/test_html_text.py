"""HTML fragments to plain text."""

from __future__ import annotations

import pytest

from earshot.listeners.text import collapse_whitespace, html_to_text


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>Gr&uuml;&szlig;e aus <b>K&ouml;ln</b></p>", "Grüße aus Köln"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<ul>\n  <li>x</li>\n  <li>y</li>\n</ul>after", "x\ny\n\nafter"),
        ("<div>one<div>two</div></div>", "one\ntwo"),
        ("<table><tr><td>1</td><td>2</td></tr></table>", "1 2"),
        ("keep<script>alert('x')</script> <style>p{color:red}</style>this", "keep this"),
        ("fish &amp; chips&nbsp;&nbsp;&#8211; &#x263A;", "fish & chips \u2013 \u263a"),
        ("  lots   of\t\tspace \r\n\r\n\r\n\r\nand lines  ", "lots of space\n\nand lines"),
        ("a < b and c > d", "a < b and c > d"),
        ("&lt;p&gt;escaped code&lt;/p&gt;", "<p>escaped code</p>"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("<!-- comment -->visible", "visible"),
        ("", ""),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_collapse_whitespace_keeps_one_blank_line() -> None:
    assert collapse_whitespace(" a \n\n\n\n b\n c ") == "a\n\nb\nc"
