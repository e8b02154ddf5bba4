"""Clearing on the gateway's clock, over real websockets (docs/protocol.md GW-13): the
game clock, daily variation margin, the index channel, margin calls on
``user.portfolio.usd``, deposits and withdrawals, and refusals that change nothing."""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flopex.cli import build_parser, serve_overrides
from gateway.errors import RpcError
from gateway.methods.clearing import micros_of_usd
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RpcClient, RunningServer, start_server

USD = 1_000_000
DEPOSIT = 1_000.0
FEE = 3.65
"""Maker and taker fee per contract, USD (the default products)."""
DAY_S = 1.0
_names = itertools.count(1)
T = TypeVar("T")


@pytest.fixture(scope="module")
def game() -> Iterator[RunningServer]:
    running = start_server(
        gateway_settings(
            clearing=True,
            clearing_deposit_micros=int(DEPOSIT * USD),
            seconds_per_day=DAY_S,
            start_date="2027-01-04",
            index_seed=3,
            clock_interval_s=0.05,
        )
    )
    yield running
    running.stop()


def on_loop(server: RunningServer, fn: Callable[[], T]) -> T:
    """Run ``fn`` on the gateway's event loop (between two commands) and return its result."""
    gw = server.gateway
    assert gw.loop is not None
    done: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        try:
            done.set_result(fn())
        except Exception as exc:  # handed back to the test thread
            done.set_exception(exc)

    gw.loop.call_soon_threadsafe(run)
    return done.result(timeout=5)


@pytest.fixture
def admin(game: RunningServer) -> Iterator[RpcClient]:
    client = RpcClient(game.ws_url)
    client.login(ADMIN_ID, ADMIN_SECRET)
    yield client
    client.close()


@pytest.fixture
def pair(game: RunningServer, admin: RpcClient) -> Iterator[list[tuple[int, RpcClient]]]:
    made = []
    for _ in range(2):
        creds = admin.call("admin/create_account", name=f"player-{next(_names)}")
        client = RpcClient(game.ws_url)
        client.login(creds["client_id"], creds["client_secret"])
        made.append((creds["account_id"], client))
    yield made
    for _, client in made:
        client.close()


def instrument(client: RpcClient, product: str, k: int) -> tuple[str, float]:
    """Return the ``k``-th listed contract of ``product`` and its mark price."""
    names = [i["instrument_name"] for i in client.call("public/get_instruments", currency=product)]
    name = names[k]
    return name, client.call("public/ticker", instrument_name=name)["mark_price"]


