"""`listening.yaml`: the one config file, validated with pydantic.

A bad file raises `ConfigError` with one message naming the file, the key path
(`sources[2].url`) and what was expected.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    Field,
    HttpUrl,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from earshot.nlp.query import parse_query
from earshot.pipelines.config_fields import (
    Identifier,
    LanguageCode,
    Model,
    TermList,
)
from earshot.pipelines.config_sources import SOURCE_KINDS, SourceConfig

# The source kinds' names callers take from here (their home: `config_sources`).
from earshot.pipelines.config_sources import STREAM_URL as STREAM_URL
from earshot.pipelines.config_sources import BlueskySource as BlueskySource
from earshot.pipelines.config_sources import is_stream as is_stream


class ConfigError(Exception):
    """A problem with the config file; the message names the file and the key."""


class WarehouseConfig(Model):
    path: Path = Path("data/earshot.duckdb")
    lock_timeout_seconds: float = Field(60.0, gt=0)
    # the read-only copy for analysts; default: `<path stem>-analytics.duckdb` beside `path`
    analytics_path: Path | None = None
    # raw JSON of posts fetched longer ago is pruned after each collect; null keeps it forever
    raw_retention_days: int | None = Field(90, ge=1)


class HttpConfig(Model):
    timeout_seconds: float = Field(20.0, gt=0, le=300)
    max_body_mb: float = Field(10.0, gt=0, le=200)
    retries: int = Field(2, ge=0, le=10)
    backoff_seconds: float = Field(1.0, ge=0, le=60)
    # wall time to read one response body: a server dripping bytes slowly is cut off
    max_seconds_per_attempt: float = Field(120.0, gt=0, le=3600)
    # Follow redirects into private, loopback or link-local networks (SSRF guard off); a
    # redirect to the host of a configured source is followed either way.
    allow_private_redirects: bool = False
    # Least time between two request starts to one host (many sources often share a host),
    # and exceptions per host name, e.g. {"www.reddit.com": 2.0, "intranet.example": 0}.
    min_host_interval_seconds: float = Field(1.0, ge=0, le=3600)
    host_intervals: dict[str, Annotated[float, Field(ge=0, le=3600)]] = Field(default_factory=dict)

    @field_validator("host_intervals")
    @classmethod
    def _host_names(cls, value: dict[str, float]) -> dict[str, float]:
        hosts: dict[str, float] = {}
        for name, seconds in value.items():
            host = name.strip().rstrip(".").lower()
            if not re.fullmatch(r"[a-z0-9._-]+|\[[0-9a-f:.]+\]", host):
                raise ValueError(f"{name!r} is not a host name (expected e.g. www.reddit.com)")
            hosts[host.strip("[]")] = seconds
        return hosts


class TopicConfig(Model):
    id: Identifier
    label: str = Field(min_length=1)
    bucket: Identifier | None = None
    # boolean query: AND, OR, NOT, (), "phrases", a NEAR/n b (see nlp/query.py); declared
    # before `terms` so that the terms check can see it
    query: str | None = None
    terms: TermList = Field(default_factory=dict, validate_default=True)
    exclude: TermList = Field(default_factory=dict)

    @field_validator("query")
    @classmethod
    def _query_parses(cls, query: str | None) -> str | None:
        if query is not None:
            parse_query(query)  # QueryError is a ValueError: reported under `topics[N].query`
        return query

    @field_validator("terms")
    @classmethod
    def _has_terms(cls, terms: TermList, info: ValidationInfo) -> TermList:
        if not any(terms.values()) and not info.data.get("query"):
            raise ValueError("a topic needs at least one term (or a query)")
        return terms


class BucketConfig(Model):
    id: Identifier
    label: str = Field(min_length=1)
    target_share: float = Field(ge=0, le=1)


class NlpConfig(Model):
    languages: list[LanguageCode] = Field(default_factory=lambda: ["de", "en"], min_length=1)
    lexicons: dict[LanguageCode, Path] = Field(default_factory=dict)
    pipelines: dict[LanguageCode, str] = Field(default_factory=dict)
    batch_size: int = Field(500, ge=1, le=100_000)
    # NLP worker processes of a local enrich run (a run of a couple of batches stays
    # in-process), or batches in flight on Dask
    processes: int = Field(2, ge=1, le=64)
    # a Dask scheduler ("tcp://host:8786"): enrich then runs its NLP tasks on that cluster
    dask_address: str | None = Field(None, min_length=1)
    # the folder `earshot learn` writes its models to (default: `models` beside the warehouse)
    models: Path | None = None


class SmtpConfig(Model):
    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    username_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout_seconds: float = Field(30.0, gt=0)


class DigestConfig(Model):
    language: Literal["de", "en"] = "en"
    recipients: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(
        default_factory=list
    )
    outbox: Path = Path("outbox")
    top_posts: int = Field(10, ge=1, le=100)
    smtp: SmtpConfig | None = None


class AlertsConfig(Model):
    """Spike alerts: webhook URLs are secrets, so the config names environment variables."""

    webhook_url_envs: list[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = Field(
        default_factory=list
    )
    email: bool = True  # also mail the digest's recipients when SMTP is configured
    window_hours: int = Field(24, ge=1, le=24 * 7)
    baseline_windows: int = Field(28, ge=1, le=365)
    min_posts: int = Field(5, ge=1)
    min_z: float = Field(3.0, gt=0)
    cooldown_hours: float = Field(24.0, ge=0)


class ListeningConfig(Model):
    organisation: str = Field(min_length=1)
    timezone: str = "Europe/Berlin"
    contact_url: HttpUrl | None = None
    warehouse: WarehouseConfig = Field(default_factory=WarehouseConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    topics: list[TopicConfig] = Field(default_factory=list)
    buckets: list[BucketConfig] = Field(default_factory=list)
    nlp: NlpConfig = Field(default_factory=NlpConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}; expected e.g. Europe/Berlin") from None
        return zone

    @model_validator(mode="after")
    def _consistent(self) -> ListeningConfig:
        _unique("sources", [s.id for s in self.sources])
        _unique("topics", [t.id for t in self.topics])
        _unique("buckets", [b.id for b in self.buckets])
        bucket_ids = {b.id for b in self.buckets}
        for i, topic in enumerate(self.topics):
            if topic.bucket is not None and topic.bucket not in bucket_ids:
                raise _KeyedError(
                    f"topics[{i}].bucket",
                    f"unknown bucket {topic.bucket!r}; expected one of {sorted(bucket_ids)}",
                )
        if self.buckets:
            total = sum(b.target_share for b in self.buckets)
            if abs(total - 1.0) > 0.01:
                raise _KeyedError(
                    "buckets", f"target_share values add up to {total:.2f}; expected 1.0"
                )
        if self.digest.smtp is not None and not self.digest.recipients:
            raise _KeyedError("digest.recipients", "SMTP is configured but no recipient is named")
        return self


class _KeyedError(ValueError):
    """A cross-field problem that knows its key path."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _unique(key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise _KeyedError(f"{key}[{i}].id", f"duplicate id {ident!r}")
        seen.add(ident)


