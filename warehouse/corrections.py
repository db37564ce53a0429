"""Corrections made in Explore: stored as labels (`_labels`, origin 'explore') or as a
question's answered mark (`_answered_questions`), each in one short transaction under the
writer lock, with the post's week marked for the digest facts.

`str(exc)` of every refusal names the field: "post_id: no stored post 'x'".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from earshot.warehouse.connection import WarehouseError, transaction, writing
from earshot.warehouse.facts import mark_posts_dirty
from earshot.warehouse.labels import SENTIMENTS


class CorrectionError(WarehouseError):
    """A correction that cannot be stored; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class UnknownRecord(CorrectionError):
    """The correction names a post or topic the warehouse does not have."""


@dataclass(frozen=True, slots=True)
class Correction:
    """A stored correction, as `POST /api/corrections` answers it."""

    correction_id: str  # 'label-<label_id>' | 'answered-<answer_id>' (the `corrections` view's)
    kind: str  # 'not about topic' | 'about topic' | 'sentiment' | 'question answered'
    post_id: str
    topic_id: str | None
    relevant: bool | None
    sentiment: str | None
    corrected_by: str
    corrected_at: datetime


def store_correction(
    warehouse_path: str | Path,
    *,
    post_id: str,
    by: str,
    now: datetime,
    topic_id: str | None = None,
    relevant: bool | None = None,
    sentiment: str | None = None,
    answered: bool = False,
    lock_timeout_seconds: float = 60.0,
) -> Correction:
    """Store one correction (exactly one of: topic_id + relevant, sentiment, answered)."""
    kinds = sum([relevant is not None or topic_id is not None, sentiment is not None, answered])
    if kinds != 1:
        raise CorrectionError(
            "correction", "give topic_id + relevant, or sentiment, or answered (exactly one)"
        )
    if (topic_id is None) != (relevant is None):
        raise CorrectionError(
            "relevant" if relevant is None else "topic_id", "topic_id and relevant go together"
        )
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise CorrectionError(
            "sentiment", f"{sentiment!r}: expected one of {', '.join(SENTIMENTS)}"
        )
    # the schema brought up to date once per process and warehouse (re-applying every view
    # on each correction cost as much as the insert: a catalog write to check point)
    key = _identity(warehouse_path)
    with (
        writing(
            warehouse_path,
            lock_timeout_seconds=lock_timeout_seconds,
            migrate=key not in _migrated,
            holder="explore",
        ) as con,
        transaction(con),
    ):
        _migrated.add(_identity(warehouse_path))
        _check_known(con, post_id, topic_id)
        if answered:
            row = con.execute(
                "INSERT INTO _answered_questions (post_id, answered_by, answered_at) "
                "VALUES (?, ?, ?) RETURNING answer_id",
                [post_id, by, now],
            ).fetchone()
            assert row is not None
            return Correction(
                f"answered-{int(row[0])}", "question answered", post_id, None, None, None, by, now
            )
        row = con.execute(
            "INSERT INTO _labels (post_id, sentiment, topic_id, relevant, labelled_by, "
            "labelled_at, origin) VALUES (?, ?, ?, ?, ?, ?, 'explore') RETURNING label_id",
            [post_id, sentiment, topic_id, relevant, by, now],
        ).fetchone()
        assert row is not None
        label_id = int(row[0])
        # the label wins over the analysis: the post's week is recounted by the next refresh
        mark_posts_dirty(con, f"SELECT post_id FROM _labels WHERE label_id = {label_id}")
    if sentiment is not None:
        kind = "sentiment"
    else:
        kind = "about topic" if relevant else "not about topic"
    return Correction(f"label-{label_id}", kind, post_id, topic_id, relevant, sentiment, by, now)


def prepare_corrections(warehouse_path: str | Path, *, lock_timeout_seconds: float = 60.0) -> None:
    """Bring the warehouse's schema up to date (migration 0011 holds the answered marks), once,
    when Explore starts, so that a correction's write is only its insert."""
    with writing(
        warehouse_path, lock_timeout_seconds=lock_timeout_seconds, migrate=True, holder="explore"
    ):
        _migrated.add(_identity(warehouse_path))


_migrated: set[tuple[Path, int]] = set()  # warehouses (path, inode) this process brought up to date


def _identity(path: str | Path) -> tuple[Path, int]:
    """The warehouse file by path and inode (a file made anew at the same path is another)."""
    resolved = Path(path).resolve()
    try:
        return resolved, resolved.stat().st_ino
    except FileNotFoundError:
        return resolved, -1


def _check_known(con: duckdb.DuckDBPyConnection, post_id: str, topic_id: str | None) -> None:
    if con.execute("SELECT 1 FROM _posts WHERE post_id = ?", [post_id]).fetchone() is None:
        raise UnknownRecord("post_id", f"no stored post {post_id!r}")
    if (
        topic_id is not None
        and con.execute("SELECT 1 FROM _topics WHERE topic_id = ?", [topic_id]).fetchone() is None
    ):
        raise UnknownRecord("topic_id", f"{topic_id!r} is not a configured topic")


def answered_questions(con: duckdb.DuckDBPyConnection, post_ids: list[str]) -> set[str]:
    """Which of `post_ids` were marked answered (a read of the small answered table)."""
    if not post_ids:
        return set()
    try:
        rows = con.execute(
            "SELECT DISTINCT post_id FROM _answered_questions "
            "WHERE post_id IN (SELECT unnest(?::VARCHAR[]))",
            [post_ids],
        ).fetchall()
    except duckdb.CatalogException:  # a copy published before migration 0011
        return set()
    return {r[0] for r in rows}
