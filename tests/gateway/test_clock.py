"""The venue clock: good-til-day expiry and the monthly roll, on a clock the test moves
(docs/protocol.md GW-5)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from exchange.calendar import DEFAULT_CALENDAR, datetime_to_ns
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RpcClient, RunningServer, start_server

DAY_NS = 86_400 * 10**9


class MovableClock:
    """A venue clock (ns) that the test sets."""

    def __init__(self, ts: int) -> None:
        self.ts = ts

    def __call__(self) -> int:
        return self.ts


START = datetime_to_ns(datetime(2027, 3, 29, 12, tzinfo=UTC))  # a Monday, 2 days before a roll


@pytest.fixture
def clock_server() -> Iterator[tuple[RunningServer, MovableClock]]:
    """A gateway of its own whose venue clock starts at ``START`` and moves when told."""
    clock = MovableClock(START)
    running = start_server(gateway_settings(clock_ns=clock, clock_interval_s=0.05))
    yield running, clock
    running.stop()


def trader(server: RunningServer) -> RpcClient:
    admin = RpcClient(server.ws_url)
    admin.login(ADMIN_ID, ADMIN_SECRET)
    creds = admin.call("admin/create_account", name=f"clock-{time.monotonic_ns()}")
    admin.close()
    client = RpcClient(server.ws_url)
    client.login(creds["client_id"], creds["client_secret"])
    return client


def test_a_good_til_day_order_expires_at_the_close(
    clock_server: tuple[RunningServer, MovableClock],
) -> None:
    server, clock = clock_server
    alice = trader(server)
    name = alice.call("public/get_instruments", currency="H100")[5]["instrument_name"]
    alice.call("private/subscribe", channels=[f"user.orders.{name}.raw"])
    day = alice.call("private/buy", instrument_name=name, amount=1, price=2.70,
                     time_in_force="good_til_day")["order"]  # fmt: skip
    gtc = alice.call("private/buy", instrument_name=name, amount=1, price=2.69)["order"]
    alice.all_on(f"user.orders.{name}.raw", quiet=0.2)

    clock.ts = DEFAULT_CALENDAR.next_close_ts(START) + 1

    expired = alice.next_on(f"user.orders.{name}.raw")
    assert day["time_in_force"] == "good_til_day"
    assert expired["order_id"] == day["order_id"] and expired["order_state"] == "cancelled"
    assert expired["cancel_reason"] == "good_til_day_expired"
    still = alice.call("private/get_open_orders_by_instrument", instrument_name=name)
    assert [o["order_id"] for o in still] == [gtc["order_id"]]
    alice.close()


def test_the_front_month_expires_and_a_new_back_month_is_listed(
    clock_server: tuple[RunningServer, MovableClock],
) -> None:
    server, clock = clock_server
    alice = trader(server)
    before = [i["instrument_name"] for i in alice.call("public/get_instruments", currency="H100")]
    front = before[0]
    order = alice.call("private/buy", instrument_name=front, amount=1, price=2.70)["order"]

    clock.ts = START + 3 * DAY_NS  # past the close of the front month's last trading day
    after: list[str] = before
    for _ in range(100):
        after = [
            i["instrument_name"] for i in alice.call("public/get_instruments", currency="H100")
        ]
        if after != before:
            break
        time.sleep(0.05)

    expired = alice.call("public/get_instruments", currency="H100", expired=True)
    assert front == "H100-31MAR27" and after[0] == "H100-30APR27"
    assert len(after) == 36 and after[-1] == "H100-29MAR30"
    assert [i["instrument_name"] for i in expired] == [front]
    assert expired[0]["is_active"] is False
    state = alice.call("private/get_order_state", order_id=order["order_id"])
    assert state["order_state"] == "cancelled" and state["cancel_reason"] == "settlement"
    assert alice.error("private/buy", instrument_name=front, amount=1, price=2.7)["code"] == 10020
    alice.close()
