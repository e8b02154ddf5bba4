"""Orders by label and close_position (docs/protocol.md GW-4)."""

from __future__ import annotations

from collections.abc import Callable

from tests.gateway.conftest import Instrument, Trader


def test_orders_are_listed_cancelled_and_edited_by_label(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    bot = make_trader().client
    name = instrument.name
    for ticks, label in ((-3, "quote"), (-4, "quote"), (-5, "hedge")):
        bot.call("private/buy", instrument_name=name, amount=1, price=instrument.px(ticks),
                 label=label)  # fmt: skip

    listed = bot.call("private/get_open_orders_by_label", label="quote", currency="any")
    assert sorted(o["price"] for o in listed) == [instrument.px(-4), instrument.px(-3)]
    assert bot.call("private/get_open_orders_by_label", label="quote", currency="B200" if
                    name.startswith("H100") else "H100") == []  # fmt: skip

    err = bot.error("private/edit_by_label", label="quote", instrument_name=name, price=1.0)
    assert err["code"] == 11029 and "needs exactly one" in str(err)
    err = bot.error("private/edit_by_label", label="nothing", instrument_name=name, price=1.0)
    assert err["code"] == 10004

    assert bot.call("private/cancel_by_label", label="quote") == 2
    assert bot.call("private/cancel_by_label", label="quote") == 0
    left = bot.call("private/get_open_orders_by_instrument", instrument_name=name)
    assert [o["label"] for o in left] == ["hedge"]

    edited = bot.call("private/edit_by_label", label="hedge", instrument_name=name,
                      amount=2, price=instrument.px(-6))["order"]  # fmt: skip
    assert (edited["price"], edited["amount"], edited["label"]) == (instrument.px(-6), 2, "hedge")
    assert bot.error("private/cancel_by_label", label="")["code"] == 11029


def test_close_position_sends_a_reduce_only_order_for_the_whole_position(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    a, b = make_trader().client, make_trader().client
    name = instrument.name
    assert a.error("private/close_position", instrument_name=name)["code"] == 11029  # flat

    b.call("private/sell", instrument_name=name, amount=3, price=instrument.px(1))
    a.call("private/buy", instrument_name=name, amount=3, price=instrument.px(1))  # long 3
    err = a.error("private/close_position", instrument_name=name, type="limit")
    assert err["code"] == 11029 and "price" in str(err)

    b.call("private/buy", instrument_name=name, amount=5, price=instrument.px(-1))
    closed = a.call("private/close_position", instrument_name=name, type="market")
    order = closed["order"]
    assert (order["direction"], order["amount"], order["reduce_only"]) == ("sell", 3, True)
    assert sum(t["amount"] for t in closed["trades"]) == 3
    assert a.error("private/close_position", instrument_name=name)["code"] == 11029  # flat again
    assert b.call("private/get_open_orders_by_instrument", instrument_name=name)[0]["amount"] == 5
    assert (
        b.call("private/get_open_orders_by_instrument", instrument_name=name)[0]["filled_amount"]
        == 3
    )
