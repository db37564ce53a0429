"""`earshot explore`: the loaded config handed to Explore as plain settings, and its start."""

from __future__ import annotations

from collections.abc import Callable

from earshot.explore.settings import ExploreSettings, explore_token, explore_user
from earshot.pipelines.config import LoadedConfig
from earshot.pipelines.teach import judge_settings
from earshot.pipelines.topic_config import save_topic


def explore_settings(loaded: LoadedConfig, *, host: str, port: int) -> ExploreSettings:
    """Explore's view of the config: where to read and write, the language, the topics."""
    config = loaded.config
    token, from_env = explore_token()
    return ExploreSettings(
        organisation=config.organisation,
        timezone=config.timezone,
        language=config.digest.language,
        warehouse_path=loaded.warehouse_path,
        analytics_path=loaded.analytics_path,
        token=token,
        token_from_env=from_env,
        user=explore_user(),
        lock_timeout_seconds=config.warehouse.lock_timeout_seconds,
        top_n=config.digest.top_posts,
        host=host,
        port=port,
        topics={t.id: t.model_dump(mode="json") for t in config.topics},
        config_path=loaded.path,
        save_topic=save_topic,
        teach=judge_settings(loaded),
    )


def start_explore(
    loaded: LoadedConfig,
    *,
    host: str,
    port: int,
    open_browser: bool,
    say: Callable[[str], None],
    refuse: Callable[[str], None],
    fail: Callable[[str], None],
) -> None:
    """Serve Explore until interrupted: a refused address goes to `refuse` (a usage error),
    a missing or unreadable analytics copy to `fail`."""
    from earshot.explore.server import serve
    from earshot.explore.settings import ExploreError, check_bind
    from earshot.warehouse import WarehouseError

    settings = explore_settings(loaded, host=host, port=port)
    try:
        check_bind(host, settings.token_from_env)
    except ExploreError as exc:
        refuse(str(exc))
        return
    try:
        serve(settings, open_browser=open_browser, say=say)
    except WarehouseError as exc:
        fail(str(exc))
