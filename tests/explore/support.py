"""Explore served for real: uvicorn on a loopback port in a thread, over a copy of the
generated history (tests/reports/history.py) and its published analytics copy."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import uvicorn

from earshot.explore.app import create_app
from earshot.explore.settings import ExploreSettings
from earshot.warehouse.publish import publish_analytics_copy
from tests.reports.history import NOW

TOKEN = "test-token-0123456789"


@dataclass
class Site:
    url: str  # http://127.0.0.1:<port>
    settings: ExploreSettings
    names: dict[str, str]  # post_id -> planted name (tests/reports/history.py)

    def client(self, *, auth: bool = True) -> httpx.Client:
        headers = {"Authorization": f"Bearer {TOKEN}"} if auth else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def post_id(self, name: str) -> str:
        return next(pid for pid, n in self.names.items() if n == name)


def site_settings(root: Path, source: Path, **changes: object) -> ExploreSettings:
    """A copy of `source` in `root`, published, and the settings to serve it."""
    warehouse = root / "earshot.duckdb"
    shutil.copyfile(source, warehouse)
    analytics = root / "earshot-analytics.duckdb"
    publish_analytics_copy(warehouse, analytics)
    settings = ExploreSettings(
        organisation="Stadtwerke <Beispiel> & Co",
        timezone="Europe/Berlin",
        language="de",
        warehouse_path=warehouse,
        analytics_path=analytics,
        token=TOKEN,
        user="tester",
        now=NOW,
    )
    return replace(settings, **changes)  # type: ignore[arg-type]


def serve(settings: ExploreSettings) -> Iterator[str]:
    """Run the app on a free loopback port until the generator is closed; yield its URL."""
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        log_config=None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("explore test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        server_reader = config.app.state.reader  # type: ignore[attr-defined]
        server_reader.close()


@pytest.fixture(scope="module")
def site(
    history_file: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """One served copy per module, for tests that only read."""
    source, names = history_file
    settings = site_settings(tmp_path_factory.mktemp("explore"), source)
    for url in serve(settings):
        yield Site(url, settings, names)


@pytest.fixture
def writable_site(history_file: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Site]:
    """A served copy of its own, for a test that corrects."""
    source, names = history_file
    settings = site_settings(tmp_path, source)
    for url in serve(settings):
        yield Site(url, settings, names)
