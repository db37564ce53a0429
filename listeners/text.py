"""HTML fragments to readable plain text, with the standard library only."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Their content is never text a reader sees.
_SKIP = frozenset({"script", "style", "template", "head", "title", "svg", "math", "iframe"})
# Paragraph-like blocks get a blank line around them; line-like ones a line break.
_PARAGRAPH = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol",
        "dl", "figure", "section", "article", "aside", "header", "footer", "nav", "main",
        "address", "details", "fieldset", "form", "hr",
    }
)  # fmt: skip
_LINE = frozenset(
    {"br", "div", "li", "tr", "dt", "dd", "figcaption", "summary", "caption", "option", "legend"}
)
_CELL = frozenset({"td", "th"})

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._pending_newlines = 0  # the strongest break asked for since the last text

    def _break(self, tag: str) -> None:
        if tag in _PARAGRAPH:
            self._pending_newlines = 2
        elif tag in _LINE:
            self._pending_newlines = max(self._pending_newlines, 1)
        elif tag in _CELL:
            self.parts.append(" ")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
        else:
            self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)  # <br/>, <hr/>: a void element never opens a skipped region

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(self._skip_depth - 1, 0)
        else:
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pending_newlines:
            if not data.strip():
                return  # indentation between blocks
            self.parts.append("\n" * self._pending_newlines)
            self._pending_newlines = 0
        self.parts.append(data)


def collapse_whitespace(text: str) -> str:
    """Runs of spaces become one space, lines are trimmed, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: no script/style, blocks on their own lines,
    entities unescaped, whitespace collapsed."""
    if "<" not in markup and "&" not in markup:
        return collapse_whitespace(markup)
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # html.parser is lenient, but never let odd markup cost a post
        text = html.unescape(_TAG.sub(" ", markup))
    return collapse_whitespace(text)
