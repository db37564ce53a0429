"""The analyst views on the command line: `earshot sql`'s answer (every row as CSV, or its
first rows as a table) and `earshot export`'s files, both from the read-only analytics copy."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from earshot.pipelines.config import LoadedConfig
from earshot.pipelines.inspect import QueryPage
from earshot.warehouse import WarehouseError

SQL_CELL_WIDTH = 60  # characters of a text cell shown in the table (CSV has them whole)


def write_csv(header: Sequence[Any], rows: Iterator[tuple[Any, ...]]) -> None:
    """The header and every row (`inspect.query_rows`, after its header) as CSV on standard
    output; a query failing on the way is one line on standard error, exit 1."""
    writer = csv.writer(sys.stdout)
    writer.writerow(header)
    try:
        writer.writerows(rows)
    except WarehouseError as exc:
        Console(stderr=True).print(f"[bold red]Querying failed:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


def print_page(page: QueryPage) -> None:
    """The page's rows as a table (cells on one line, cut at `SQL_CELL_WIDTH`), and how many
    of the answer's rows it shows on standard error."""
    table = Table()
    for c in page.columns:
        table.add_column(c, overflow="fold")
    for row in page.rows:
        table.add_row(*(_cell(v) for v in row))
    Console().print(table)
    shown = len(page.rows)
    more = "; --limit N, --all or --csv for more" if shown < page.total else ""
    Console(stderr=True).print(f"{shown:,} of {page.total:,} rows{more}", highlight=False)


def _cell(value: object) -> Text:
    # One line per row, and cells as plain text: a post's "[b]" is not Rich markup.
    text = "" if value is None else " ".join(str(value).split())
    if len(text) > SQL_CELL_WIDTH:
        text = text[: SQL_CELL_WIDTH - 1] + "…"
    return Text(text)


def export_analytics_copy(loaded: LoadedConfig, target: Path, fmt: str) -> dict[str, int]:
    """Write the documented analyst views of the analytics copy into `target` as `fmt`
    (`warehouse.export.export_views`); rows written per view."""
    from earshot.warehouse.export import export_views
    from earshot.warehouse.publish import open_analytics_copy

    con = open_analytics_copy(loaded.analytics_path)
    try:
        return export_views(con, target, fmt)
    finally:
        con.close()
