"""Fixtures: a real clearing-mode gateway per module and funded accounts."""

from tests.client.conftest import new_account, server

__all__ = ["new_account", "server"]
