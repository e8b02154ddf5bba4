"""Placing, editing and cancelling orders; trades between two accounts (docs/protocol.md GW-5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.gateway.conftest import Instrument, Trader


def test_a_limit_order_rests_and_is_cancelled(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice = make_trader().client

    placed = alice.call(
        "private/buy",
        instrument_name=instrument.name,
        amount=3,
        price=instrument.px(-5),
        label="b1",
    )
    open_orders = alice.call(
        "private/get_open_orders_by_instrument", instrument_name=instrument.name
    )
    cancelled = alice.call("private/cancel", order_id=placed["order"]["order_id"])
    after = alice.call("private/get_open_orders_by_instrument", instrument_name=instrument.name)
    state = alice.call("private/get_order_state", order_id=placed["order"]["order_id"])

    order = placed["order"]
    assert isinstance(order["order_id"], str) and order["order_id"].isdigit()
    assert order["order_state"] == "open" and order["direction"] == "buy"
    assert order["price"] == instrument.px(-5) and order["amount"] == 3
    assert order["label"] == "b1" and order["time_in_force"] == "good_til_cancelled"
    assert placed["trades"] == []
    assert [o["order_id"] for o in open_orders] == [order["order_id"]]
    assert cancelled["order_state"] == "cancelled" and cancelled["cancel_reason"] == "user_request"
    assert after == [] and state["order_state"] == "cancelled"


def test_a_trade_between_two_accounts_notifies_both_sides(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    maker, taker = make_trader().client, make_trader().client
    for client in (maker, taker):
        client.call("private/subscribe", channels=[
            f"user.orders.{instrument.name}.raw", "user.trades.any.any.raw"])  # fmt: skip
    price = instrument.px(1)
    sell = maker.call("private/sell", instrument_name=instrument.name, amount=5, price=price)
    maker.next_on(f"user.orders.{instrument.name}.raw")

    buy = taker.call(
        "private/buy", instrument_name=instrument.name, amount=2, price=instrument.px(3)
    )

    maker_order = maker.next_on(f"user.orders.{instrument.name}.raw")
    maker_trades = maker.next_on("user.trades.any.any.raw")
    taker_order = taker.next_on(f"user.orders.{instrument.name}.raw")
    taker_trades = taker.next_on("user.trades.any.any.raw")
    assert buy["order"]["order_state"] == "filled" and buy["order"]["average_price"] == price
    assert [t["trade_id"] for t in buy["trades"]] == [t["trade_id"] for t in taker_trades]
    assert maker_order["order_id"] == sell["order"]["order_id"]
    assert maker_order["order_state"] == "open" and maker_order["filled_amount"] == 2
    assert taker_order["order_state"] == "filled" and taker_order["filled_amount"] == 2
    (mt,), (tt,) = maker_trades, taker_trades
    assert mt["trade_id"] == tt["trade_id"] and mt["trade_seq"] == tt["trade_seq"]
    assert (mt["direction"], mt["liquidity"], tt["direction"], tt["liquidity"]) == (
        "sell",
        "M",
        "buy",
        "T",
    )
    assert mt["price"] == tt["price"] == price and mt["amount"] == tt["amount"] == 2
    assert mt["fee"] == tt["fee"] == pytest.approx(7.30) and mt["fee_currency"] == "USD"
    assert (
        mt["order_id"] == sell["order"]["order_id"] and tt["order_id"] == buy["order"]["order_id"]
    )
    history = maker.call("private/get_user_trades_by_instrument", instrument_name=instrument.name)
    assert [t["trade_id"] for t in history["trades"]] == [mt["trade_id"]]
    last = taker.call("public/get_last_trades_by_instrument", instrument_name=instrument.name)
    assert last["trades"][0]["direction"] == "buy" and last["trades"][0]["amount"] == 2


def test_editing_an_order_changes_its_price_and_amount(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice = make_trader().client
    order = alice.call(
        "private/sell", instrument_name=instrument.name, amount=4, price=instrument.px(6)
    )["order"]

    smaller = alice.call(
        "private/edit", order_id=order["order_id"], amount=2, price=instrument.px(6)
    )
    moved = alice.call("private/edit", order_id=order["order_id"], amount=2, price=instrument.px(8))
    book = alice.call("public/get_order_book", instrument_name=instrument.name)

    assert smaller["order"]["amount"] == 2 and smaller["order"]["replaced"] is True
    assert moved["order"]["price"] == instrument.px(8)
    assert book["asks"] == [[instrument.px(8), 2]]


def test_prices_must_sit_on_the_tick_and_amounts_must_be_whole_contracts(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice = make_trader().client
    off_tick = instrument.ref + instrument.tick / 2

    tick_error = alice.error(
        "private/buy", instrument_name=instrument.name, amount=1, price=off_tick
    )
    amount_error = alice.error(
        "private/buy", instrument_name=instrument.name, amount=1.5, price=instrument.ref
    )
    zero_error = alice.error(
        "private/buy", instrument_name=instrument.name, amount=0, price=instrument.ref
    )
    no_price = alice.error("private/buy", instrument_name=instrument.name, amount=1)
    unknown = alice.error("private/buy", instrument_name="H100-1JAN99", amount=1, price=1.0)

    assert (tick_error["code"], tick_error["message"]) == (10043, "price_wrong_tick")
    assert tick_error["data"]["param"] == "price"
    assert (amount_error["code"], zero_error["code"]) == (10021, 10021)
    assert no_price["code"] == -32602 and no_price["data"]["param"] == "price"
    assert unknown["code"] == 10020
    assert (
        alice.call("private/get_open_orders_by_instrument", instrument_name=instrument.name) == []
    )


def test_engine_rejects_map_to_deribit_error_codes(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice, bob = make_trader().client, make_trader().client
    alice.call("private/sell", instrument_name=instrument.name, amount=1, price=instrument.px(2))
    name = instrument.name

    too_high = bob.error(
        "private/buy",
        instrument_name=name,
        amount=1,
        price=round(instrument.max_price + instrument.tick, 2),
    )
    too_low = bob.error(
        "private/sell",
        instrument_name=name,
        amount=1,
        price=round(instrument.min_price - instrument.tick, 2),
    )
    post_only = bob.error("private/buy", instrument_name=name, amount=1, price=instrument.px(2),
                          post_only=True, reject_post_only=True)  # fmt: skip
    fok = bob.error("private/buy", instrument_name=name, amount=5, price=instrument.px(2),
                    time_in_force="fill_or_kill")  # fmt: skip
    reduce_only = bob.error("private/sell", instrument_name=name, amount=1, price=instrument.px(5),
                            reduce_only=True)  # fmt: skip
    market_empty = bob.error("private/sell", instrument_name=name, amount=1, type="market")

    assert (too_high["code"], too_high["message"]) == (10007, "price_too_high")
    assert (too_low["code"], too_low["message"]) == (10005, "price_too_low")
    assert (post_only["code"], post_only["message"]) == (11054, "post_only_reject")
    assert fok["code"] == 19050 and reduce_only["code"] == 19052 and market_empty["code"] == 19051


def test_market_ioc_and_stop_orders_follow_the_matching_rules(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice, bob = make_trader().client, make_trader().client
    name = instrument.name
    alice.call("private/sell", instrument_name=name, amount=2, price=instrument.px(1))
    alice.call("private/sell", instrument_name=name, amount=5, price=instrument.px(4))
    stop = bob.call("private/buy", instrument_name=name, amount=1, type="stop_market",
                    trigger_price=instrument.px(1))["order"]  # fmt: skip

    market = bob.call("private/buy", instrument_name=name, amount=1, type="market")
    stop_after = bob.call("private/get_order_state", order_id=stop["order_id"])
    ioc = bob.call("private/buy", instrument_name=name, amount=9, price=instrument.px(4),
                   time_in_force="immediate_or_cancel")  # fmt: skip

    assert stop["order_state"] == "untriggered" and stop["trigger_price"] == instrument.px(1)
    assert market["order"]["order_state"] == "filled" and market["trades"][0][
        "price"
    ] == instrument.px(1)
    assert stop_after["triggered"] is True and stop_after["order_state"] == "filled"
    assert stop_after["average_price"] == instrument.px(1)
    assert ioc["order"]["order_state"] == "cancelled" and ioc["order"]["filled_amount"] == 5
    assert ioc["order"]["cancel_reason"] == "immediate_or_cancel"


def test_reduce_only_is_cut_to_the_position(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice, bob = make_trader().client, make_trader().client
    name = instrument.name
    alice.call("private/sell", instrument_name=name, amount=3, price=instrument.px(0))
    bob.call("private/buy", instrument_name=name, amount=3, price=instrument.px(0))

    closing = bob.call("private/sell", instrument_name=name, amount=10, price=instrument.px(9),
                       reduce_only=True)["order"]  # fmt: skip

    assert closing["amount"] == 3 and closing["reduce_only"] is True


def test_cancel_all_counts_and_cancels_only_the_callers_orders(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice, bob = make_trader().client, make_trader().client
    name = instrument.name
    for k in range(3):
        alice.call("private/buy", instrument_name=name, amount=1, price=instrument.px(-3 - k))
    alice.call("private/buy", instrument_name=name, amount=1, type="stop_limit",
               price=instrument.px(5), trigger_price=instrument.px(4))  # fmt: skip
    bob.call("private/buy", instrument_name=name, amount=1, price=instrument.px(-9))

    stops = alice.call("private/cancel_all_by_instrument", instrument_name=name, type="stop")
    rest = alice.call("private/cancel_all")

    assert (stops, rest) == (1, 3)
    assert alice.call("private/get_open_orders_by_instrument", instrument_name=name) == []
    assert len(bob.call("private/get_open_orders_by_instrument", instrument_name=name)) == 1
