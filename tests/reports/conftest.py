"""Fixtures of the reports tests (defined in support.py, next to the builders they use)."""

from tests.reports.history import history, history_file
from tests.reports.support import auth_smtp_server, smtp_server, warehouse

__all__ = ["auth_smtp_server", "history", "history_file", "smtp_server", "warehouse"]
