"""`earshot check DRAFT_FILE`: tag a draft with the configured NLP pipeline, then ask the
digest engine (reports.check) about the topics it touches. Read-only on the warehouse: stale
digest facts are an error (`warehouse.facts.StaleFacts`), never refreshed here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from earshot.pipelines import tagging
from earshot.pipelines.config import ConfigError, LoadedConfig
from earshot.reports.check import DraftCheck, check_draft, draft_text, format_check
from earshot.warehouse import open_warehouse
from earshot.warehouse.facts import require_fresh
from earshot.warehouse.weeks import last_complete_week


def check_draft_file(loaded: LoadedConfig, draft: Path, now: datetime) -> tuple[DraftCheck, str]:
    try:
        markdown = draft.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{draft}: cannot read the draft: {exc}") from None
    text = draft_text(markdown)
    annotation = next(iter(tagging.build_enricher(loaded).annotate([("draft", text, None)])))
    topic_ids = [t.topic_id for t in annotation.topics]
    bucket_ids = sorted({t.bucket_id for t in annotation.topics if t.bucket_id})
    cfg = loaded.config
    week = last_complete_week(now, cfg.timezone)
    con = open_warehouse(loaded.warehouse_path, read_only=True)
    try:
        require_fresh(con)
        result = check_draft(
            con,
            topic_ids=topic_ids,
            bucket_ids=bucket_ids,
            week=week,
            now=now,
            language=cfg.digest.language,
        )
    finally:
        con.close()
    return result, format_check(result, unmatched=not topic_ids, language=cfg.digest.language)
