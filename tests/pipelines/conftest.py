"""Pipeline tests reuse the loopback SMTP server of the reports tests."""

from tests.reports.support import smtp_server

__all__ = ["smtp_server"]
