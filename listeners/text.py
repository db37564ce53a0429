"""HTML fragments to readable plain text, with the standard library only."""

from __future__ import annotations

import html
import re

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


def collapse_whitespace(text: str) -> str:
    """Runs of spaces become one space, lines are trimmed, at most one blank line in a row."""
    if "\n" not in text and "\r" not in text:
        return " ".join(text.split())  # the common case, without a regex
    kept: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")


# Also prefixed, as serialised XHTML has them: <ns1:svg>.
_SKIP_OPEN = re.compile(
    r"<((?:[A-Za-z][\w.-]*:)?(?:" + "|".join(sorted(_SKIP)) + r"))\b[^>]*>", re.I
)
_LINE_MARK, _PARAGRAPH_MARK = "\x01", "\x02"
_BREAKS = re.compile(r"[\x01\x02][\x01\x02\s]*")


def _drop_skipped(markup: str) -> str:
    """Remove script/style/... elements with their content, in one linear pass."""
    lowered = ""
    kept: list[str] = []
    position = 0
    while match := _SKIP_OPEN.search(markup, position):
        lowered = lowered or markup.lower()  # only when there is something to skip
        kept.append(markup[position : match.start()])
        close = lowered.find(f"</{match.group(1).lower()}", match.end())
        if close < 0:
            return "".join(kept)  # unclosed: everything after it is inside
        end = markup.find(">", close)
        position = len(markup) if end < 0 else end + 1
    kept.append(markup[position:])
    return "".join(kept)


def _tags(names: frozenset[str]) -> re.Pattern[str]:
    # Opening, closing or empty; with a namespace prefix as serialised XHTML has (ns0:p).
    alternatives = "|".join(sorted(names, key=len, reverse=True))
    return re.compile(rf"</?(?:[A-Za-z][\w.-]*:)?(?:{alternatives})(?:\s[^>]*)?/?>", re.I)


_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_PARAGRAPH_TAG, _LINE_TAG, _CELL_TAG = _tags(_PARAGRAPH), _tags(_LINE), _tags(_CELL)
_ANY_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:.-]*(?:\s[^>]*)?/?>")
# A tag cut off by the end of the fragment: browsers drop it, so do we.
_TAG_START = re.compile(r"</?[A-Za-z]")
# Removing one tag can join the pieces of another (`<scr<b>ipt>`): strip until nothing
# changes, a few passes at most (each pass only shortens the text).
_MAX_TAG_PASSES = 8


def _without_unclosed_tag(text: str) -> str:
    """Drop a tag left open at the end; it can only start after the last '>' (linear)."""
    tail = text.rfind(">") + 1
    opened = _TAG_START.search(text, tail)
    return text[: opened.start()] if opened else text


def _breaks(match: re.Match[str]) -> str:
    return "\n\n" if _PARAGRAPH_MARK in match.group(0) else "\n"


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: no script/style, blocks on their own lines,
    entities unescaped, whitespace collapsed.

    Regular expressions rather than html.parser: this runs on every feed entry and is
    several times faster; each step is linear in the input, so hostile markup stays cheap.
    """
    if "<" not in markup and "&" not in markup:
        return collapse_whitespace(markup)
    markup = markup.replace(_LINE_MARK, "").replace(_PARAGRAPH_MARK, "")
    text = _drop_skipped(markup)
    if "<!--" in text:
        text = _COMMENT.sub("", text)
    text = _PARAGRAPH_TAG.sub(_PARAGRAPH_MARK, text)
    text = _LINE_TAG.sub(_LINE_MARK, _CELL_TAG.sub(" ", text))
    for _ in range(_MAX_TAG_PASSES):
        stripped = _without_unclosed_tag(_ANY_TAG.sub("", text))
        if stripped == text:
            break
        text = stripped
        if "<" not in text:
            break  # nothing left that a further pass could remove
    text = _BREAKS.sub(_breaks, html.unescape(text))
    return collapse_whitespace(text)


_ANCHOR = re.compile(r"<a\s([^>]*)>", re.I)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def links_in_html(markup: str) -> list[str]:
    """The http(s) links of an HTML fragment in order, without mention and hashtag links
    (Mastodon marks those `class="mention"` / `class="hashtag"` / `rel="tag"`)."""
    links: list[str] = []
    for anchor in _ANCHOR.finditer(markup):
        attributes = {
            m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTRIBUTE.finditer(anchor.group(1))
        }
        classes = attributes.get("class", "").lower().split()
        if "mention" in classes or "hashtag" in classes or "tag" in attributes.get("rel", ""):
            continue
        href = attributes.get("href", "").strip()
        if href.lower().startswith(("http://", "https://")):
            links.append(href)
    return links


_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"\n]*\")?\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\([^)\s]*(?:\s+\"[^\"\n]*\")?\)")
_MD_LINE_MARKS = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t>]*|:::[ \t]*(?:spoiler\b)?)", re.M)
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1")
_MD_LINK_TARGET = re.compile(r"\]\(\s*(https?://[^)\s]+)")


def markdown_to_text(markdown: str) -> str:
    """Plain text of Markdown as Lemmy writes it: links and images become their words,
    headings, quotes, spoiler fences and bold/strike marks go; any inline HTML is stripped."""
    text = _MD_IMAGE.sub(lambda m: m.group(1), markdown)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _MD_LINE_MARKS.sub("", text)
    text = _MD_EMPHASIS.sub(lambda m: m.group(2), text)
    return html_to_text(text)


def links_in_markdown(markdown: str) -> list[str]:
    """The http(s) targets of Markdown links, in order."""
    return _MD_LINK_TARGET.findall(markdown)
