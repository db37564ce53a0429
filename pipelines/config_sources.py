"""The `sources:` section of `listening.yaml`: one pydantic model per kind of source.

Each kind validates its own keys; `options()` hands the kind-specific settings to its
listener (names of environment variables included, never secrets).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote, quote_plus

from pydantic import (
    BaseModel,
    Field,
    HttpUrl,
    WebsocketUrl,
    field_validator,
    model_validator,
)

from earshot.pipelines.config_fields import Identifier, LanguageCode, Model

EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _SourceBase(Model):
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
