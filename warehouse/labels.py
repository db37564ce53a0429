"""Labels: the organisation's judgement of sentiment and topic relevance, read from files
and stored in `_labels` (all rows of a file or none), and read back for learning and export.

A label file is CSV or TSV with a header: `text` (or `post_id`, or `url`), optional `lang`,
and `sentiment` (negative|neutral|positive) and/or `topic` + `relevant` (true|false). The
GermEval 2017 TSV (no header: url, text, relevance, sentiment, aspects) is read as it is.
Every refusal names the file, the line and the column: "<file>:<line>: <column>: <what>".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from earshot.warehouse.connection import WarehouseError, transaction
from earshot.warehouse.facts import mark_posts_dirty

SENTIMENTS = ("negative", "neutral", "positive")
COLUMNS = ("text", "post_id", "url", "lang", "sentiment", "topic", "relevant")
# columns `earshot labels export` adds; an exported file imports again (they are not read)
EXPORT_ONLY = ("label_id", "labelled_by", "labelled_at", "origin", "origin_ref")
FORMATS = ("csv", "tsv", "germeval2017")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_LANG = re.compile(r"^[a-z]{2,3}$")


class LabelFileError(WarehouseError):
    """A label file that cannot be imported: `str(exc)` is "<file>:<line>: <column>: <what>"."""

    def __init__(self, path: str, line: int, column: str | None, message: str) -> None:
        where = f"{path}:{line}: " + (f"{column}: " if column else "")
        super().__init__(where + message)
        self.path, self.line, self.column = path, line, column


@dataclass(frozen=True, slots=True)
class LabelRow:
    """One label as a file gives it; `line` is where its record starts."""

    line: int
    text: str | None = None
    post_id: str | None = None
    url: str | None = None
    lang: str | None = None
    sentiment: str | None = None
    topic_id: str | None = None
    relevant: bool | None = None


@dataclass(frozen=True, slots=True)
class LabelledText:
    """A label as learning sees it: the text (the label's own or its post's) and the label."""

    label_id: int
    post_id: str | None
    text: str
    lang: str | None  # the label's, else the post's stored language, else None
    sentiment: str | None
    topic_id: str | None
    relevant: bool | None


def label_format(path: Path, fmt: str | None) -> str:
    """The file's format: `fmt` when given, else by suffix (.tsv/.tab: tsv, else csv)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise WarehouseError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
        return fmt
    return "tsv" if path.suffix.lower() in {".tsv", ".tab"} else "csv"


def read_label_file(
    path: str | Path, fmt: str | None = None, *, topic: str | None = None
) -> list[LabelRow]:
    """Every label of the file, or `LabelFileError` at the first bad row (nothing returned).

    `topic`: for GermEval 2017, the topic its relevance column judges (without it only the
    sentiment is read).
    """
    path = Path(path)
    kind = label_format(path, fmt)
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WarehouseError(f"{name}: cannot read the label file: {exc.strerror}") from None
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LabelFileError(name, line, None, "not UTF-8 text") from None
    if kind == "germeval2017":
        return list(_germeval_rows(name, content, topic))
    return list(_table_rows(name, content, delimiter="\t" if kind == "tsv" else ","))


