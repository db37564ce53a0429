"""Suite-wide setup: an isolated Prefect home, one Prefect test server for the session."""

from __future__ import annotations

import atexit
import functools
import importlib.abc
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator

# Before Prefect is imported anywhere: keep its database and settings out of ~/.prefect.
if "PREFECT_HOME" not in os.environ:
    _home = tempfile.mkdtemp(prefix="earshot-prefect-")
    atexit.register(functools.partial(shutil.rmtree, _home, ignore_errors=True))
    os.environ["PREFECT_HOME"] = _home
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import pytest


class _BareNames(importlib.abc.MetaPathFinder):
    """Refuse `import warehouse` & co. in the suite: the repository's root is on `sys.path` (for
    `tests.*`), which would let a bare name (`resources.files("warehouse")`, a string module
    path) pass here and fail in an installed Earshot. Only `earshot.<part>` exists there."""

    PARTS = frozenset({"pipelines", "listeners", "nlp", "warehouse", "reports", "explore"})

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname.partition(".")[0] in self.PARTS:
            raise ModuleNotFoundError(f"No module named {fullname!r}; import earshot.{fullname}")
        return None


sys.meta_path.insert(0, _BareNames())


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for every flow test (starting one costs ~15 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
