"""Archive export: the documented analyst views as Parquet or CSV, from the analytics copy.

Views whose rows are posts or belong to one post (`POST_VIEWS`) go into one folder per month,
Hive-partitioned: `DIR/posts/month=2026-10/data_0.parquet`; DuckDB, Spark, pandas and
object-storage query engines read the folders back with the month as a column. A post's month
is that of `published_at` (`fetched_at` when the source gave no date), in UTC; the rows of the
other post views go into the month of their post. The weekly, taxonomy and source views are a
few rows per week or source and are one file each: `DIR/topic_weekly.parquet`.

CSV has the same layout (`DIR/posts/month=2026-10/data_0.csv`, `DIR/weeks.csv`) with a header
row; list columns (key terms, matched terms) are written as JSON arrays.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from earshot.warehouse.connection import WarehouseError

FORMATS = ("parquet", "csv")

# Documented views whose rows are posts' rows: exported by month of their post.
POST_VIEWS = (
    "posts",
    "post_topics",
    "post_entities",
    "post_weeks",
    "audience_questions",
    "post_topics_rejected",
)
# The other documented views (README, "For analysts" and "The weekly digest"): one file each.
WHOLE_VIEWS = (
    "topics",
    "buckets",
    "weeks",
    "topic_weekly",
    "source_health",
    "topic_movement",
    "term_movement",
    "emerging_terms",
    "topic_share_4w",
    "bucket_balance_4w",
    "week_coverage",
    "week_languages",
    "labels",
)
EXPORTED_VIEWS = POST_VIEWS + WHOLE_VIEWS

_MONTH = "strftime(coalesce(p.published_at, p.fetched_at) AT TIME ZONE 'UTC', '%Y-%m')"


def export_views(
    con: duckdb.DuckDBPyConnection, out: str | Path, fmt: str = "parquet"
) -> dict[str, int]:
    """Write every view of `EXPORTED_VIEWS` under `out` as `fmt` ('parquet' or 'csv').

    A view's folder (or file) is replaced as a whole, so an export is a complete snapshot.
    Returns the rows written per view.
    """
    if fmt not in FORMATS:
        raise WarehouseError(f"export: unknown format {fmt!r}; expected parquet or csv")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseError(f"{out}: cannot create the export folder: {exc}") from exc
    written: dict[str, int] = {}
    for view in EXPORTED_VIEWS:
        columns = _columns(con, view, fmt)
        if view in POST_VIEWS:
            target = out / view
            if view == "posts":
                query = f"SELECT {columns}, {_MONTH} AS month FROM posts p"
            else:
                query = (
                    f"SELECT {columns}, m.month FROM {view} v JOIN "
                    f"(SELECT post_id, {_MONTH} AS month FROM posts p) m USING (post_id)"
                )
            options = "PARTITION_BY (month), OVERWRITE"
        else:
            target = out / f"{view}.{fmt}"
            query = f"SELECT {columns} FROM {view} v"
            options = ""
        options = ", ".join(o for o in (_FORMAT_OPTIONS[fmt], options) if o)
        try:
            row = con.execute(f"COPY ({query}) TO '{_quoted(target)}' ({options})").fetchone()
        except duckdb.Error as exc:
            raise WarehouseError(f"{target}: export of {view} failed: {exc}") from exc
        written[view] = int(row[0]) if row else 0
    return written


_FORMAT_OPTIONS = {
    "parquet": "FORMAT parquet, COMPRESSION zstd",
    "csv": "FORMAT csv, HEADER",
}


def _columns(con: duckdb.DuckDBPyConnection, view: str, fmt: str) -> str:
    """The view's columns, qualified with its alias (`p` for posts, else `v`); for CSV a list
    becomes a JSON array (DuckDB would write `[a, b]`, which no CSV reader splits back)."""
    alias = "p" if view == "posts" else "v"
    try:
        described = con.execute(f"DESCRIBE {view}").fetchall()
    except duckdb.Error as exc:
        raise WarehouseError(f"{view}: no such view in the analytics copy: {exc}") from exc
    columns = []
    for name, kind, *_ in described:
        column = f'{alias}."{name}"'
        if fmt == "csv" and str(kind).endswith("[]"):
            column = f'to_json({column}) AS "{name}"'
        columns.append(column)
    return ", ".join(columns)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
