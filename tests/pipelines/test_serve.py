"""`earshot serve` on one machine: it starts a Prefect server, registers the schedules and
runs flow runs of its deployments."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from earshot.pipelines.schedules import SCHEDULES, WAREHOUSE_QUEUE, WORK_POOL
from tests.listeners.feedserver import FeedServer, Reply

ROOT = Path(__file__).resolve().parents[2]
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>1</guid><title>Newsletter-Tipps</title><link>https://example.org/1</link>
<pubDate>Tue, 17 Nov 2026 09:00:00 +0100</pubDate>
<description>Wie gut ist euer Newsletter?</description></item>
</channel></rss>"""


def wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_registers_schedules_and_runs_a_deployment(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        url = feeds.route("/feed.xml", Reply(RSS, content_type="application/rss+xml"))
        config = tmp_path / "listening.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "organisation": "Beispiel GmbH",
                    "sources": [{"id": "blog", "kind": "feed", "url": url}],
                    "topics": [
                        {"id": "newsletter", "label": "Newsletter", "terms": {"de": ["Newsletter"]}}
                    ],
                }
            ),
            encoding="utf-8",
        )
        env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
        env.update(
            PYTHONUNBUFFERED="1",
            PREFECT_RUNNER_POLL_FREQUENCY="1",
            PREFECT_HOME=str(tmp_path / "prefect-home"),
        )
        serve = subprocess.Popen(
            [sys.executable, "-m", "earshot.pipelines.cli", "serve", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            assert serve.stdout is not None
            line = wait_for(serve.stdout.readline, 120, "the local Prefect server")
            assert line.startswith("started a local Prefect server at "), line
            api = line.split(" at ", 1)[1].strip() + "/api"

            def deployments() -> list[dict[str, object]]:
                found = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
                return found if len(found) == len(SCHEDULES) else []

            registered = {d["name"]: d for d in wait_for(deployments, 90, "deployments")}
            for s in SCHEDULES:
                schedule = registered[s.deployment]["schedules"][0]["schedule"]  # type: ignore[index]
                assert (schedule["cron"], schedule["timezone"]) == (s.cron, s.timezone)

            listen = registered["listen-every-30-min"]

            answers: list[str] = []

            def created() -> dict[str, object] | None:
                # The API may answer 5xx while the server is still busy starting its services.
                answer = httpx.post(
                    f"{api}/deployments/{listen['id']}/create_flow_run", json={}, timeout=10
                )
                answers.append(f"{answer.status_code} {answer.text[:300]}")
                return answer.json() if answer.status_code in (200, 201) else None

            try:
                run = wait_for(created, 60, "a flow run of the listen deployment")
            except AssertionError as exc:
                raise AssertionError(f"{exc}; last answers: {answers[-3:]}") from None

            def finished() -> str | None:
                state = httpx.get(f"{api}/flow_runs/{run['id']}", timeout=10).json()["state"]
                return (
                    state["type"] if state["type"] in ("COMPLETED", "FAILED", "CRASHED") else None
                )

            assert wait_for(finished, 120, "the served flow run") == "COMPLETED"
            assert len(feeds.requests_to("/feed.xml")) == 1  # the run really collected
        finally:
            os.killpg(serve.pid, signal.SIGINT)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(serve.pid, signal.SIGKILL)  # the Prefect server child, if left


@pytest.mark.usefixtures("prefect_harness")
def test_prefect_deploy_all_works_after_the_readme_steps(tmp_path: Path) -> None:
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.settings import PREFECT_API_URL

    # README, "Scheduling": create the pool, copy the example config, deploy from the checkout.
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=WORK_POOL, type="process"), overwrite=True)
    for name in ("prefect.yaml", "examples"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    shutil.copy(tmp_path / "examples" / "listening.yaml", tmp_path / "listening.yaml")
    env = {k: v for k, v in os.environ.items() if k != "EARSHOT_HOME"}
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "deploy", "--all"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with get_client(sync_client=True) as client:
        deployments = client.read_deployments()
        try:
            by_name = {d.name: d for d in deployments}
            assert {s.deployment for s in SCHEDULES} == set(by_name)
            for s in SCHEDULES:
                served = by_name[s.deployment]
                assert served.work_pool_name == WORK_POOL
                assert served.work_queue_name == WAREHOUSE_QUEUE
                assert served.entrypoint == f"earshot.pipelines.flows:{s.flow}"
                assert served.parameters == {"config": "listening.yaml"}
                assert not served.pull_steps  # nothing filled in from the deploying shell
        finally:
            for d in deployments:
                client.delete_deployment(d.id)
