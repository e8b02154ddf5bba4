"""Fixtures: a real gateway in clearing mode, and accounts made with its administrator."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RpcClient, RunningServer, start_server

_names = itertools.count(1)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """A clearing-mode gateway shared by the tests of one module."""
    running = start_server(gateway_settings(clearing=True))
    yield running
    running.stop()


@pytest.fixture
def new_account(server: RunningServer) -> Iterator[Callable[[], tuple[str, str]]]:
    """Return a factory of funded trading accounts: (client id, secret)."""
    admin = RpcClient(server.ws_url)
    admin.login(ADMIN_ID, ADMIN_SECRET)

    def make() -> tuple[str, str]:
        made = admin.call("admin/create_account", name=f"client-{next(_names)}")
        return made["client_id"], made["client_secret"]

    yield make
    admin.close()