_PATTERN_MEANING = {
    r"^[a-z0-9][a-z0-9_-]*$": "expected an id of lowercase letters, digits, '-' or '_'",
    r"^[a-z]{2}$": "expected a two-letter language code such as de or en",
    r"^[A-Za-z]{2}$": "expected a two-letter country code such as de or us",
    r"^[^@\s]+@[^@\s]+$": "expected an e-mail address",
    r"^[A-Za-z_][A-Za-z0-9_]*$": "expected the name of an environment variable",
}


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    previous: int | str | None = None
    for part in loc:
        after_index, previous = isinstance(previous, int), part
        if part == "[key]":  # pydantic's marker for a bad mapping key
            continue
        if after_index and part in SOURCE_KINDS:  # the union's tag: `sources[2].hashtag`
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][\w-]*", part):
            path += f".{part}" if path else part
        else:
            path += f"[{part!r}]"
    return path or "(top level)"


def _describe(error: Any) -> tuple[str, str]:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, _KeyedError):
        return inner.key, inner.message
    message = error["msg"]
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        got = f" (got {ctx['tag']!r})" if ctx.get("tag") is not None else ""
        return _key_path((*loc, "kind")), f"expected one of {', '.join(SOURCE_KINDS)}{got}"
    if error["type"] == "extra_forbidden":
        message = "unknown key (a typo?)"
    elif error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "string_pattern_mismatch":
        message = _PATTERN_MEANING.get(ctx.get("pattern", ""), message)
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if error["type"] not in ("extra_forbidden", "missing") and "input" in error:
        shown = repr(error["input"])
        if len(shown) <= 80 and not isinstance(error["input"], dict | list):
            message += f" (got {shown})"
    return _key_path(loc), message


def load_config(path: str | Path) -> LoadedConfig:
    """Read and validate a config file; relative paths in it resolve against its folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    try:
        config = ListeningConfig.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        key, message = _describe(errors[0])
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ConfigError(f"{path}: {key}: {message}{more}") from None
    return LoadedConfig(path=path.resolve(), config=config)


class LoadedConfig:
    """A validated config plus where it came from (relative paths resolve against it)."""

    def __init__(self, path: Path, config: ListeningConfig) -> None:
        self.path = path
        self.config = config

    def resolve(self, relative: Path) -> Path:
        return relative if relative.is_absolute() else self.path.parent / relative

    @property
    def warehouse_path(self) -> Path:
        return self.resolve(self.config.warehouse.path)

    @property
    def analytics_path(self) -> Path:
        """The read-only analytics copy published after each write cycle."""
        configured = self.config.warehouse.analytics_path
        if configured is not None:
            return self.resolve(configured)
        from earshot.warehouse.publish import default_analytics_path

        return default_analytics_path(self.warehouse_path)

    @property
    def outbox(self) -> Path:
        return self.resolve(self.config.digest.outbox)

    @property
    def models_path(self) -> Path:
        """The folder of learned models: `nlp.models`, else `models/` beside the warehouse."""
        configured = self.config.nlp.models
        return self.resolve(configured) if configured else self.warehouse_path.parent / "models"

    def lexicons(self) -> dict[str, Path]:
        return {lang: self.resolve(p) for lang, p in self.config.nlp.lexicons.items()}

    def secret(self, key: str, env_name: str | None) -> str | None:
        """Read a secret from the environment variable the config names at `key`."""
        if env_name is None:
            return None
        value = os.environ.get(env_name)
        if value is None:
            raise ConfigError(f"{self.path}: {key}: environment variable {env_name} is not set")
        return value