def wait_for(fetch: Callable[[], T], ok: Callable[[T], bool], timeout: float = 5.0) -> T:
    """Poll ``fetch`` every 0.05 s until ``ok``; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.05) + 1):
        got = fetch()
        if ok(got):
            return got
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s; last {got!r}")


# ---------------------------------------------------------------------- clock
def test_the_venue_clock_stands_still_while_paused_and_runs_again(
    game: RunningServer, admin: RpcClient
) -> None:
    clock = game.gateway.clock
    assert clock is not None
    on_loop(game, clock.pause)
    try:
        t1 = admin.call("public/get_time")
        time.sleep(0.3)
        t2 = admin.call("public/get_time")
        assert clock.paused and t1 == t2 == game.gateway.now() // 1_000_000
    finally:
        on_loop(game, clock.resume)
    time.sleep(0.1)
    assert admin.call("public/get_time") > t2
    # one day of 21 venue hours per second: 0.1 s is about two venue hours
    assert admin.call("public/get_time") - t2 > 3_600_000


# ---------------------------------------------------------------------- variation margin
def test_days_pass_and_variation_margin_moves_cash_between_the_two_sides(
    game: RunningServer, pair: list[tuple[int, RpcClient]]
) -> None:
    (_, alice), (_, bob) = pair
    house = game.gateway.clearing.house  # type: ignore[union-attr]
    name, mark = instrument(alice, "H100", 4)
    price = round(mark + 0.20, 2)
    alice.call("private/sell", instrument_name=name, amount=2, price=price)
    bob.call("private/buy", instrument_name=name, amount=2, price=price)
    after_fees = DEPOSIT - 2 * FEE
    settled_before = house.last_day

    a = wait_for(
        lambda: alice.call("private/get_account_summary"),
        lambda s: s["balance"] != after_fees,
        timeout=4 * DAY_S,
    )
    b = bob.call("private/get_account_summary")

    assert house.last_day is not None and house.last_day != settled_before
    assert a["balance"] > after_fees  # the seller sold above the settlement price
    assert a["balance"] - after_fees == pytest.approx(after_fees - b["balance"], abs=1e-6)
    assert a["total_pl"] == pytest.approx(a["equity"] - DEPOSIT, abs=1e-6)
    assert a["margin_call_pending"] is False and a["margin_call_deadline"] is None


# ---------------------------------------------------------------------- index
def test_a_shock_moves_the_index_channel_and_get_index_price(
    game: RunningServer, admin: RpcClient
) -> None:
    gw = game.gateway
    assert gw.clock is not None and gw.index_feed is not None
    channel = "deribit_price_index.b200_usd"
    assert admin.call("public/subscribe", channels=[channel]) == [channel]
    on_loop(game, gw.clock.pause)
    try:
        admin.all_on(channel, quiet=0.2)  # prints published before the pause
        before = admin.call("public/get_index_price", index_name="b200_usd")
        on_loop(game, lambda: gw.index_feed.shock("B200", 10.0))  # type: ignore[union-attr]
        note = admin.next_on(channel)
        after = admin.call("public/get_index_price", index_name="b200_usd")
        front = min(
            (x for x in gw.instruments.by_name.values() if x.contract.product == "B200"),
            key=lambda x: x.contract.month_index,
        )
        ticker = admin.call("public/ticker", instrument_name=front.name)
    finally:
        on_loop(game, gw.clock.resume)

    assert note["index_name"] == "b200_usd"
    assert note["price"] == pytest.approx(before["index_price"] * 1.1, rel=1e-5)
    assert after["index_price"] == note["price"]
    assert ticker["index_price"] == after["index_price"]  # tickers quote the live index
    assert abs(note["timestamp"] - admin.call("public/get_time")) < 86_400_000
    assert after["estimated_delivery_price"] > before["estimated_delivery_price"]
    assert on_loop(game, lambda: gw.index_feed.levels())["B200"] == after["index_price"]  # type: ignore[union-attr]


def test_daily_prints_reach_the_index_channel(game: RunningServer, admin: RpcClient) -> None:
    channel = "deribit_price_index.a100_usd"
    admin.call("public/subscribe", channels=[channel])
    notes = [admin.next_on(channel, timeout=3 * DAY_S) for _ in range(2)]

    assert notes[1]["timestamp"] > notes[0]["timestamp"]
    assert all(n["index_name"] == "a100_usd" and n["price"] > 0 for n in notes)


# ---------------------------------------------------------------------- margin calls
def test_a_losing_position_gets_a_margin_call_that_a_deposit_meets(
    game: RunningServer, admin: RpcClient, pair: list[tuple[int, RpcClient]]
) -> None:
    (alice_id, alice), (_, bob) = pair
    gw = game.gateway
    assert gw.clock is not None
    alice.call("private/subscribe", channels=["user.portfolio.usd"])
    publisher = gw.clearing_publisher
    assert publisher is not None
    heard: list[tuple[int, object]] = []
    listener = lambda account, call: heard.append((account, call["state"]))  # noqa: E731
    on_loop(game, lambda: publisher.call_listeners.append(listener))
    name, mark = instrument(alice, "A100", 7)
    bob.call("private/sell", instrument_name=name, amount=3, price=mark)
    alice.call("private/buy", instrument_name=name, amount=3, price=mark)
    on_loop(game, lambda: gw.index_feed.shock("A100", -45.0))  # type: ignore[union-attr]

    def called() -> dict[str, Any]:
        for _ in range(200):
            note: dict[str, Any] = alice.next_on("user.portfolio.usd", timeout=4 * DAY_S)
            if note["margin_call_pending"]:
                return note
        raise AssertionError("no margin call on user.portfolio.usd")

    note = called()
    on_loop(game, gw.clock.pause)  # keep the deadline from passing while the test looks
    try:
        calls = alice.call("private/get_margin_calls")
        summary = alice.call("private/get_account_summary")
        assert note["margin_call_outstanding"] > 0 and note["margin_call_deadline"] > 0
        assert note["equity"] < note["maintenance_margin"]
        assert [c["state"] for c in calls] == ["open"]
        assert calls[0]["outstanding"] == summary["margin_call_outstanding"] > 0
        assert calls[0]["deadline"] == summary["margin_call_deadline"]
        assert calls[0]["deadline"] > calls[0]["timestamp"]

        paid = admin.call("admin/deposit", account_id=alice_id, amount=calls[0]["outstanding"] + 10)
        met = alice.call("private/get_margin_calls")
        after = alice.call("private/get_account_summary")
    finally:
        on_loop(game, gw.clock.resume)

    assert paid["margin_call_outstanding"] == 0.0
    assert [c["state"] for c in met] == ["met"] and met[0]["paid"] == calls[0]["outstanding"]
    assert after["margin_call_pending"] is False and after["account_state"] == "active"
    assert after["balance"] == pytest.approx(summary["balance"] + calls[0]["outstanding"] + 10)
    cleared = alice.next_on("user.portfolio.usd", timeout=2.0)
    assert cleared["margin_call_pending"] is False
    on_loop(game, lambda: publisher.call_listeners.remove(listener))
    assert (alice_id, "open") in heard and (alice_id, "met") in heard


def test_portfolio_notifications_are_at_least_100_ms_apart(
    game: RunningServer, pair: list[tuple[int, RpcClient]]
) -> None:
    (_, alice), (_, bob) = pair
    alice.call("private/subscribe", channels=["user.portfolio.usd"])
    name, mark = instrument(alice, "H100", 9)
    stamps = []
    for i in range(6):
        alice.call("private/sell", instrument_name=name, amount=1, price=round(mark + 0.05, 2))
        bob.call("private/buy", instrument_name=name, amount=1, price=round(mark + 0.05, 2))
        if i == 0:
            alice.next_on("user.portfolio.usd")
            stamps.append(time.monotonic())
    for _ in range(3):
        alice.next_on("user.portfolio.usd")
        stamps.append(time.monotonic())

    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(gaps) > 0.04  # 100 ms apart on the server (unthrottled: a few ms), less jitter


# ---------------------------------------------------------------------- deposits and errors
def test_deposit_and_withdraw_move_cash_in_usd(
    game: RunningServer, admin: RpcClient, pair: list[tuple[int, RpcClient]]
) -> None:
    (alice_id, alice), _ = pair

    dep = admin.call("admin/deposit", account_id=alice_id, amount=250.5)
    wd = admin.call("admin/withdraw", account_id=alice_id, amount=0.000001)
    summary = alice.call("private/get_account_summary")

    assert (dep["amount"], dep["balance"]) == (250.5, DEPOSIT + 250.5)
    assert wd["balance"] == pytest.approx(DEPOSIT + 250.5 - 0.000001)
    assert summary["balance"] == wd["balance"] and summary["total_pl"] == 0.0


BAD_TRANSFERS: list[tuple[str, dict[str, Any], int, str | None]] = [
    ("admin/deposit", {"amount": 0}, 10021, "amount"),
    ("admin/deposit", {"amount": -5}, 10021, "amount"),
    ("admin/deposit", {"amount": 0.0000001}, 10021, "amount"),
    ("admin/deposit", {"amount": 1e13}, 10021, "amount"),
    ("admin/deposit", {"amount": "ten"}, -32602, "amount"),
    ("admin/deposit", {"amount": None}, -32602, "amount"),
    ("admin/deposit", {"account_id": 999_999}, 19010, "account_id"),
    ("admin/deposit", {"account_id": 0}, 19010, "account_id"),
    ("admin/deposit", {"account_id": "1"}, -32602, "account_id"),
    ("admin/withdraw", {"amount": 1e9}, 10009, "amount"),
    ("admin/withdraw", {"amount": -1}, 10021, "amount"),
    ("admin/withdraw", {"account_id": 999_999}, 19010, "account_id"),
]


@pytest.mark.parametrize(("method", "change", "code", "param"), BAD_TRANSFERS)
def test_a_bad_transfer_is_refused_with_a_clear_error_and_changes_nothing(
    game: RunningServer,
    admin: RpcClient,
    pair: list[tuple[int, RpcClient]],
    method: str,
    change: dict[str, Any],
    code: int,
    param: str | None,
) -> None:
    (alice_id, alice), _ = pair
    before = alice.call("private/get_account_summary")
    params = {"account_id": alice_id, "amount": 10.0, **change}

    err = admin.error(method, **params)

    assert err["code"] == code, err
    assert err["data"].get("param") == param and err["data"].get("reason"), err
    after = alice.call("private/get_account_summary")
    assert (after["balance"], after["equity"]) == (before["balance"], before["equity"])


def test_transfers_need_an_administrator(
    game: RunningServer, pair: list[tuple[int, RpcClient]]
) -> None:
    (alice_id, alice), _ = pair
    assert alice.error("admin/deposit", account_id=alice_id, amount=5.0)["code"] == 13021


@pytest.mark.parametrize(
    ("params", "code"),
    [({"index_name": "btc_usd"}, -32602), ({"index_name": "H100"}, -32602), ({}, -32602),
     ({"index_name": 5}, -32602)],
)  # fmt: skip
def test_get_index_price_refuses_unknown_indices(
    game: RunningServer, admin: RpcClient, params: dict[str, Any], code: int
) -> None:
    err = admin.error("public/get_index_price", **params)

    assert err["code"] == code and "index_name" in str(err["data"]), err


def test_unknown_index_channels_are_not_subscribed(game: RunningServer, admin: RpcClient) -> None:
    names = ["deribit_price_index.btc_usd", "deribit_price_index.h100_usd", "user.portfolio.eur"]

    assert admin.call("public/subscribe", channels=names) == ["deribit_price_index.h100_usd"]


def test_clearing_methods_need_clearing_mode(server: RunningServer) -> None:
    client = RpcClient(server.ws_url)
    try:
        client.login(ADMIN_ID, ADMIN_SECRET)
        assert client.error("public/get_index_price", index_name="h100_usd")["code"] == -32601
        assert client.error("admin/deposit", account_id=1, amount=1.0)["code"] == -32601
        assert server.gateway.clock is None and server.gateway.index_feed is None
    finally:
        client.close()


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_usd_amounts_become_whole_micro_dollars_or_are_refused(amount: float) -> None:
    try:
        micros = micros_of_usd(amount)
    except RpcError as exc:
        assert exc.code == 10021 and exc.param == "amount"
        return
    assert 0 < micros <= 10**18 and micros / USD == pytest.approx(amount, rel=1e-15)


# ---------------------------------------------------------------------- command line
def test_flopex_serve_options_reach_the_settings() -> None:
    args = build_parser().parse_args(
        ["serve", "--clearing", "--seconds-per-day", "30", "--start-date", "2027-03-01",
         "--index-seed", "9", "--host", "0.0.0.0", "--port", "8123"]
    )  # fmt: skip
    plain = build_parser().parse_args(["serve", "--host", "10.0.0.5", "--port", "9000"])

    assert isinstance(args, argparse.Namespace)
    assert serve_overrides(args) == {
        "clearing": True,
        "seconds_per_day": 30.0,
        "start_date": "2027-03-01",
        "index_seed": 9,
        "self_url": "ws://127.0.0.1:8123/ws/api/v2",
    }
    assert serve_overrides(plain) == {"self_url": "ws://10.0.0.5:9000/ws/api/v2"}
