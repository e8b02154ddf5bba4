"""Market data: the book feed rebuilds the order book exactly (docs/protocol.md GW-6)."""

from __future__ import annotations

import random
from collections.abc import Callable

from exchange import codes as c
from tests.gateway.conftest import Instrument, Trader
from tests.gateway.stubs import MAX_MESSAGES, LocalBook, RpcClient, RpcFailed, RunningServer


def random_flow(clients: list[RpcClient], instrument: Instrument, n: int, seed: int) -> None:
    """Send ``n`` seeded random limit orders, cancels and edits from ``clients``."""
    rng = random.Random(seed)
    mine: dict[int, list[str]] = {i: [] for i in range(len(clients))}
    for _ in range(n):
        i = rng.randrange(len(clients))
        client, roll = clients[i], rng.random()
        try:
            if roll < 0.6 or not mine[i]:
                side = rng.choice(["private/buy", "private/sell"])
                skew = -2 if side == "private/buy" else 2
                price = instrument.px(skew + rng.randint(-6, 6))
                order = client.call(side, instrument_name=instrument.name,
                                    amount=rng.randint(1, 5), price=price)["order"]  # fmt: skip
                mine[i].append(order["order_id"])
            elif roll < 0.8:
                client.call("private/cancel", order_id=mine[i].pop(rng.randrange(len(mine[i]))))
            else:
                oid = rng.choice(mine[i])
                client.call("private/edit", order_id=oid, amount=rng.randint(1, 6),
                            price=instrument.px(rng.randint(-8, 8)))  # fmt: skip
        except RpcFailed as exc:
            # Orders that filled meanwhile can no longer be cancelled or edited, and an
            # edit cannot bring an order's amount down to what has already filled.
            assert "not_open_order" in str(exc) or "invalid_amount" in str(exc), exc


def engine_levels(server: RunningServer, name: str) -> tuple[list[list[float]], list[list[float]]]:
    """Return the engine's own levels of ``name`` as wire [price, amount] lists."""
    gw = server.gateway
    listing = gw.instruments.by_name[name]
    return tuple(  # type: ignore[return-value]
        [[listing.to_wire(p), float(q)] for p, q, _ in gw.venue.engine.levels(listing.slot, side)]
        for side in (c.SIDE_BUY, c.SIDE_SELL)
    )


def test_a_local_book_from_snapshot_and_changes_equals_the_order_book(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice, bob = make_trader().client, make_trader().client
    channel = f"book.{instrument.name}.raw"
    random_flow([alice, bob], instrument, 40, seed=1)  # the snapshot has something in it
    watcher = RpcClient(server.ws_url)
    local = LocalBook()

    assert watcher.call("public/subscribe", channels=[channel]) == [channel]
    snapshot = watcher.next_on(channel)
    local.apply(snapshot)
    random_flow([alice, bob], instrument, 250, seed=2)
    final = alice.call("public/get_order_book", instrument_name=instrument.name, depth=10_000)
    for _ in range(MAX_MESSAGES):
        if local.change_id == final["change_id"]:
            break
        local.apply(watcher.next_on(channel))

    assert snapshot["type"] == "snapshot" and "prev_change_id" not in snapshot
    assert local.change_id == final["change_id"]
    assert local.levels() == (final["bids"], final["asks"])
    assert local.levels() == engine_levels(server, instrument.name)
    assert final["bids"] and final["asks"]
    assert final["bids"][0][0] < final["asks"][0][0]
    watcher.close()


def test_subscribing_again_sends_a_fresh_snapshot(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice = make_trader().client
    channel = f"book.{instrument.name}.raw"
    alice.call("public/subscribe", channels=[channel])
    first = alice.next_on(channel)
    alice.call("private/buy", instrument_name=instrument.name, amount=2, price=instrument.px(-1))
    change = alice.next_on(channel)

    alice.call("public/subscribe", channels=[channel])
    again = alice.next_on(channel)

    assert change["prev_change_id"] == first["change_id"]
    assert again["type"] == "snapshot" and again["change_id"] == change["change_id"]
    assert again["bids"] == [["new", instrument.px(-1), 2]]


def test_trades_and_ticker_channels_report_a_trade(
    make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice, bob = make_trader().client, make_trader().client
    name = instrument.name
    bob.call("public/subscribe", channels=[f"trades.{name}.raw", f"ticker.{name}.100ms",
                                           f"ticker.{name}.raw"])  # fmt: skip
    alice.call("private/sell", instrument_name=name, amount=3, price=instrument.px(2))

    bob.call("private/buy", instrument_name=name, amount=2, price=instrument.px(2))

    (trade,) = bob.next_on(f"trades.{name}.raw")
    raw = [t for t in bob.all_on(f"ticker.{name}.raw") if t["last_price"] is not None]
    slow = [t for t in bob.all_on(f"ticker.{name}.100ms") if t["last_price"] is not None]
    last = bob.call("public/get_last_trades_by_instrument", instrument_name=name, count=1)
    assert (
        trade["direction"] == "buy" and trade["price"] == instrument.px(2) and trade["amount"] == 2
    )
    assert trade["trade_id"] == last["trades"][0]["trade_id"]
    for ticker in (raw[-1], slow[-1]):
        assert ticker["last_price"] == instrument.px(2) and ticker["best_ask_amount"] == 1
        assert ticker["stats"]["volume"] == 2 and ticker["open_interest"] == 2
        assert ticker["min_price"] == instrument.min_price
        assert ticker["max_price"] == instrument.max_price


def test_book_summaries_give_the_whole_curve_with_mid_last_and_mark(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    alice, bob = make_trader().client, make_trader().client
    product = instrument.name.split("-")[0]
    bid, ask = instrument.px(-3), instrument.px(3)
    alice.call("private/buy", instrument_name=instrument.name, amount=2, price=bid)
    alice.call("private/sell", instrument_name=instrument.name, amount=2, price=ask)

    rows = bob.call("public/get_book_summary_by_currency", currency=product, kind="future")
    names = [r["instrument_name"] for r in rows]
    listed = [x["instrument_name"] for x in bob.call("public/get_instruments", currency=product)]
    assert names == listed  # every listed month of the product, front month first
    assert {r["base_currency"] for r in rows} == {product}
    ours = rows[names.index(instrument.name)]
    assert (ours["bid_price"], ours["ask_price"]) == (bid, ask)
    assert ours["mid_price"] == round((bid + ask) / 2, 6)
    assert ours["last"] is None and ours["mark_price"] > 0

    one = bob.call("public/get_book_summary_by_instrument", instrument_name=instrument.name)
    assert one == [ours | {"creation_timestamp": one[0]["creation_timestamp"]}]
    everything = bob.call("public/get_book_summary_by_currency", currency="any")
    assert len(everything) == len(server.gateway.instruments.by_name)
    assert bob.call("public/get_book_summary_by_currency", currency="H100", kind="option") == []
    err = bob.error("public/get_book_summary_by_instrument", instrument_name="H100-NOPE")
    assert (err["code"], err["message"]) == (10020, "invalid_or_unsupported_instrument")
