"""`listening.yaml`: the one config file, validated with pydantic.

A bad file raises `ConfigError` with one message naming the file, the key path
(`sources[2].url`) and what was expected.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, quote_plus
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    ValidationInfo,
    WebsocketUrl,
    field_validator,
    model_validator,
)

from earshot.nlp.query import parse_query

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
TermList = dict[LanguageCode, list[Annotated[str, Field(min_length=1)]]]


class ConfigError(Exception):
    """A problem with the config file; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WarehouseConfig(_Model):
    path: Path = Path("data/earshot.duckdb")
    lock_timeout_seconds: float = Field(60.0, gt=0)
    # the read-only copy for analysts; default: `<path stem>-analytics.duckdb` beside `path`
    analytics_path: Path | None = None
    # raw JSON of posts fetched longer ago is pruned after each collect; null keeps it forever
    raw_retention_days: int | None = Field(90, ge=1)


class HttpConfig(_Model):
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


EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _SourceBase(_Model):
    """What every source has; `url` is where it is read (for `earshot sources` and errors)."""

    id: Identifier
    owned: bool = False
    lang: LanguageCode | None = None
    interval_minutes: int = Field(30, ge=1, le=7 * 24 * 60)

    # Keys that are not listener options (the rest of a source's fields are).
    _COMMON = frozenset({"id", "kind", "owned", "lang", "interval_minutes", "url"})

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.interval_minutes)

    def options(self) -> dict[str, str]:
        """Kind-specific settings for the listener (env-var names included, never secrets);
        a list is passed comma-separated (`countries: [de, at]` -> "de,at")."""
        fields = self.model_dump(exclude=set(self._COMMON), exclude_none=True)
        return {
            k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in fields.items()
        }

    def secret_envs(self) -> dict[str, str]:
        """{'token': 'MASTODON_TOKEN', ...}: secrets to read from the environment."""
        return {k.removesuffix("_env"): v for k, v in self.options().items() if k.endswith("_env")}


def _one_of(model: BaseModel, *names: str) -> None:
    given = [n for n in names if getattr(model, n) is not None]
    if len(given) != 1:
        listed = ", ".join(f"`{n}`" for n in names)
        raise ValueError(f"expected exactly one of {listed} (got {len(given) or 'none'})")


class FeedSource(_SourceBase):
    kind: Literal["feed"]
    url: HttpUrl  # a feed, or a site whose <link rel="alternate"> names its feed


class MastodonSource(_SourceBase):
    kind: Literal["mastodon"]
    instance: HttpUrl
    hashtag: Annotated[str, Field(min_length=1, pattern=r"^#?[^\s#/?]+$")] | None = None
    account: Annotated[str, Field(pattern=r"^@?[^\s@/]+(@[^\s@/]+)?$")] | None = None
    query: Annotated[str, Field(min_length=1)] | None = None
    token_env: EnvName | None = None

    @model_validator(mode="after")
    def _what(self) -> MastodonSource:
        _one_of(self, "hashtag", "account", "query")
        if self.query is not None and self.token_env is None:
            raise ValueError("Mastodon search (`query`) needs `token_env` (an access token)")
        return self

    @property
    def url(self) -> str:
        base = str(self.instance).rstrip("/")
        if self.hashtag:
            return f"{base}/tags/{self.hashtag.lstrip('#')}"
        if self.account:
            return f"{base}/@{self.account.lstrip('@')}"
        return f"{base}/search?q={quote_plus(self.query or '')}"


# The public Jetstream (listeners.bluesky.urls.PUBLIC_JETSTREAM; config imports no listener).
STREAM_URL = "wss://jetstream2.us-east.bsky.network/subscribe"


class BlueskySource(_SourceBase):
    kind: Literal["bluesky"]
    actor: Annotated[str, Field(pattern=r"^@?[A-Za-z0-9.:-]+$")] | None = None  # handle or DID
    query: Annotated[str, Field(min_length=1)] | None = None
    handle_env: EnvName | None = None
    app_password_env: EnvName | None = None
    appview: HttpUrl | None = None  # default: the public AppView
    service: HttpUrl | None = None  # default: https://bsky.social (login and search)
    # A Jetstream subscription instead (`earshot stream`): every new post, kept when it
    # names a topic (the topics' terms and queries, matched on our side).
    stream: bool = False
    stream_url: WebsocketUrl | None = None  # default: the public Jetstream (see STREAM_URL)
    batch_seconds: float = Field(10.0, ge=0.1, le=3600)  # least time between two writes

    @model_validator(mode="after")
    def _what(self) -> BlueskySource:
        if self.stream:
            if self.actor is not None or self.query is not None:
                raise ValueError(
                    "a stream (`stream: true`) reads every post and keeps those naming a "
                    "topic: drop `actor` and `query`"
                )
            return self
        if self.stream_url is not None:
            raise ValueError("`stream_url` needs `stream: true`")
        _one_of(self, "actor", "query")
        if self.query is not None and (self.handle_env is None or self.app_password_env is None):
            raise ValueError(
                "Bluesky search (`query`) needs a session: `handle_env` and `app_password_env`"
            )
        return self

    def options(self) -> dict[str, str]:
        """The keys of what is read: a stream's keys only for a stream."""
        options = super().options()
        if not self.stream:
            for key in ("stream", "stream_url", "batch_seconds"):
                options.pop(key, None)
        return options

    @property
    def url(self) -> str:
        if self.stream:
            return str(self.stream_url or STREAM_URL)
        if self.actor:
            return f"https://bsky.app/profile/{self.actor.lstrip('@')}"
        return f"https://bsky.app/search?q={quote_plus(self.query or '')}"


