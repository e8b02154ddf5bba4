"""Clearing mode (docs/protocol.md GW-12): the clearing house margins orders before
matching and books trades; its rejects reach the wire as Deribit codes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from gateway import Settings
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RpcClient, RunningServer, start_server

USD = 1_000_000
DEPOSIT = 1_000 * USD
_names = itertools.count(1)


@pytest.fixture(scope="module")
def clearing_server() -> Iterator[RunningServer]:
    running = start_server(gateway_settings(clearing=True, clearing_deposit_micros=DEPOSIT))
    yield running
    running.stop()


@pytest.fixture
def clients(clearing_server: RunningServer) -> Iterator[list[tuple[int, RpcClient]]]:
    admin = RpcClient(clearing_server.ws_url)
    admin.login(ADMIN_ID, ADMIN_SECRET)
    made = []
    for _ in range(2):
        creds = admin.call("admin/create_account", name=f"cleared-{next(_names)}")
        client = RpcClient(clearing_server.ws_url)
        client.login(creds["client_id"], creds["client_secret"])
        made.append((creds["account_id"], client))
    yield made
    for _, client in made:
        client.close()
    admin.close()


def far_month(server: RunningServer, currency: str = "H100") -> str:
    names = [i["instrument_name"] for i in server_call(server, currency)]
    return str(names[-1])


def server_call(server: RunningServer, currency: str) -> list[dict[str, object]]:
    client = RpcClient(server.ws_url)
    try:
        got: list[dict[str, object]] = client.call("public/get_instruments", currency=currency)
        return got
    finally:
        client.close()


def test_settings_turn_clearing_mode_on_from_the_environment() -> None:
    on = Settings.from_env({"FLOPEX_CLEARING": "1", "FLOPEX_CLEARING_DEPOSIT_MICROS": "5"})

    assert (on.clearing, on.clearing_deposit_micros) == (True, 5)
    assert Settings.from_env({}).clearing is False
    with pytest.raises(ValueError, match="clearing"):
        Settings(clearing=True, data_dir="/tmp/x")


def test_new_accounts_are_opened_at_the_house_with_the_initial_deposit(
    clearing_server: RunningServer, clients: list[tuple[int, RpcClient]]
) -> None:
    house = clearing_server.gateway.clearing.house  # type: ignore[union-attr]

    for account, _ in clients:
        assert house.ledger.cash(account) == DEPOSIT
        assert house.summary(account).equity == DEPOSIT


def test_an_order_beyond_the_accounts_funds_is_refused_and_changes_nothing(
    clearing_server: RunningServer, clients: list[tuple[int, RpcClient]]
) -> None:
    (account, alice), _ = clients
    house = clearing_server.gateway.clearing.house  # type: ignore[union-attr]
    name = far_month(clearing_server, "B200")
    book_before = alice.call("public/get_order_book", instrument_name=name)
    summary_before = house.summary(account)

    refused = alice.error("private/buy", instrument_name=name, amount=500, price=5.00)

    assert (refused["code"], refused["message"]) == (10009, "not_enough_funds")
    assert refused["data"]["param"] == "amount"
    assert alice.call("private/get_open_orders_by_instrument", instrument_name=name) == []
    book_after = alice.call("public/get_order_book", instrument_name=name)
    assert (book_after["bids"], book_after["asks"]) == (book_before["bids"], book_before["asks"])
    assert house.summary(account) == summary_before


def test_an_order_within_the_funds_rests_and_a_trade_is_booked_by_the_house(
    clearing_server: RunningServer, clients: list[tuple[int, RpcClient]]
) -> None:
    (seller, alice), (buyer, bob) = clients
    house = clearing_server.gateway.clearing.house  # type: ignore[union-attr]
    name = far_month(clearing_server, "H100")
    column = house.cols.names.index(name)

    placed = alice.call("private/sell", instrument_name=name, amount=2, price=2.90)
    held = house.summary(seller).hold
    bought = bob.call("private/buy", instrument_name=name, amount=2, price=2.90)

    assert placed["order"]["order_state"] == "open" and held > 0
    assert bought["order"]["order_state"] == "filled"
    assert house.position_row(seller)[column] == -2
    assert house.position_row(buyer)[column] == 2
    house.check_invariants()


def test_positions_and_account_summary_after_a_trade_between_two_accounts(
    clearing_server: RunningServer, clients: list[tuple[int, RpcClient]]
) -> None:
    (seller, alice), (buyer, bob) = clients
    house = clearing_server.gateway.clearing.house  # type: ignore[union-attr]
    name = far_month(clearing_server, "A100")
    alice.call("private/sell", instrument_name=name, amount=3, price=1.50)
    bob.call("private/buy", instrument_name=name, amount=3, price=1.50)
    alice.call("private/sell", instrument_name=name, amount=1, price=1.60)  # rests

    short = alice.call("private/get_position", instrument_name=name)
    long = bob.call("private/get_position", instrument_name=name)
    listed = bob.call("private/get_positions", currency="A100", kind="future")
    elsewhere = bob.call("private/get_positions", currency="H100")
    summary = alice.call("private/get_account_summary", currency="USD")
    expected = house.summary(seller)

    assert (short["direction"], short["size"], short["average_price"]) == ("sell", -3.0, 1.50)
    assert (long["direction"], long["size"], long["kind"]) == ("buy", 3.0, "future")
    assert long["initial_margin"] >= long["maintenance_margin"] > 0
    assert long["floating_profit_loss"] == -short["floating_profit_loss"]
    assert [p["instrument_name"] for p in listed] == [name] and elsewhere == []
    assert summary["equity"] == expected.equity / USD
    assert summary["available_funds"] == expected.free / USD
    assert summary["initial_margin"] == expected.required / USD
    assert summary["open_orders_margin"] > 0 and summary["maintenance_margin"] > 0
    assert summary["margin_call_pending"] is False
    assert buyer != seller


def test_position_methods_need_clearing_mode(server: RunningServer, admin: RpcClient) -> None:
    creds = admin.call("admin/create_account", name=f"uncleared-{next(_names)}")
    client = RpcClient(server.ws_url)
    client.login(creds["client_id"], creds["client_secret"])
    try:
        for method, params in (
            ("private/get_position", {"instrument_name": "H100-31MAR27"}),
            ("private/get_positions", {"currency": "any"}),
            ("private/get_account_summary", {"currency": "USD"}),
        ):
            assert client.error(method, **params)["code"] == -32601
    finally:
        client.close()
