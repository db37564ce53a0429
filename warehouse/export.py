"""Archive export: posts, annotations and topic tags as Parquet, one folder per month.

`DIR/posts/month=2026-10/data_0.parquet` (Hive partitioning): DuckDB, Spark, pandas and
object-storage query engines read the folders back with the month as a column. A post's month
is that of `published_at` (`fetched_at` when the source gave no date), in UTC; annotations and
topic tags go into the month of their post.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.connection import WarehouseError

_MONTH = "strftime(coalesce(p.published_at, p.fetched_at) AT TIME ZONE 'UTC', '%Y-%m')"

_OF_POST = "JOIN _posts p USING (post_id)"
EXPORTS: dict[str, str] = {
    "posts": f"SELECT p.*, {_MONTH} AS month FROM _posts p",
    "annotations": f"SELECT a.*, {_MONTH} AS month FROM _annotations a {_OF_POST}",
    "post_topics": f"SELECT t.*, {_MONTH} AS month FROM _post_topics t {_OF_POST}",
}


def export_parquet(con: duckdb.DuckDBPyConnection, out: str | Path) -> dict[str, int]:
    """Write every table of `EXPORTS` to `out/<table>/month=YYYY-MM/*.parquet`.

    A table's folder is replaced as a whole, so an export is a complete snapshot. Returns
    the rows written per table.
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseError(f"{out}: cannot create the export folder: {exc}") from exc
    written: dict[str, int] = {}
    for table, query in EXPORTS.items():
        folder = out / table
        try:
            row = con.execute(
                f"COPY ({query}) TO '{_quoted(folder)}' "
                "(FORMAT parquet, PARTITION_BY (month), OVERWRITE, COMPRESSION zstd)"
            ).fetchone()
        except duckdb.Error as exc:
            raise WarehouseError(f"{folder}: export of {table} failed: {exc}") from exc
        written[table] = int(row[0]) if row else 0
    return written


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
