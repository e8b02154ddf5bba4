"""Per-key request limits (docs/protocol.md GW-3): 10028 too_many_requests, nothing done."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from gateway.errors import RpcError
from gateway.ratelimit import RateLimiter
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RpcClient, RunningServer, start_server


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        limiter.take("k")
    with pytest.raises(RpcError) as err:
        limiter.take("k")
    assert err.value.code == 10028 and "retry in 0.500 s" in (err.value.reason or "")
    limiter.take("other")  # keys are counted apart
    clock.t += 0.5  # one token back
    limiter.take("k")
    with pytest.raises(RpcError):
        limiter.take("k")
    clock.t += 100  # never more than the burst
    for _ in range(3):
        limiter.take("k")
    with pytest.raises(RpcError):
        limiter.take("k")


def test_a_zero_rate_means_no_limit() -> None:
    limiter = RateLimiter(rate=0.0, burst=1, clock=Clock())
    for _ in range(10_000):
        limiter.take("k")


@pytest.fixture(scope="module")
def limited() -> Iterator[RunningServer]:
    running = start_server(gateway_settings(rate_limit_per_s=2.0, rate_limit_burst=3))
    yield running
    running.stop()


def test_a_key_over_its_limit_gets_10028_and_its_order_is_not_placed(
    limited: RunningServer,
) -> None:
    admin = RpcClient(limited.ws_url)
    admin.login(ADMIN_ID, ADMIN_SECRET)  # auth itself is not counted
    made = admin.call("admin/create_account", name="hasty")
    listing = sorted(limited.gateway.instruments.by_name.values(),
                     key=lambda x: x.contract.month_index)[3]  # fmt: skip
    trader = RpcClient(limited.ws_url)
    try:
        trader.login(made["client_id"], made["client_secret"])
        for _ in range(3):
            trader.call("private/get_open_orders")
        err = trader.error(
            "private/buy", instrument_name=listing.name, amount=1,
            price=listing.to_wire(listing.ref), type="limit",
        )  # fmt: skip
        assert err["code"] == 10028 and err["message"] == "too_many_requests"
        assert "retry in" in err["data"]["reason"]
        assert limited.gateway.orders.live(made["account_id"]) == []
        for _ in range(20):  # administrators are never limited
            admin.call("public/get_time")
        time.sleep(0.6)  # a token comes back after 0.5 s
        assert trader.call("private/get_open_orders") == []
    finally:
        trader.close()
        admin.close()


def test_one_key_may_be_logged_in_on_a_limited_number_of_connections() -> None:
    running = start_server(gateway_settings(max_connections_per_key=2))
    clients: list[RpcClient] = []
    try:
        admin = RpcClient(running.ws_url)
        clients.append(admin)
        admin.login(ADMIN_ID, ADMIN_SECRET)
        made = admin.call("admin/create_account", name="many tabs")
        for _ in range(3):
            clients.append(RpcClient(running.ws_url))
        first, second, third = clients[1:]
        first.login(made["client_id"], made["client_secret"])
        second.login(made["client_id"], made["client_secret"])
        err = third.error(
            "public/auth", grant_type="client_credentials",
            client_id=made["client_id"], client_secret=made["client_secret"],
        )  # fmt: skip
        assert err["code"] == 10028 and "already has 2 open connections" in str(err)
        assert third.error("private/get_open_orders")["code"] == 10000  # not logged in
        first.close()
        for _ in range(50):  # bounded: the server notices the close within moments
            answer = third.request(
                "public/auth", grant_type="client_credentials",
                client_id=made["client_id"], client_secret=made["client_secret"],
            )  # fmt: skip
            if "result" in answer:
                break
            time.sleep(0.1)
        assert "result" in answer
        extra = [RpcClient(running.ws_url) for _ in range(3)]
        clients += extra
        for c in extra:  # administrators are not limited
            c.login(ADMIN_ID, ADMIN_SECRET)
    finally:
        for c in clients:
            c.close()
        running.stop()
