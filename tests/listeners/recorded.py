"""The real recorded API responses in `../shared/eval/api-responses/<platform>/`, read in
place (never copied into the project); a test that needs them is skipped when they are absent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EVAL = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "api-responses"
JSON = "application/json; charset=utf-8"


def recorded_path(platform: str, name: str) -> Path:
    path = EVAL / platform / name
    if not path.is_file():
        pytest.skip(f"recorded responses not available ({path} is absent)")
    return path


def recorded_bytes(platform: str, name: str) -> bytes:
    return recorded_path(platform, name).read_bytes()


def recorded_json(platform: str, name: str) -> Any:
    return json.loads(recorded_bytes(platform, name))
