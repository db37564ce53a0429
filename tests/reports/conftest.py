"""Fixtures of the reports tests (defined in support.py, next to the builders they use)."""

from tests.reports.support import auth_smtp_server, smtp_server, warehouse

__all__ = ["auth_smtp_server", "smtp_server", "warehouse"]
