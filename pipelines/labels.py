"""Importing a label file (`earshot labels import`) into the warehouse, all rows or none."""

from __future__ import annotations

from pathlib import Path

from earshot.pipelines import jobs
from earshot.pipelines.config import LoadedConfig
from earshot.warehouse.labels import read_label_file, store_labels


def import_labels(
    loaded: LoadedConfig,
    path: Path,
    *,
    fmt: str | None = None,
    topic: str | None = None,
    labelled_by: str | None = None,
) -> int:
    """Import a label file: every row in one transaction under the writer lock, or none.

    The file is read and checked before the lock is taken; the rows that name stored posts
    or topics are checked against the warehouse inside the transaction. Publishes the
    analytics copy after, so the `labels` view shows them.
    """
    rows = read_label_file(path, fmt, topic=topic)
    with jobs.warehouse(loaded):  # migrated, taxonomy synced: topics can be checked
        pass
    with jobs.write_session(loaded) as con:
        stored = store_labels(
            con, rows, source=str(path), labelled_by=labelled_by or _user(), now=jobs.utcnow()
        )
        jobs.refresh_digest_facts(con)
    jobs.publish_analytics(loaded)
    return stored


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
