"""Fixtures of the API tests (see support.py)."""

from frontdesk.api.tests.support import key_client

__all__ = ["key_client"]
