"""Serving the app: check the address, print the URL with the token, run uvicorn quietly
(no access log; one line per problem), open a browser unless asked not to."""

from __future__ import annotations

import logging
import threading
import time
import webbrowser
from collections.abc import Callable

import uvicorn

from earshot.explore.app import create_app
from earshot.explore.preview_matching import warm_tokenizers
from earshot.explore.reader import AnalyticsReader
from earshot.explore.settings import ExploreSettings, check_bind
from earshot.warehouse.corrections import prepare_corrections


def app_url(settings: ExploreSettings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}/?token={settings.token}"


POLL_SECONDS = 5.0


def _watch(reader: AnalyticsReader) -> None:
    """Notice a scheduled job's publish within seconds (a stat of the file), so the new copy
    is opened, and its start page computed, before the next request."""

    def poll() -> None:
        said = ""
        while True:
            time.sleep(POLL_SECONDS)
            try:
                reader.refresh()
                said = ""
            except Exception as exc:  # the copy is gone or unreadable: said once, pages say so
                if str(exc) != said:
                    said = str(exc)
                    print(f"explore: {exc}", flush=True)

    threading.Thread(target=poll, daemon=True, name="explore-watch").start()


def serve(
    settings: ExploreSettings,
    *,
    open_browser: bool = True,
    say: Callable[[str], None] = print,
) -> None:
    """Serve until interrupted. `ExploreError` when the address or the copy is refused."""
    check_bind(settings.host, settings.token_from_env)
    reader = AnalyticsReader(settings.analytics_path)
    reader.refresh()  # fail now, naming the file, when there is no analytics copy
    if settings.warehouse_path.exists():  # else a correction says which file is missing
        prepare_corrections(
            settings.warehouse_path, lock_timeout_seconds=settings.lock_timeout_seconds
        )
    app = create_app(settings, reader)
    reader.on_open.append(app.state.warmer)
    # the start page and its topics, while the browser opens (its request waits for them)
    threading.Thread(target=app.state.warmer, daemon=True).start()
    _watch(reader)
    threading.Thread(target=warm_tokenizers, daemon=True, name="explore-tokenizers").start()
    url = app_url(settings)
    say(f"Earshot Explore: {url}")
    if not settings.token_from_env:
        say("(a new token for this run; set EARSHOT_EXPLORE_TOKEN to keep one)")
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="warning",
        log_config=None,
        server_header=False,
        date_header=False,
    )
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.8, lambda: webbrowser.open(url)).start()
    try:
        server.run()
    finally:
        reader.close()
