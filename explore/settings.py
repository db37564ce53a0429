"""What Explore needs of the config, as plain values (Explore never imports `pipelines/`)."""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from earshot.nlp.judging import JudgeSettings

TOKEN_ENV = "EARSHOT_EXPLORE_TOKEN"
USER_ENV = "EARSHOT_EXPLORE_USER"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class ExploreError(Exception):
    """Explore cannot start or serve: `str(exc)` names what (the option, file or variable)."""


@dataclass(frozen=True)
class ExploreSettings:
    """The loaded config's values Explore uses, and the app's own (token, user, address)."""

    organisation: str
    timezone: str
    language: str  # 'de' | 'en': the digest's language
    warehouse_path: Path  # corrections are written here (writer lock)
    analytics_path: Path  # pages read this copy
    token: str
    user: str  # `labelled_by` of the corrections made in this app
    lock_timeout_seconds: float = 60.0
    top_n: int = 10
    host: str = "127.0.0.1"
    port: int = 8765
    token_from_env: bool = False
    # topic_id -> the configured topic as plain data (label, bucket, query, terms and
    # exclude per language): the query preview's starting point
    topics: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_path: Path | None = None  # the listening.yaml the preview saves a topic to
    # writes a topic (plain data, as in `topics`) into `config_path` keeping its comments: the
    # CLI passes `pipelines.topic_config.save_topic` (Explore never imports `pipelines/`)
    save_topic: Callable[[Path, dict[str, Any]], None] | None = None
    publish_wait_seconds: float = 5.0  # how long a correction waits for its republish
    now: datetime | None = None  # "now" for the default week (tests pin it); None: the clock
    # the teach page's judge, as `earshot labels next` builds it: the languages, lexicons,
    # trained pipelines and the models folder (`models_path`) of the config; None: the
    # config's defaults (de, en; the models folder beside the warehouse)
    teach: JudgeSettings | None = None


def explore_token(environ: dict[str, str] | None = None) -> tuple[str, bool]:
    """The token from `EARSHOT_EXPLORE_TOKEN`, else a random one; and whether it came from
    the environment."""
    env = os.environ if environ is None else environ
    given = env.get(TOKEN_ENV, "").strip()
    if given:
        return given, True
    return secrets.token_urlsafe(24), False


def explore_user(environ: dict[str, str] | None = None) -> str:
    """Who makes the corrections: `EARSHOT_EXPLORE_USER`, else the OS user."""
    env = os.environ if environ is None else environ
    given = env.get(USER_ENV, "").strip()
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "explore"


def check_bind(host: str, token_from_env: bool) -> None:
    """Binding beyond loopback needs a token the operator chose (a printed random one would
    end up in logs of a shared machine)."""
    if host not in LOOPBACK_HOSTS and not token_from_env:
        raise ExploreError(
            f"--host {host}: not a loopback address; set {TOKEN_ENV} to serve beyond this "
            "machine (Explore refuses to start with a random token there)"
        )