def is_stream(source: _SourceBase) -> bool:
    """A long-running stream source (`earshot stream`), which `collect` leaves alone."""
    return getattr(source, "stream", False) is True


class RedditSource(_SourceBase):
    kind: Literal["reddit"]
    subreddit: Annotated[str, Field(pattern=r"^(r/)?[A-Za-z0-9_+]+$")] | None = None
    query: Annotated[str, Field(min_length=1)] | None = None
    client_id_env: EnvName | None = None
    client_secret_env: EnvName | None = None
    api_url: HttpUrl | None = None
    oauth_api_url: HttpUrl | None = None
    token_url: HttpUrl | None = None

    @model_validator(mode="after")
    def _what(self) -> RedditSource:
        if self.subreddit is None and self.query is None:
            raise ValueError("expected `subreddit`, `query` or both")
        if (self.client_id_env is None) != (self.client_secret_env is None):
            raise ValueError("OAuth needs both `client_id_env` and `client_secret_env`")
        return self

    @property
    def url(self) -> str:
        base = "https://www.reddit.com"
        sub = f"/r/{self.subreddit.removeprefix('r/')}" if self.subreddit else ""
        if self.query:
            return f"{base}{sub}/search?q={quote_plus(self.query)}"
        return f"{base}{sub}/new"


class HackerNewsSource(_SourceBase):
    kind: Literal["hackernews"]
    query: str = Field(min_length=1)
    tags: str = "(story,comment)"
    api_url: HttpUrl | None = None

    @property
    def url(self) -> str:
        return f"https://hn.algolia.com/?dateRange=all&sort=byDate&query={quote_plus(self.query)}"


class YouTubeSource(_SourceBase):
    kind: Literal["youtube"]
    channel_id: Annotated[str, Field(pattern=r"^UC[A-Za-z0-9_-]{22}$")] | None = None
    playlist_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{10,64}$")] | None = None
    video_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{11}$")] | None = None  # comments
    feed_base: HttpUrl | None = None  # default: https://www.youtube.com/feeds/videos.xml
    # Comments (YouTube Data API v3): the variable holding the API key, the API's base URL,
    # and the units one run may spend (each list call costs one; the key's day has 10,000).
    api_key_env: EnvName | None = None
    api_url: HttpUrl | None = None  # default: https://www.googleapis.com/youtube/v3
    quota_units: Annotated[int, Field(ge=1, le=1_000_000)] | None = None  # default: 1,000

    @model_validator(mode="after")
    def _what(self) -> YouTubeSource:
        _one_of(self, "channel_id", "playlist_id", "video_id")
        if self.video_id is not None and self.api_key_env is None:
            raise ValueError("a `video_id` source reads its comments: it needs `api_key_env`")
        return self

    @property
    def url(self) -> str:
        if self.video_id:
            return f"https://www.youtube.com/watch?v={self.video_id}"
        base = str(self.feed_base or "https://www.youtube.com/feeds/videos.xml")
        if self.channel_id:
            return f"{base}?channel_id={self.channel_id}"
        return f"{base}?playlist_id={self.playlist_id}"


class DiscourseSource(_SourceBase):
    kind: Literal["discourse"]
    url: HttpUrl  # the forum, e.g. https://forum.example.org (self-hosted or not)
    category: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")] | None = None
    tag: Annotated[str, Field(pattern=r"^[^\s/?#]+$")] | None = None
    api_key_env: EnvName | None = None
    api_username_env: EnvName | None = None

    @model_validator(mode="after")
    def _what(self) -> DiscourseSource:
        if self.category is not None and self.tag is not None:
            raise ValueError("expected at most one of `category`, `tag` (got both)")
        if (self.api_key_env is None) != (self.api_username_env is None):
            raise ValueError("a Discourse API key needs both `api_key_env` and `api_username_env`")
        return self


