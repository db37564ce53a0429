"""`earshot serve`: run the schedules on this machine with a local Prefect server.

Prefect needs an API that schedules runs. When none is configured (`PREFECT_API_URL`),
we start `prefect server start` on loopback as a child process and stop it on exit.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx

from earshot.pipelines.schedules import SCHEDULES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def local_prefect_server(timeout_seconds: float = 90.0) -> Iterator[str]:
    """Start a Prefect server on loopback and yield its API URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the local Prefect server exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local Prefect server did not answer at {url}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def serve_schedules(config: str) -> None:
    """Register the deployments of `SCHEDULES` and run their flow runs until interrupted."""
    with contextlib.ExitStack() as stack:
        api_url = os.environ.get("PREFECT_API_URL")
        if not api_url:
            api_url = stack.enter_context(local_prefect_server())
            base = api_url.removesuffix("/api")
            print(f"started a local Prefect server at {base}", flush=True)
        from prefect import serve
        from prefect.client.schemas.objects import ConcurrencyLimitConfig
        from prefect.schedules import Cron
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from earshot.pipelines import flows

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            deployments = [
                getattr(flows, s.flow).to_deployment(
                    name=s.deployment,
                    schedules=[Cron(s.cron, timezone=s.timezone)],
                    parameters={"config": os.path.abspath(config)},
                    # the stream is kept running: a run due while it streams is not started
                    concurrency_limit=ConcurrencyLimitConfig(
                        limit=1, collision_strategy=s.collision_strategy
                    )
                    if s.collision_strategy != "ENQUEUE"
                    else None,
                )
                for s in SCHEDULES
            ]
            serve(*deployments)
