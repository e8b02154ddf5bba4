"""No account reads or touches another account's orders (docs/protocol.md GW-3)."""

from __future__ import annotations

from collections.abc import Callable

from tests.gateway.conftest import Instrument, Trader


def test_another_account_cannot_see_cancel_or_edit_an_order(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice, mallory = make_trader().client, make_trader().client
    order = alice.call("private/buy", instrument_name=instrument.name, amount=2,
                       price=instrument.px(-4))["order"]  # fmt: skip
    oid = order["order_id"]

    attempts = [
        mallory.error("private/get_order_state", order_id=oid),
        mallory.error("private/cancel", order_id=oid),
        mallory.error("private/edit", order_id=oid, amount=1, price=instrument.px(-4)),
    ]
    mallory_cancel_all = mallory.call("private/cancel_all")
    mallory_view = mallory.call(
        "private/get_open_orders_by_instrument", instrument_name=instrument.name
    )
    mallory_trades = mallory.call(
        "private/get_user_trades_by_instrument", instrument_name=instrument.name
    )

    assert [(e["code"], e["message"]) for e in attempts] == [(10004, "order_not_found")] * 3
    assert mallory_cancel_all == 0 and mallory_view == [] and mallory_trades["trades"] == []
    still = alice.call("private/get_order_state", order_id=oid)
    assert still["order_state"] == "open" and still["amount"] == 2
    assert still["price"] == instrument.px(-4) and still["replaced"] is False


def test_own_order_channels_carry_only_own_orders(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice, bob = make_trader().client, make_trader().client
    bob.call("private/subscribe", channels=["user.orders.any.raw", "user.trades.any.any.raw"])

    alice.call("private/buy", instrument_name=instrument.name, amount=1, price=instrument.px(-2))
    alice.call("private/sell", instrument_name=instrument.name, amount=1, price=instrument.px(9))
    mine = bob.call(
        "private/buy", instrument_name=instrument.name, amount=1, price=instrument.px(-3)
    )

    seen = bob.all_on("user.orders.any.raw")
    assert [o["order_id"] for o in seen] == [mine["order"]["order_id"]]
    assert bob.all_on("user.trades.any.any.raw", quiet=0.1) == []


def test_an_order_id_that_is_not_a_number_is_an_invalid_param(
    make_trader: Callable[..., Trader],
) -> None:
    alice = make_trader().client

    err = alice.error("private/cancel", order_id="DROP TABLE")

    assert err["code"] == -32602 and err["data"]["param"] == "order_id"
