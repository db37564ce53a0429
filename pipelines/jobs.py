"""Plain functions the flows call: they join config, listeners, nlp, warehouse and reports.

No Prefect here, so each step can be tested and reused on its own.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import httpx
from pydantic import HttpUrl

from earshot.listeners.addresses import RedirectGuard
from earshot.listeners.http import HttpPolicy, build_client
from earshot.listeners.news import urls as gdelt_urls
from earshot.listeners.records import FetchResult, SourceSpec
from earshot.listeners.schedule import plan_next_attempt
from earshot.nlp import Enricher, TopicRule
from earshot.nlp.language import LanguageIdentifier
from earshot.nlp.learn import Learned, keep_model, learn_sentiment
from earshot.nlp.records import EnrichResult, PendingPost
from earshot.nlp.relevance import model_path as relevance_model_path
from earshot.nlp.rule_scores import RuleScores
from earshot.nlp.sentiment_model import model_path
from earshot.nlp.tokenizer import split
from earshot.nlp.topics import matcher_identity, rule_to_config
from earshot.pipelines.config import (
    ConfigError,
    LoadedConfig,
    SourceConfig,
    is_stream,
    load_config,
)
from earshot.reports.delivery import SmtpSettings
from earshot.warehouse.annotations import StaleCursor, next_stale, store_enriched
from earshot.warehouse.connection import writing
from earshot.warehouse.facts import refresh_facts
from earshot.warehouse.labels import (
    LabelledText,
    labelled_texts,
    read_label_file,
    store_labels,
)
from earshot.warehouse.publish import Published, publish_analytics_copy
from earshot.warehouse.retention import prune_raw
from earshot.warehouse.sources import (
    FetchRecord,
    SourceRow,
    source_states,
    store_fetches,
    sync_sources,
)
from earshot.warehouse.taxonomy import sync_taxonomy
from earshot.warehouse.topic_definitions import record_topic_definitions

# A source is due a little before its next attempt, so a schedule firing a few seconds
# early does not skip it for a whole interval.
DUE_SLACK = timedelta(minutes=1)


@contextlib.contextmanager
def warehouse(loaded: LoadedConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    """A job's first write: migrate, sync sources and taxonomy from the config.

    Holds the writer lock for the whole block (see `write_session`): keep it short, or use
    it only to start a job and `write_session` for each batch after.
    """
    cfg = loaded.config
    with writing(
        loaded.warehouse_path,
        lock_timeout_seconds=cfg.warehouse.lock_timeout_seconds,
        migrate=True,
    ) as con:
        sync_sources(
            con,
            [SourceRow(s.id, s.kind, str(s.url), s.owned) for s in cfg.sources],
        )
        sync_taxonomy(
            con,
            [(t.id, t.label, t.bucket) for t in cfg.topics],
            [(b.id, b.label, b.target_share) for b in cfg.buckets],
            timezone=cfg.timezone,
        )
        yield con


@contextlib.contextmanager
def write_session(loaded: LoadedConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    """One batch's write: writer lock + a fresh connection, both released at the block's end.

    Writers (collect, enrich, alert, other processes) take turns on the lock; a writer that
    waits longer than `warehouse.lock_timeout_seconds` fails with `WarehouseLocked` naming
    the lock file and its holder. Do the slow work (fetching, NLP) outside the block.
    The warehouse must already be migrated (open it once with `warehouse` first).
    """
    with writing(
        loaded.warehouse_path,
        lock_timeout_seconds=loaded.config.warehouse.lock_timeout_seconds,
    ) as con:
        yield con


def load_job_config(config: str) -> LoadedConfig:
    """The config a flow run reads. A relative path resolves against `$EARSHOT_HOME` when it
    is set (read here, at run time: on a worker, the worker's own), else the working folder.

    Deployments name `listening.yaml`, and a process worker starts each flow run in a fresh
    temporary folder: `EARSHOT_HOME` says where the checkout with its config is.
    """
    path = Path(config).expanduser()
    home = os.environ.get("EARSHOT_HOME")
    if home and not path.is_absolute():
        path = Path(home).expanduser() / path
    try:
        return load_config(path)
    except ConfigError as exc:
        if not path.exists() and not home:
            raise ConfigError(
                f"{exc} (in {Path.cwd()}; set EARSHOT_HOME to the folder holding it)"
            ) from None
        raise


def publish_analytics(loaded: LoadedConfig) -> Published:
    """Replace the analysts' read-only copy with a snapshot of the warehouse as it is now."""
    return publish_analytics_copy(
        loaded.warehouse_path,
        loaded.analytics_path,
        lock_timeout_seconds=loaded.config.warehouse.lock_timeout_seconds,
    )


def refresh_digest_facts(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute the digest facts of the weeks changed since the last refresh; return the weeks.

    Writers own the facts: collect and enrich end their write cycle with this, digest and alert
    start with it (after `warehouse` synced the config). Readers only check (`require_fresh`).
    """
    return refresh_facts(con)


def apply_retention(con: duckdb.DuckDBPyConnection, loaded: LoadedConfig, now: datetime) -> int:
    """Prune raw JSON older than `warehouse.raw_retention_days`; return the posts pruned."""
    keep_days = loaded.config.warehouse.raw_retention_days
    return 0 if keep_days is None else prune_raw(con, now=now, keep_days=keep_days)


def http_policy(loaded: LoadedConfig) -> HttpPolicy:
    cfg = loaded.config
    contact = f"; +{cfg.contact_url}" if cfg.contact_url else ""
    return HttpPolicy(
        user_agent=f"Earshot/0.1 (social listening for {cfg.organisation}{contact})",
        timeout_seconds=cfg.http.timeout_seconds,
        max_body_bytes=int(cfg.http.max_body_mb * 1024 * 1024),
        retries=cfg.http.retries,
        backoff_seconds=cfg.http.backoff_seconds,
        max_seconds_per_attempt=cfg.http.max_seconds_per_attempt,
        min_host_interval_seconds=cfg.http.min_host_interval_seconds,
        host_intervals=_host_intervals(cfg.http.host_intervals),
        redirect_guard=RedirectGuard(
            allow_private=cfg.http.allow_private_redirects,
            trusted_hosts=frozenset(configured_hosts(loaded)),
        ),
    )


def _host_intervals(configured: Mapping[str, float]) -> dict[str, float]:
    """The config's per-host intervals, with GDELT's own rule kept: at most one request every
    5 s (a longer configured interval wins)."""
    gdelt = max(configured.get(gdelt_urls.HOST, 0.0), gdelt_urls.MIN_INTERVAL_SECONDS)
    return {**configured, gdelt_urls.HOST: gdelt}


def configured_hosts(loaded: LoadedConfig) -> set[str]:
    """Hosts named by the sources in the config: redirects to them are always followed."""
    hosts: set[str] = set()
    for source in loaded.config.sources:
        urls = [str(source.url)] + [str(v) for v in vars(source).values() if isinstance(v, HttpUrl)]
        hosts.update(h for u in urls if (h := urlsplit(u).hostname))
    return hosts


def http_client(policy: HttpPolicy) -> httpx.Client:
    return build_client(policy)


@dataclass(frozen=True, slots=True)
class DueSource:
    spec: SourceSpec
    state: dict[str, object]
    interval: timedelta


def due_sources(
    con: duckdb.DuckDBPyConnection,
    loaded: LoadedConfig,
    now: datetime,
    *,
    force: bool = False,
    only: str | None = None,
) -> list[DueSource]:
    """Configured sources whose next attempt has come (all of them with `force`); with
    `only`, that one source, due or not. Stream sources are never due: `earshot stream`
    reads them."""
    states = source_states(con)
    due: list[DueSource] = []
    for s in loaded.config.sources:
        if (only is not None and s.id != only) or is_stream(s):
            continue
        saved = states.get(s.id)
        next_at = saved.next_attempt_at if saved else None
        if force or only is not None or next_at is None or next_at <= now + DUE_SLACK:
            spec = source_spec(s)
            due.append(DueSource(spec, dict(saved.state) if saved else {}, s.interval))
    return due


def source_spec(source: SourceConfig) -> SourceSpec:
    """What a listener is told of a configured source, its secrets read from the environment."""
    return SourceSpec(
        source.id,
        source.kind,
        str(source.url),
        source.owned,
        source.lang,
        options=source.options(),
        secrets={name: os.environ.get(env) for name, env in source.secret_envs().items()},
    )


def record_fetches(
    con: duckdb.DuckDBPyConnection,
    fetched: Sequence[tuple[FetchResult, DueSource]],
    load_id: str,
    attempted_at: datetime,
) -> int:
    """Store fetch results with their sources' states and next attempts, in one transaction;
    return posts added."""
    ids = [result.source_id for result, _due in fetched]
    failures = dict(
        con.execute(
            "SELECT source_id, failure_count FROM _sources WHERE source_id IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).fetchall()
    )
    records = []
    for result, due in fetched:
        quiet = result.state.get("quiet_runs")
        upcoming = plan_next_attempt(
            result.status,
            int(failures.get(result.source_id) or 0) + 1,
            attempted_at,
            due.interval,
            quiet_runs=quiet if isinstance(quiet, int) else 0,
            retry_after_seconds=result.retry_after_seconds,
        )
        records.append(FetchRecord(result, attempted_at, upcoming))
    return store_fetches(con, records, load_id)


def topic_rules(loaded: LoadedConfig) -> list[TopicRule]:
    """The configured taxonomy as the NLP stage sees it."""
    return [
        TopicRule(
            topic_id=t.id,
            bucket_id=t.bucket,
            terms={lang: tuple(terms) for lang, terms in t.terms.items()},
            exclude={lang: tuple(terms) for lang, terms in t.exclude.items()},
            query=t.query,
        )
        for t in loaded.config.topics
    ]


def build_enricher(loaded: LoadedConfig, *, with_models: bool = True) -> Enricher:
    """The configured Enricher, with the learned models in the models folder (`with_models`:
    without them, the rules alone, as learning needs them)."""
    cfg = loaded.config
    return Enricher(
        topic_rules(loaded),
        languages=cfg.nlp.languages,
        lexicons=loaded.lexicons(),
        trained_pipelines=cfg.nlp.pipelines,
        batch_size=min(cfg.nlp.batch_size, 1000),
        sentiment_models=learned_models(loaded) if with_models else {},
        relevance_models=relevance_models(loaded) if with_models else {},
    )


def record_tagging(con: duckdb.DuckDBPyConnection, enricher: Enricher) -> None:
    """Record the definitions `enricher` tags with under its topics version (before it stores
    tags), for readers that want to know what produced the stored matches."""
    record_topic_definitions(
        con,
        enricher.topics_version,
        [rule_to_config(rule) for rule in enricher.topics],
        matcher=matcher_identity(),
    )


def relevance_models(loaded: LoadedConfig) -> dict[str, Path]:
    """The relevance models `earshot learn` left in the models folder, per configured topic."""
    folder = loaded.models_path
    found = {t.id: relevance_model_path(folder, t.id) for t in loaded.config.topics}
    return {topic: path for topic, path in found.items() if path.is_file()}


def learned_models(loaded: LoadedConfig) -> dict[str, Path]:
    """The sentiment models `earshot learn` left in the models folder, per language."""
    folder = loaded.models_path
    found = {lang: model_path(folder, lang) for lang in loaded.config.nlp.languages}
    return {lang: path for lang, path in found.items() if path.is_file()}


def learn(loaded: LoadedConfig) -> list[Learned]:
    """Learn each configured language's sentiment from the labels; keep the models that beat
    the rules in cross-validation (and remove those that no longer do).

    A label's language is its own, else its post's, else identified from its text. A label
    of a stored post teaches as any other (its text is the post's title and text).
    """
    with warehouse(loaded):  # migrated: the labels table exists
        pass
    with write_session(loaded) as con:
        labelled = labelled_texts(con)
    return learn_sentiments(loaded, labelled)


def learn_sentiments(loaded: LoadedConfig, labelled: Sequence[LabelledText]) -> list[Learned]:
    """`learn` on labels already read."""
    cfg = loaded.config
    identifier = LanguageIdentifier(tuple(cfg.nlp.languages))
    per_lang: dict[str, list[tuple[str, str]]] = {}
    for label in labelled:
        if label.sentiment is None:
            continue
        lang = label.lang or identifier.identify_tokens(split(label.text)[0]).lang
        per_lang.setdefault(lang, []).append((label.text, label.sentiment))
    lexicons = loaded.lexicons()
    results: list[Learned] = []
    for lang in cfg.nlp.languages:
        scorer = RuleScores(lang, lexicons.get(lang), cfg.nlp.pipelines.get(lang))
        if not scorer.rated:
            continue  # no rules' sentiment for this language: nothing to beat or feed
        pairs = per_lang.get(lang, [])
        texts = [t for t, _ in pairs]
        learned = learn_sentiment(
            lang, texts, [g for _, g in pairs], scorer.scores(texts), code=scorer.code
        )
        keep_model(learned.model, model_path(loaded.models_path, lang))
        results.append(learned)
    return results


def smtp_settings(loaded: LoadedConfig) -> SmtpSettings | None:
    """SMTP settings with secrets read from the environment; None when mail is not configured."""
    smtp = loaded.config.digest.smtp
    if smtp is None:
        return None
    return SmtpSettings(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=loaded.secret("digest.smtp.username_env", smtp.username_env),
        password=loaded.secret("digest.smtp.password_env", smtp.password_env),
        sender=smtp.sender,
        timeout_seconds=smtp.timeout_seconds,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


def store_fetched(
    loaded: LoadedConfig, fetched: Sequence[tuple[FetchResult, DueSource]], load_id: str
) -> int:
    """Store results that arrived together in one write-lock turn and one transaction (posts
    with their sources' states: all or none, so a retry of the call stores nothing twice);
    return posts added."""
    with write_session(loaded) as con:
        return record_fetches(con, fetched, load_id, utcnow())


def stale_batches(
    loaded: LoadedConfig, cursor: StaleCursor, batch_size: int
) -> Iterator[list[PendingPost]]:
    """The stale posts, one batch (one short read under the write lock) at a time."""
    while True:
        with write_session(loaded) as con:
            batch, cursor = next_stale(con, cursor, batch_size)
        if not batch:
            return
        yield batch


def store_enriched_batch(
    loaded: LoadedConfig, result: EnrichResult, cursor: StaleCursor, load_id: str
) -> int:
    """One short write per batch: annotations, topic tags and the load's progress commit
    together, so a killed run resumes after the last stored batch."""
    with write_session(loaded) as con:
        return store_enriched(
            con,
            result.annotations,
            result.topic_tags,
            pipeline_version=cursor.pipeline_version,
            topics_version=cursor.topics_version,
            load_id=load_id,
        )


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
    with warehouse(loaded):  # migrated, taxonomy synced: topics can be checked
        pass
    with write_session(loaded) as con:
        stored = store_labels(
            con, rows, source=str(path), labelled_by=labelled_by or _user(), now=utcnow()
        )
        refresh_digest_facts(con)
    publish_analytics(loaded)
    return stored


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
