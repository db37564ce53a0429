"""Opening the DuckDB file: create folders, wait for another writer's lock, migrate."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb


class WarehouseError(Exception):
    """A warehouse problem, with the file it concerns in the message."""


class WarehouseLocked(WarehouseError):
    """Another process holds DuckDB's write lock for longer than we were willing to wait."""


def open_warehouse(
    path: str | Path,
    *,
    read_only: bool = False,
    lock_timeout_seconds: float = 60.0,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (and, when writable, migrate) the warehouse at `path`.

    DuckDB allows one writing process; if another holds the lock we retry with backoff for
    up to `lock_timeout_seconds`, then fail naming the file.
    """
    from warehouse.migrate import migrate  # local import: migrate imports this module

    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"{path}: warehouse file does not exist yet; run `earshot collect`")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": memory_limit} if memory_limit else {}
    )
    deadline = time.monotonic() + lock_timeout_seconds
    delay = 0.1
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"{path}: cannot open warehouse: {exc}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"{path}: another process holds the warehouse write lock "
                    f"(waited {lock_timeout_seconds:.0f} s): {exc}"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    if not read_only:
        migrate(con)
    return con