class LemmySource(_SourceBase):
    kind: Literal["lemmy"]
    instance: HttpUrl  # e.g. https://lemmy.world
    community: Annotated[str, Field(pattern=r"^!?[A-Za-z0-9_]+(@[A-Za-z0-9.-]+)?$")] | None = None
    query: Annotated[str, Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _what(self) -> LemmySource:
        if self.community is None and self.query is None:
            raise ValueError("expected `community`, `query` or both")
        return self

    @property
    def url(self) -> str:
        base = str(self.instance).rstrip("/")
        if self.query:
            return f"{base}/search?q={quote_plus(self.query)}&type=All"
        return f"{base}/c/{(self.community or '').lstrip('!')}"


# Stack Exchange sites with a domain of their own; the others live at <site>.stackexchange.com.
_OWN_DOMAINS = {"stackoverflow", "superuser", "serverfault", "askubuntu", "stackapps"}


class StackExchangeSource(_SourceBase):
    kind: Literal["stackexchange"]
    site: Annotated[str, Field(pattern=r"^[a-z0-9]+([.-][a-z0-9]+)*$")]  # `api_site_parameter`
    tagged: Annotated[str, Field(pattern=r"^[^\s;]+(;[^\s;]+)*$")] | None = None  # a;b: both
    query: Annotated[str, Field(min_length=1)] | None = None
    key_env: EnvName | None = None  # an app key: a larger daily quota
    api_url: HttpUrl | None = None  # default: https://api.stackexchange.com/2.3

    @model_validator(mode="after")
    def _what(self) -> StackExchangeSource:
        if self.tagged is None and self.query is None:
            raise ValueError("expected `tagged`, `query` or both")
        return self

    @property
    def url(self) -> str:
        host = f"{self.site}.com" if self.site in _OWN_DOMAINS else f"{self.site}.stackexchange.com"
        if self.query:
            scope = f" [{self.tagged.replace(';', '] [')}]" if self.tagged else ""
            return f"https://{host}/search?q={quote_plus(self.query + scope)}"
        tags = quote((self.tagged or "").replace(";", "+"), safe="+")
        return f"https://{host}/questions/tagged/{tags}"


CountryCode = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]


class AppStoreSource(_SourceBase):
    kind: Literal["appstore"]
    app_id: Annotated[str, Field(pattern=r"^[0-9]{5,12}$")]  # the digits of `.../app/id<app_id>`
    countries: list[CountryCode] = Field(min_length=1)  # store codes, e.g. [de, at, ch]
    api_url: HttpUrl | None = None  # default: https://itunes.apple.com

    @field_validator("app_id", mode="before")
    @classmethod
    def _digits(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def url(self) -> str:
        return f"https://apps.apple.com/{self.countries[0]}/app/id{self.app_id}?see-all=reviews"


class NewsSource(_SourceBase):
    kind: Literal["news"]
    query: str = Field(min_length=1)  # GDELT syntax: words, "phrases", OR, -excluded
    # ISO 639-1 codes (de, en) or GDELT's language names; GDELT country names or FIPS codes
    languages: list[Annotated[str, Field(pattern=r"^[A-Za-z]+$")]] = Field(default_factory=list)
    countries: list[Annotated[str, Field(pattern=r"^[A-Za-z ]+$")]] = Field(default_factory=list)
    api_url: HttpUrl | None = None  # default: https://api.gdeltproject.org/api/v2/doc/doc

    @property
    def url(self) -> str:
        base = str(self.api_url or "https://api.gdeltproject.org/api/v2/doc/doc")
        return f"{base}?query={quote_plus(self.query)}&mode=ArtList"


SourceConfig = Annotated[
    FeedSource
    | MastodonSource
    | BlueskySource
    | RedditSource
    | HackerNewsSource
    | YouTubeSource
    | DiscourseSource
    | LemmySource
    | StackExchangeSource
    | AppStoreSource
    | NewsSource,
    Field(discriminator="kind"),
]
SOURCE_KINDS = (
    "feed",
    "mastodon",
    "bluesky",
    "reddit",
    "hackernews",
    "youtube",
    "discourse",
    "lemmy",
    "stackexchange",
    "appstore",
    "news",
)


class TopicConfig(_Model):
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


class BucketConfig(_Model):
    id: Identifier
    label: str = Field(min_length=1)
    target_share: float = Field(ge=0, le=1)


class NlpConfig(_Model):
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


class SmtpConfig(_Model):
    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    username_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    timeout_seconds: float = Field(30.0, gt=0)


class DigestConfig(_Model):
    language: Literal["de", "en"] = "en"
    recipients: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(
        default_factory=list
    )
    outbox: Path = Path("outbox")
    top_posts: int = Field(10, ge=1, le=100)
    smtp: SmtpConfig | None = None


class AlertsConfig(_Model):
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


class ListeningConfig(_Model):
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
