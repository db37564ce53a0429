"""What each flow run returns: the figures the CLI prints and the Prefect UI shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from earshot.listeners.records import FetchResult, FetchStatus


@dataclass
class CollectSummary:
    load_id: str
    sources_due: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    posts_added: int = 0
    raw_pruned: int = 0  # posts whose raw JSON passed warehouse.raw_retention_days
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)  # sources read, but not whole

    def count(self, result: FetchResult) -> None:
        """Count one source's fetch by its status (a failure with its error, an answer read
        but not whole with its warning)."""
        if result.status is FetchStatus.OK:
            self.ok += 1
            if result.warning:
                self.warnings[result.source_id] = result.warning
        elif result.status is FetchStatus.NOT_MODIFIED:
            self.not_modified += 1
        else:
            self.failed += 1
            self.errors[result.source_id] = result.error or "unknown error"

    def load_details(self) -> dict[str, object]:
        """What the collect's load records beside the posts it added."""
        return {
            "ok": self.ok,
            "not_modified": self.not_modified,
            "failed": self.failed,
            "errors": self.errors,
            "warnings": self.warnings,
            "raw_pruned": self.raw_pruned,
        }


@dataclass
class EnrichSummary:
    load_id: str
    pipeline_version: str
    stale_before: int = 0
    annotated: int = 0


@dataclass
class DigestSummary:
    week: str
    folder: str
    sent: bool
    audience_posts: int
    no_source_reachable: bool
    retried: dict[str, str] = field(default_factory=dict)  # earlier week -> 'sent' or error
