"""Named entities in the warehouse: one `_post_entities` row per entity a trained NER found.

`write_entities` runs inside the caller's transaction (the one that stores the posts'
annotations), so entities and annotations of a batch commit together; `store_entities` is the
same in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

from earshot.nlp.records import Annotation
from earshot.warehouse.connection import transaction

_ENTITY_SCHEMA = pa.schema(
    [
        ("post_id", pa.string()),
        ("label", pa.string()),
        ("text", pa.string()),
        ("start_char", pa.int32()),
        ("end_char", pa.int32()),
        ("pipeline_version", pa.string()),
        ("load_id", pa.string()),
    ]
)
_COLUMNS = ", ".join(_ENTITY_SCHEMA.names)


def write_entities(
    con: duckdb.DuckDBPyConnection,
    annotations: Sequence[Annotation],
    *,
    pipeline_version: str,
    load_id: str,
) -> int:
    """Replace the entities of these posts (a post may have none); return the rows written.

    No transaction of its own: call it inside the transaction that stores `annotations`.
    """
    if not annotations:
        return 0
    posts = pa.table({"post_id": pa.array([a.post_id for a in annotations], pa.string())})
    rows = pa.Table.from_pylist(
        [
            {
                "post_id": a.post_id,
                "label": e.label,
                "text": e.text,
                "start_char": e.start_char,
                "end_char": e.end_char,
                "pipeline_version": pipeline_version,
                "load_id": load_id,
            }
            for a in annotations
            for e in dict.fromkeys(a.entities)  # the same span and label once
        ],
        schema=_ENTITY_SCHEMA,
    )
    con.register("_incoming_entity_posts", posts)
    con.register("_incoming_entities", rows)
    try:
        con.execute(
            "DELETE FROM _post_entities "
            "WHERE post_id IN (SELECT post_id FROM _incoming_entity_posts)"
        )
        if rows.num_rows:
            con.execute(
                f"INSERT INTO _post_entities ({_COLUMNS}) SELECT {_COLUMNS} FROM _incoming_entities"
            )
    finally:
        con.unregister("_incoming_entity_posts")
        con.unregister("_incoming_entities")
    return rows.num_rows


def store_entities(
    con: duckdb.DuckDBPyConnection,
    annotations: Sequence[Annotation],
    *,
    pipeline_version: str,
    load_id: str,
) -> int:
    """`write_entities` in a transaction of its own."""
    with transaction(con):
        written = write_entities(
            con, annotations, pipeline_version=pipeline_version, load_id=load_id
        )
    return written
