"""Fixtures of the Explore tests (defined in support.py and tests/reports/history.py)."""

from tests.explore.support import site, writable_site
from tests.reports.history import history, history_file

__all__ = ["history", "history_file", "site", "writable_site"]
