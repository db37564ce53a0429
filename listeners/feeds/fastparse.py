"""A fast path for well-formed RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom: the C XML parser
(expat through ElementTree) straight to the entry dicts `normalize` reads.

Returns None for anything it does not handle with certainty (not well-formed, an unknown
root, an encoding expat lacks, a DOCTYPE declaring entities); the caller then uses
feedparser, which is lenient and several times slower.
"""

from __future__ import annotations

import email.utils
import re
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.entities import name2codepoint
from typing import Any
from urllib.parse import urljoin, urlsplit

from feedparser.datetimes import _parse_date as feedparser_date

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
YT = "{http://www.youtube.com/xml/schemas/2015}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
FEEDBURNER = "{http://rssnamespace.org/feedburner/ext/1.0}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_HTML = "text/html"


# HTML's named entities (&nbsp; &eacute; ...) are undefined in XML, yet common in feeds.
_HTML_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


def _numeric_reference(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group(0)
    codepoint = name2codepoint.get(name.decode("ascii"))
    return b"&#%d;" % codepoint if codepoint else match.group(0)


def iso_date(value: str | None) -> str | None:
    """A feed date as 'YYYY-MM-DDTHH:MM:SSZ' (UTC), like feedparser's parsed dates."""
    if not value or not value.strip():
        return None
    text = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        fallback = feedparser_date(text)  # the long tail of date formats in the wild
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", fallback) if fallback else None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    return "".join(element.itertext())


def _lang(element: ET.Element | None, inherited: str | None) -> str | None:
    return (element.get(XML_LANG) if element is not None else None) or inherited


def _atom_text(element: ET.Element | None) -> tuple[str | None, str]:
    """An Atom text construct's value and its type as feedparser names it."""
    if element is None:
        return None, "text/plain"
    kind = (element.get("type") or "text").lower()
    if kind == "xhtml":
        div = next(iter(element), None)
        inner = div if div is not None else element
        markup = (inner.text or "") + "".join(
            ET.tostring(child, encoding="unicode") for child in inner
        )
        return markup, "application/xhtml+xml"
    if kind in ("html", "text/html"):
        return _text(element), _HTML
    return _text(element), "text/plain" if kind == "text" else kind


def _resolved(reference: str, base_url: str) -> str:
    try:
        if urlsplit(reference).scheme:
            return reference
        return urljoin(base_url, reference)
    except ValueError:
        return reference


def _rss_item(item: ET.Element, ns: str, base_url: str | None = None) -> dict[str, Any]:
    # One pass over the children instead of a dozen `find` scans (this runs for every item);
    # like `find`, the first element with a tag wins.
    children: dict[str, ET.Element] = {}
    for child in item:
        children.setdefault(child.tag, child)
    find = children.get
    entry: dict[str, Any] = {}
    title = _text(find(f"{ns}title"))
    if title is not None:
        # RSS titles may carry HTML entities; text/html lets the normaliser strip any markup.
        entry["title"] = title
        entry["title_detail"] = {"type": _HTML}
    link = _text(find(f"{ns}link"))
    guid = find(f"{ns}guid")
    atom_link = find(f"{ATOM}link")  # RSS with Atom elements mixed in
    if link and link.strip():
        entry["link"] = link.strip()
    elif atom_link is not None and atom_link.get("href"):
        entry["link"] = atom_link.get("href")
    elif guid is not None and guid.get("isPermaLink", "true").lower() == "true" and guid.text:
        entry["link"] = guid.text.strip()
    ident = _text(guid) or item.get(f"{RDF}about")
    if ident and ident.strip():
        ident = ident.strip()
        if guid is not None and base_url and guid.get("isPermaLink", "true").lower() == "true":
            # A permalink guid is a URL: feedparser (the lenient path) resolves a relative one
            # against the feed's URL, so both paths must, or a post changes id between them.
            ident = _resolved(ident, base_url)
        entry["id"] = ident
    description = _text(find(f"{ns}description"))
    if description is None:  # podcasts
        description = _text(find(f"{ITUNES}summary")) or _text(find(f"{ITUNES}subtitle"))
    if description is not None:
        entry["summary"] = description
        entry["summary_detail"] = {"type": _HTML}
    encoded = _text(find(f"{CONTENT}encoded"))
    if encoded:
        entry["content"] = [{"type": _HTML, "value": encoded}]
    date = _text(find(f"{ns}pubDate")) or _text(find(f"{DC}date"))
    published = iso_date(date) or iso_date(_text(find(f"{ATOM}updated")))
    if published:
        entry["published_parsed"] = published
    author = _text(find(f"{DC}creator")) or _text(find(f"{ns}author"))
    author = author or _text(find(f"{ITUNES}author"))
    atom_author = find(f"{ATOM}author")
    if not author and atom_author is not None:
        author = _text(atom_author.find(f"{ATOM}name"))
    if author and author.strip():
        entry["author"] = author.strip()
    origlink = _text(find(f"{FEEDBURNER}origLink"))
    if origlink and origlink.strip():
        entry["feedburner_origlink"] = origlink.strip()
    language = item.get(XML_LANG)
    if language:
        entry["summary_detail"] = {**entry.get("summary_detail", {}), "language": language}
    return entry


def _atom_entry(item: ET.Element, feed_lang: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    lang = item.get(XML_LANG) or feed_lang
    title, title_type = _atom_text(item.find(f"{ATOM}title"))
    if title is not None:
        entry["title"] = title
        entry["title_detail"] = {
            "type": title_type,
            "language": _lang(item.find(f"{ATOM}title"), lang),
        }
    ident = _text(item.find(f"{ATOM}id"))
    if ident and ident.strip():
        entry["id"] = ident.strip()
    links = [
        {"rel": link.get("rel", "alternate"), "href": link.get("href"), "type": link.get("type")}
        for link in item.findall(f"{ATOM}link")
        if link.get("href")
    ]
    if links:
        entry["links"] = links
        alternate = next((link for link in links if link["rel"] == "alternate"), None)
        if alternate:
            entry["link"] = alternate["href"]
    summary_element = item.find(f"{ATOM}summary")
    summary, summary_type = _atom_text(summary_element)
    if summary is not None:
        entry["summary"] = summary
        entry["summary_detail"] = {"type": summary_type, "language": _lang(summary_element, lang)}
    content_element = item.find(f"{ATOM}content")
    if content_element is not None and content_element.get("src") is None:
        content, content_type = _atom_text(content_element)
        if content:
            language = _lang(content_element, lang)
            entry["content"] = [{"type": content_type, "value": content, "language": language}]
    for key, tag in (("published_parsed", "published"), ("updated_parsed", "updated")):
        value = iso_date(_text(item.find(f"{ATOM}{tag}")))
        if value:
            entry[key] = value
    name = _text(item.find(f"{ATOM}author/{ATOM}name"))
    if name and name.strip():
        entry["author_detail"] = {"name": name.strip()}
    origlink = _text(item.find(f"{FEEDBURNER}origLink"))
    if origlink and origlink.strip():
        entry["feedburner_origlink"] = origlink.strip()
    _youtube(item, entry)
    return entry


def _youtube(item: ET.Element, entry: dict[str, Any]) -> None:
    """YouTube's yt: ids and media:group (description, star rating, views)."""
    for key, tag in (("yt_videoid", f"{YT}videoId"), ("yt_channelid", f"{YT}channelId")):
        value = _text(item.find(tag))
        if value:
            entry[key] = value.strip()
    group = item.find(f"{MEDIA}group")
    if group is None:
        return
    description = _text(group.find(f"{MEDIA}description"))
    if description and "summary" not in entry:
        entry["summary"] = description
        entry["summary_detail"] = {"type": "text/plain"}
    rating = group.find(f"{MEDIA}community/{MEDIA}starRating")
    if rating is not None:
        entry["media_starrating"] = dict(rating.attrib)
    statistics = group.find(f"{MEDIA}community/{MEDIA}statistics")
    if statistics is not None:
        entry["media_statistics"] = dict(statistics.attrib)


def parse_fast(
    body: bytes, base_url: str | None = None
) -> tuple[str, dict[str, Any], list[dict[str, Any]]] | None:
    """(version, feed, entries) for a well-formed RSS/RDF/Atom feed, else None; `base_url`
    (the feed's URL) resolves relative permalink guids as feedparser does."""
    body = body.removeprefix(b"\xef\xbb\xbf").lstrip()  # blank lines before <?xml are common
    head = body[:4096]
    if b"<!ENTITY" in head or b"<!entity" in head:
        return None  # entity declarations: let the guarded path deal with them
    if b"&" in body:
        body = _HTML_ENTITY.sub(_numeric_reference, body)
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, ValueError, LookupError):
        return None
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            return None
        items = channel.findall("item")
        feed = {
            "title": _text(channel.find("title")),
            "title_detail": {"type": _HTML},
            "language": _text(channel.find("language")),
        }
        author = _text(channel.find(f"{ITUNES}author")) or _text(channel.find("managingEditor"))
        if author and author.strip():
            feed["author"] = author.strip()
        version = "rss20" if root.get("version", "").startswith("2") else "rss"
        return version, feed, [_rss_item(i, "", base_url) for i in items]
    if root.tag == f"{RDF}RDF":
        channel = root.find(f"{RSS1}channel")
        feed = {
            "title": _text(channel.find(f"{RSS1}title")) if channel is not None else None,
            "title_detail": {"type": "text/plain"},
            "language": _text(channel.find(f"{DC}language")) if channel is not None else None,
        }
        return "rss10", feed, [_rss_item(i, RSS1, base_url) for i in root.findall(f"{RSS1}item")]
    if root.tag == f"{ATOM}feed":
        lang = root.get(XML_LANG)
        title, title_type = _atom_text(root.find(f"{ATOM}title"))
        feed = {"title": title, "title_detail": {"type": title_type}, "language": lang}
        name = _text(root.find(f"{ATOM}author/{ATOM}name"))
        if name and name.strip():
            feed["author_detail"] = {"name": name.strip()}
        return "atom10", feed, [_atom_entry(e, lang) for e in root.findall(f"{ATOM}entry")]
    return None
