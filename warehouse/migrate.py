"""Forward-only numbered migrations with a checksum table; analyst views re-applied each time."""

from __future__ import annotations

import hashlib
from importlib import resources

import duckdb

from earshot.warehouse.connection import WarehouseError, transaction

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS _migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    checksum   VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def _sql_files(folder: str) -> list[tuple[str, str]]:
    root = resources.files("earshot.warehouse").joinpath(folder)
    files = sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in root.iterdir()
        if entry.name.endswith(".sql")
    )
    return files


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations in order; return the names applied.

    A migration already applied whose file changed since is an error: migrations are
    forward-only, so a change must be a new numbered file.
    """
    con.execute(_BOOKKEEPING)
    applied = {
        version: (name, checksum)
        for version, name, checksum in con.execute(
            "SELECT version, name, checksum FROM _migrations"
        ).fetchall()
    }
    done: list[str] = []
    for name, sql in _sql_files("migrations"):
        version = int(name.split("_", 1)[0])
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if version in applied:
            if applied[version][1] != checksum:
                raise WarehouseError(
                    f"migration {name} was changed after it was applied "
                    f"(checksum {applied[version][1][:12]} in the warehouse, "
                    f"{checksum[:12]} in the file); add a new migration instead"
                )
            continue
        with transaction(con):
            con.execute(sql)
            con.execute(
                "INSERT INTO _migrations (version, name, checksum) VALUES (?, ?, ?)",
                [version, name, checksum],
            )
        done.append(name)
    for _name, sql in _sql_files("views"):
        con.execute(sql)
    return done
