"""Prefect's settings for the runs the `earshot` CLI starts, set before Prefect is imported.

Telemetry is off for every temporary Prefect server we start (and for the client), and flow
and task logs go to the Prefect API (the UI) but not to the terminal, where the CLI prints its
own summary; `earshot --verbose` leaves Prefect's logging as Prefect has it. Whatever the user
set in the environment or in `$PREFECT_HOME/logging.yml` wins.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

# Prefect reads the logging config path from either name.
_LOGGING_PATH_VARS = ("PREFECT_LOGGING_CONFIG_PATH", "PREFECT_LOGGING_SETTINGS_PATH")


def prepare_prefect(*, verbose: bool = False) -> None:
    """Set Prefect's environment for this process and the servers it starts; a no-op for
    settings the user chose, and (for logging) once Prefect is imported."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    if verbose or "prefect" in sys.modules or _user_logging_config():
        return
    default = _prefect_default_logging_config()
    if default is None:
        return
    handle, name = tempfile.mkstemp(prefix="earshot-prefect-logging-", suffix=".yml")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        yaml.safe_dump(quiet_logging_config(default), out, sort_keys=False)
    atexit.register(Path(name).unlink, missing_ok=True)
    os.environ["PREFECT_LOGGING_CONFIG_PATH"] = name


def quiet_logging_config(config: dict[str, Any]) -> dict[str, Any]:
    """Prefect's logging config with flow and task run logs sent to the API only.

    They keep their own level (`PREFECT_LOGGING_LEVEL`, INFO by default) instead of inheriting
    the `prefect` logger's, which drops to WARNING so Prefect's own INFO lines ("Starting
    temporary server ...") stay out of the terminal too. The root logger keeps the console:
    warnings of libraries (and our own) are still shown.
    """
    loggers = config.setdefault("loggers", {})
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        run_logger = loggers.setdefault(name, {"handlers": ["api"]})
        run_logger["level"] = "${PREFECT_LOGGING_LEVEL}"
        run_logger["propagate"] = False
    loggers.setdefault("prefect", {})["level"] = "WARNING"
    return config


def _user_logging_config() -> bool:
    if any(os.environ.get(var) for var in _LOGGING_PATH_VARS):
        return True
    home = os.environ.get("PREFECT_HOME") or str(Path.home() / ".prefect")
    return (Path(home).expanduser() / "logging.yml").exists()


def _prefect_default_logging_config() -> dict[str, Any] | None:
    # Found without importing Prefect: importing it sets its logging up.
    spec = importlib.util.find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "logging" / "logging.yml"
    if not path.is_file():
        return None
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else None
