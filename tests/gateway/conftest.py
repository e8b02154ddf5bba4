"""Fixtures: one real gateway for the session, clients, accounts and untouched instruments."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from gateway import Settings
from tests.gateway.stubs import RpcClient, RunningServer, start_server

ADMIN_ID = "admin"
ADMIN_SECRET = "admin-secret-for-tests"


def gateway_settings(**overrides: object) -> Settings:
    """Return settings for a test server: cheap scrypt, short heartbeats and clock ticks."""
    base: dict[str, object] = {
        "admin_client_id": ADMIN_ID,
        "admin_client_secret": ADMIN_SECRET,
        "scrypt_n": 1 << 10,
        "min_heartbeat_interval_s": 0.1,
        "clock_interval_s": 0.2,
        "max_frame_bytes": 16_384,
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    """The gateway every test in tests/gateway shares."""
    running = start_server(gateway_settings())
    yield running
    running.stop()


@dataclass(frozen=True)
class Instrument:
    """An instrument no other test has traded, and prices around its reference."""

    name: str
    ref: float
    tick: float
    min_price: float
    max_price: float

    def px(self, ticks: int) -> float:
        """Return the reference price moved by ``ticks`` ticks, rounded to the tick."""
        return round(self.ref + ticks * self.tick, 2)


@pytest.fixture(scope="session")
def _instrument_pool(server: RunningServer) -> Iterator[Instrument]:
    gw = server.gateway
    listings = sorted(
        gw.instruments.by_name.values(), key=lambda x: (x.contract.month_index, x.name)
    )
    # Skip the front months: they could roll while the tests run.
    pool = [
        Instrument(
            x.name,
            x.to_wire(x.ref),
            x.to_wire(x.tick),
            x.to_wire(x.min_price),
            x.to_wire(x.max_price),
        )
        for x in listings
        if x.contract.month_index > listings[0].contract.month_index + 1
    ]
    return iter(pool)


@pytest.fixture
def instrument(_instrument_pool: Iterator[Instrument]) -> Instrument:
    """A fresh instrument for this test."""
    return next(_instrument_pool)


@pytest.fixture
def admin(server: RunningServer) -> Iterator[RpcClient]:
    """A websocket client logged in as the bootstrap administrator."""
    client = RpcClient(server.ws_url)
    client.login(ADMIN_ID, ADMIN_SECRET)
    yield client
    client.close()


_names = itertools.count(1)


@dataclass
class Trader:
    """A logged-in client of a fresh account, with its credentials."""

    client: RpcClient
    account_id: int
    client_id: str
    client_secret: str


@pytest.fixture
def make_trader(server: RunningServer, admin: RpcClient) -> Iterator[Callable[..., Trader]]:
    """Return a factory of new accounts, each with a logged-in websocket client."""
    made: list[RpcClient] = []

    def make(role: str = "trader", login: bool = True) -> Trader:
        created = admin.call("admin/create_account", name=f"acct-{next(_names)}", role=role)
        client = RpcClient(server.ws_url)
        made.append(client)
        if login:
            client.login(created["client_id"], created["client_secret"])
        return Trader(client, created["account_id"], created["client_id"], created["client_secret"])

    yield make
    for client in made:
        client.close()
