"""Conformance: the real ccxt ``deribit`` and ``ccxt.pro`` ``deribit`` classes trade against
flopex with nothing changed but the URLs (docs/protocol.md GW-3 to GW-6).

REST calls sign with ``deri-hmac-sha256``; the websocket client authenticates with
``client_signature``. Each wait is bounded by ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import ccxt
import ccxt.pro
import pytest

from tests.gateway.conftest import Instrument, Trader
from tests.gateway.stubs import RunningServer

WAIT = 5.0


def rest_client(server: RunningServer, trader: Trader) -> Any:
    ex = ccxt.deribit({"apiKey": trader.client_id, "secret": trader.client_secret})
    ex.urls["api"] = {"rest": server.http_url}
    return ex


def ws_client(server: RunningServer, trader: Trader) -> Any:
    ex = ccxt.pro.deribit({"apiKey": trader.client_id, "secret": trader.client_secret})
    ex.urls["api"] = {"rest": server.http_url, "ws": server.ws_url}
    return ex


def test_ccxt_rest_loads_markets_trades_and_manages_orders(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    maker = rest_client(server, make_trader())
    taker = rest_client(server, make_trader())
    markets = maker.load_markets()
    taker.load_markets()
    symbol = maker.markets_by_id[instrument.name][0]["symbol"]
    market = markets[symbol]

    placed = maker.create_order(symbol, "limit", "sell", 3, instrument.px(2))
    open_orders = maker.fetch_open_orders(symbol)
    filled = taker.create_order(symbol, "market", "buy", 1)
    mine = maker.fetch_my_trades(symbol)
    tape = taker.fetch_trades(symbol)
    edited = maker.edit_order(placed["id"], symbol, "limit", "sell", 4, instrument.px(3))
    book = taker.fetch_order_book(symbol)
    cancelled = maker.cancel_order(placed["id"], symbol)

    assert len(markets) == 108 and market["future"] and market["linear"]
    assert market["contractSize"] == 730 and market["precision"]["price"] == instrument.tick
    assert placed["status"] == "open" and placed["price"] == instrument.px(2)
    assert [o["id"] for o in open_orders] == [placed["id"]]
    assert filled["status"] == "closed" and filled["filled"] == 1
    assert filled["average"] == instrument.px(2)
    assert [(t["side"], t["amount"], t["takerOrMaker"]) for t in mine] == [("sell", 1, "maker")]
    assert mine[0]["order"] == placed["id"] and tape[0]["id"] == mine[0]["id"]
    assert edited["amount"] == 4 and edited["filled"] == 1 and edited["price"] == instrument.px(3)
    assert book["asks"][0] == [instrument.px(3), 3]
    assert cancelled["status"] == "canceled"


def test_ccxt_maps_flopex_errors_to_its_exception_classes(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    trader = make_trader()
    ex = rest_client(server, trader)
    ex.load_markets()
    symbol = ex.markets_by_id[instrument.name][0]["symbol"]
    wrong = rest_client(server, trader)
    wrong.secret = "not-the-secret"
    wrong.markets, wrong.markets_by_id, wrong.symbols = ex.markets, ex.markets_by_id, ex.symbols

    with pytest.raises(ccxt.InvalidOrder):
        ex.create_order(symbol, "limit", "buy", 1, round(instrument.max_price + instrument.tick, 2))
    with pytest.raises(ccxt.OrderNotFound):
        ex.fetch_order("999999", symbol)
    with pytest.raises(ccxt.AuthenticationError):
        wrong.fetch_open_orders(symbol)


def test_ccxt_pro_streams_the_book_trades_and_own_orders(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    maker_trader, taker_trader = make_trader(), make_trader()

    async def scenario() -> dict[str, Any]:
        maker = ws_client(server, maker_trader)
        taker = ws_client(server, taker_trader)
        try:
            await maker.load_markets()
            await taker.load_markets()
            symbol = maker.markets_by_id[instrument.name][0]["symbol"]
            await maker.create_order(symbol, "limit", "sell", 3, instrument.px(1))
            book = await asyncio.wait_for(maker.watch_order_book(symbol), WAIT)
            asks_before = [list(level) for level in book["asks"]]  # ccxt updates it in place
            trades = asyncio.ensure_future(maker.watch_trades(symbol))
            orders = asyncio.ensure_future(maker.watch_orders(symbol))
            my_trades = asyncio.ensure_future(maker.watch_my_trades(symbol))
            await asyncio.sleep(0.3)  # let the subscriptions reach the server
            await taker.create_order(symbol, "limit", "buy", 2, instrument.px(1))
            seen = {
                "trades": await asyncio.wait_for(trades, WAIT),
                "orders": await asyncio.wait_for(orders, WAIT),
                "my_trades": await asyncio.wait_for(my_trades, WAIT),
            }
            # The book change is sent before the trade notifications, so it is in by now.
            return {**seen, "asks_before": asks_before, "asks_after": book["asks"]}
        finally:
            await maker.close()
            await taker.close()

    seen = asyncio.run(scenario())

    assert seen["asks_before"][0][:2] == [instrument.px(1), 3]
    assert seen["asks_after"][0][:2] == [instrument.px(1), 1]
    (trade,) = seen["trades"]
    assert (trade["side"], trade["price"], trade["amount"]) == ("buy", instrument.px(1), 2)
    order = seen["orders"][-1]
    assert order["status"] == "open" and order["filled"] == 2 and order["remaining"] == 1
    (mine,) = seen["my_trades"]
    assert mine["id"] == trade["id"] and mine["side"] == "sell" and mine["takerOrMaker"] == "maker"
