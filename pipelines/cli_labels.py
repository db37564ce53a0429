"""`earshot labels` output: the labels as a CSV or TSV file that imports again (`export`),
and the posts to label next as tab-separated lines (`next`)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from earshot.warehouse.labels import EXPORT_COLUMNS

if TYPE_CHECKING:
    from earshot.warehouse.teach import TeachItem


def write_labels(rows: Sequence[Sequence[object]], out: Path | None, *, tsv: bool) -> None:
    """Write `EXPORT_COLUMNS` and every label row (`labels.export_rows`) as CSV, or TSV (one
    line per label, no quoting: as the import reads TSV), to `out` or standard output."""
    handle = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        writer = csv.writer(handle)
        for row in [EXPORT_COLUMNS, *rows]:
            cells = [_export_cell(v, tsv=tsv) for v in row]
            if tsv:  # one line per label, no quoting: as the import reads TSV
                handle.write("\t".join(cells) + "\n")
            else:
                writer.writerow(cells)
    finally:
        if out:
            handle.close()
    if out:
        Console(stderr=True).print(f"[green]exported[/] {len(rows)} label(s) to {out}")


def _export_cell(value: object, *, tsv: bool) -> str:
    """A label's field as text: booleans as true/false, times in ISO 8601; in TSV, tabs and
    line breaks of a text become spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return " ".join(text.replace("\t", " ").splitlines()) if tsv else text


def print_next(items: Sequence[TeachItem]) -> None:
    """One line per post to label (post id, topic, week, question, text on one line) on
    standard output; what to do with them on standard error."""
    for item in items:
        text = " ".join(item.text.split())
        question = "relevant" if item.question == "relevance" else "sentiment"
        print(f"{item.post_id}\t{item.topic_id}\t{item.week}\t{question}\t{text}")
    Console(stderr=True).print(
        f"{len(items)} post(s) to label: write post_id,sentiment lines (post_id,topic,relevant "
        "for a relevant question) and `earshot labels import` them",
        highlight=False,
    )