def _records(content: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, fields) of each non-empty record."""
    source = io.StringIO(content, newline="")
    # TSV is one record per line, quotes are text (GermEval's texts hold stray quotes)
    reader = (
        csv.reader(source, delimiter="\t", quoting=csv.QUOTE_NONE)
        if delimiter == "\t"
        else csv.reader(source, delimiter=delimiter)
    )
    start = 1
    for fields in reader:
        if any(f.strip() for f in fields):
            yield start, fields
        start = reader.line_num + 1


def _table_rows(name: str, content: str, delimiter: str) -> Iterator[LabelRow]:
    records = _records(content, delimiter)
    try:
        header_line, header = next(records)
    except StopIteration:
        raise LabelFileError(name, 1, None, "empty file; expected a header row") from None
    columns = [h.strip().lower() for h in header]
    for column in columns:
        if column not in COLUMNS and column not in EXPORT_ONLY:
            raise LabelFileError(
                name, header_line, column or "(empty)", f"unknown column; expected {COLUMNS}"
            )
    if len(set(columns)) != len(columns):
        twice = next(c for c in columns if columns.count(c) > 1)
        raise LabelFileError(name, header_line, twice, "column given twice")
    if not {"text", "post_id", "url"} & set(columns):
        raise LabelFileError(name, header_line, None, "needs a column text, post_id or url")
    if "sentiment" not in columns and not {"topic", "relevant"} <= set(columns):
        raise LabelFileError(
            name, header_line, None, "needs a column sentiment, or columns topic and relevant"
        )
    for line, fields in records:
        if len(fields) != len(columns):
            raise LabelFileError(
                name, line, None, f"{len(fields)} fields, the header has {len(columns)}"
            )
        values = {c: (v.strip() or None) for c, v in zip(columns, fields, strict=True)}
        yield _label_row(name, line, values)


def _label_row(name: str, line: int, values: dict[str, str | None]) -> LabelRow:
    text = values.get("text")
    if not (text or values.get("post_id") or values.get("url")):
        raise LabelFileError(name, line, None, "needs a text, post_id or url")
    lang = values.get("lang")
    if lang is not None:
        lang = lang.lower()
        if not _LANG.match(lang):
            raise LabelFileError(name, line, "lang", f"{lang!r}: expected a language code")
    sentiment = values.get("sentiment")
    if sentiment is not None:
        sentiment = sentiment.lower()
        if sentiment not in SENTIMENTS:
            raise LabelFileError(
                name, line, "sentiment", f"{sentiment!r}: expected one of {', '.join(SENTIMENTS)}"
            )
    topic, relevant_text = values.get("topic"), values.get("relevant")
    relevant: bool | None = None
    if relevant_text is not None:
        folded = relevant_text.lower()
        if folded not in _TRUE | _FALSE:
            raise LabelFileError(
                name, line, "relevant", f"{relevant_text!r}: expected true or false"
            )
        relevant = folded in _TRUE
    if (topic is None) != (relevant is None):
        missing = "relevant" if relevant is None else "topic"
        raise LabelFileError(name, line, missing, "topic and relevant go together")
    if sentiment is None and topic is None:
        raise LabelFileError(
            name, line, "sentiment", "empty: give a sentiment, or topic + relevant"
        )
    return LabelRow(
        line, text, values.get("post_id"), values.get("url"), lang, sentiment, topic, relevant
    )


def _germeval_rows(name: str, content: str, topic: str | None) -> Iterator[LabelRow]:
    """GermEval 2017: url TAB text TAB relevance TAB sentiment [TAB aspects], no header."""
    columns = ("url", "text", "relevance", "sentiment")
    for line, fields in _records(content, "\t"):
        if len(fields) < 4:
            raise LabelFileError(
                name, line, columns[len(fields)], "missing (url, text, relevance, sentiment)"
            )
        url, text, relevance, sentiment = (f.strip() for f in fields[:4])
        values = {
            "text": text,
            "url": url.replace("\\_", "_") or None,  # the file escapes underscores
            "lang": "de",
            "sentiment": sentiment,
            "topic": topic,
            "relevant": relevance if topic else None,
        }
        try:
            yield _label_row(name, line, {k: v or None for k, v in values.items()})
        except LabelFileError as exc:
            column = {"relevant": "relevance"}.get(exc.column or "", exc.column)
            raise LabelFileError(name, line, column, str(exc).split(": ", 2)[-1]) from None


_INCOMING = pa.schema(
    [
        ("post_id", pa.string()),
        ("text", pa.string()),
        ("url", pa.string()),
        ("lang", pa.string()),
        ("sentiment", pa.string()),
        ("topic_id", pa.string()),
        ("relevant", pa.bool_()),
        ("origin_ref", pa.string()),
    ]
)


def store_labels(
    con: duckdb.DuckDBPyConnection,
    rows: Sequence[LabelRow],
    *,
    source: str,
    labelled_by: str,
    now: datetime,
    origin: str = "file",
) -> int:
    """Store every row in one transaction, or none (`LabelFileError` naming the row).

    A `post_id` must be a stored post and a `topic` a configured one; a `url` names the
    stored post with that URL, and without a `text` it must name one. The weeks of labelled
    stored posts are marked for the digest facts, since their label wins over the analysis
    (sentiment) and over the topic tags (relevance).
    """
    if not rows:
        return 0
    with transaction(con):
        wanted = sorted({r.post_id for r in rows if r.post_id})
        known = {
            pid
            for (pid,) in con.execute(
                "SELECT post_id FROM _posts WHERE post_id IN (SELECT unnest(?::VARCHAR[]))",
                [wanted],
            ).fetchall()
        }
        urls = sorted({r.url for r in rows if r.url and not r.post_id})
        by_url = dict(
            con.execute(
                "SELECT url, min(post_id) FROM _posts "
                "WHERE url IN (SELECT unnest(?::VARCHAR[])) GROUP BY url",
                [urls],
            ).fetchall()
        )
        topics = {tid for (tid,) in con.execute("SELECT topic_id FROM _topics").fetchall()}
        records = []
        for r in rows:
            post_id = r.post_id
            if post_id is not None and post_id not in known:
                raise LabelFileError(source, r.line, "post_id", f"no stored post {post_id!r}")
            if post_id is None and r.url:
                post_id = by_url.get(r.url)
                if post_id is None and not r.text:
                    raise LabelFileError(
                        source, r.line, "url", f"no stored post has the URL {r.url!r}; add its text"
                    )
            if r.topic_id is not None and r.topic_id not in topics:
                raise LabelFileError(
                    source,
                    r.line,
                    "topic",
                    f"{r.topic_id!r} is not a topic of the config; known: "
                    + ", ".join(sorted(topics)),
                )
            records.append(
                {
                    "post_id": post_id,
                    "text": r.text,
                    "url": r.url,
                    "lang": r.lang,
                    "sentiment": r.sentiment,
                    "topic_id": r.topic_id,
                    "relevant": r.relevant,
                    "origin_ref": f"{source}:{r.line}",
                }
            )
        incoming = pa.Table.from_pylist(records, schema=_INCOMING)
        con.register("_incoming_labels", incoming)
        try:
            con.execute(
                "INSERT INTO _labels (post_id, text, url, lang, sentiment, topic_id, relevant, "
                "labelled_by, labelled_at, origin, origin_ref) "
                "SELECT post_id, text, url, lang, sentiment, topic_id, relevant, "
                "$by, $now, $origin, origin_ref FROM _incoming_labels",
                {"by": labelled_by, "now": now, "origin": origin},
            )
            # a sentiment label wins over the analysis, a relevance label over the topic
            # tags: either changes the post's figures
            mark_posts_dirty(con, "SELECT post_id FROM _incoming_labels WHERE post_id IS NOT NULL")
        finally:
            con.unregister("_incoming_labels")
    return len(records)


def labelled_texts(con: duckdb.DuckDBPyConnection) -> list[LabelledText]:
    """Every label's newest verdict per text (or post) and kind, with its text, for learning.

    A later label of the same post or text and the same kind (sentiment, or relevance to one
    topic) supersedes an earlier one.
    """
    rows = con.execute(
        """
        WITH l AS (
            SELECT l.*, coalesce(l.text, CASE WHEN p.title IS NULL OR p.title = '' THEN p.text
                                   WHEN p.text = '' THEN p.title
                                   ELSE p.title || E'\\n' || p.text END) AS body,
                   coalesce(l.lang, a.lang) AS language
            FROM _labels l
            LEFT JOIN _posts p USING (post_id)
            LEFT JOIN _annotations a USING (post_id)
        ),
        kinds AS (
            SELECT label_id, post_id, body, language, sentiment, NULL AS topic_id,
                   NULL::BOOLEAN AS relevant, coalesce(post_id, body) AS subject, '' AS kind
            FROM l WHERE sentiment IS NOT NULL
            UNION ALL
            SELECT label_id, post_id, body, language, NULL, topic_id, relevant,
                   coalesce(post_id, body), topic_id
            FROM l WHERE topic_id IS NOT NULL
        )
        SELECT label_id, post_id, body, language, sentiment, topic_id, relevant
        FROM kinds
        WHERE body IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY subject, kind ORDER BY label_id DESC) = 1
        ORDER BY label_id, topic_id NULLS FIRST
        """
    ).fetchall()
    return [LabelledText(*row) for row in rows]


EXPORT_COLUMNS = (*COLUMNS, *EXPORT_ONLY)


def export_rows(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[object, ...]]:
    """The `labels` view as rows of `EXPORT_COLUMNS` (the import format, then provenance)."""
    cursor = con.execute(
        """
        SELECT CASE WHEN post_id IS NULL THEN text END, post_id, url, lang, sentiment,
               topic_id, relevant, label_id, labelled_by, labelled_at, origin, origin_ref
        FROM labels ORDER BY label_id
        """
    )
    while batch := cursor.fetchmany(1000):
        yield from batch
