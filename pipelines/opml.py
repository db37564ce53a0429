"""`earshot sources import-opml`: append an OPML file's feeds to `listening.yaml`.

The YAML is appended to as text, so the user's comments and layout stay as they were; the
result is validated and the file restored if it would not load.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

from earshot.listeners.feeds.discover import read_opml
from earshot.pipelines.config import ConfigError, load_config


class OpmlImportError(Exception):
    """The OPML file or the resulting config is unusable; the config is left unchanged."""


def source_id_for(title: str | None, url: str, taken: set[str]) -> str:
    """A readable, unique id: 'Heise Online News' -> 'heise-online-news', then '-2', '-3'."""
    plain = unicodedata.normalize("NFKD", (title or "").casefold().replace("ß", "ss"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    base = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:48].strip("-")
    if not base or not base[0].isalnum():
        host = re.sub(r"[^a-z0-9]+", "-", url.split("//", 1)[-1].split("/", 1)[0].lower())
        base = host.strip("-")[:48] or "feed"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def import_opml_into(
    config_path: Path, opml_path: Path, *, lang: str | None = None
) -> tuple[list[str], int]:
    """Add the OPML's feeds as sources; return (new ids, number already configured)."""
    try:
        feeds = read_opml(opml_path.read_bytes())
    except OSError as exc:
        raise OpmlImportError(f"{opml_path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise OpmlImportError(f"{opml_path}: {exc}") from None
    original = config_path.read_text(encoding="utf-8")
    loaded = load_config(config_path)
    taken = {s.id for s in loaded.config.sources}
    known = {str(s.url).rstrip("/") for s in loaded.config.sources}
    if re.search(r"^sources:[ \t]*[^\s#]", original, flags=re.M):
        raise OpmlImportError(
            f"{config_path}: `sources:` must be a block list (one `- id: ...` per entry) to add to"
        )
    added: list[str] = []
    skipped = 0
    lines: list[str] = []
    for feed in feeds:
        if feed.url.rstrip("/") in known:
            skipped += 1
            continue
        known.add(feed.url.rstrip("/"))
        source_id = source_id_for(feed.title, feed.url, taken)
        entry = {"id": source_id, "kind": "feed", "url": feed.url}
        language = lang or _language(feed.language)
        if language:
            entry["lang"] = language
        dumped = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False).rstrip("\n")
        if feed.title:  # the title as a comment on the entry's first line
            first, _, rest = dumped.partition("\n")
            dumped = f"{first}  # {' '.join(feed.title.split())}\n{rest}"
        lines.append(dumped)
        added.append(source_id)
    if not added:
        return added, skipped
    config_path.write_text(_with_sources(original, lines), encoding="utf-8")
    try:
        load_config(config_path)
    except ConfigError as exc:
        config_path.write_text(original, encoding="utf-8")
        raise OpmlImportError(f"the imported feeds would break the config ({exc})") from None
    return added, skipped


def _with_sources(text: str, entries: list[str]) -> str:
    """`text` with `entries` (YAML list items) added at the end of its `sources:` block."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"sources:\s*$", line)), None)
    if start is None:
        body = text if text.endswith("\n") or not text else text + "\n"
        return body + "sources:\n" + "".join(_indented(e, "  ") + "\n" for e in entries)
    first = _first_item(lines, start)
    item = re.match(r"(\s*)- ", lines[first]) if first < len(lines) else None
    indent = item.group(1) if item else "  "
    last = start
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if re.match(r"[A-Za-z_]", line):
            break  # the next top-level key
        if line.strip() and not line.startswith("#"):
            last = i  # a line of the block (comments at column 0 may belong to the next)
    added = [_indented(e, indent) for e in entries]
    result = [*lines[: last + 1], *added, *lines[last + 1 :]]
    return "\n".join(result) + "\n"


def _first_item(lines: list[str], start: int) -> int:
    return next(
        (i for i in range(start + 1, len(lines)) if re.match(r"\s*- ", lines[i])), len(lines)
    )


def _indented(block: str, indent: str) -> str:
    return "\n".join(indent + line for line in block.splitlines())


def _language(value: str | None) -> str | None:
    primary = (value or "").replace("_", "-").split("-", 1)[0].lower()
    return primary if len(primary) == 2 and primary.isalpha() else None
