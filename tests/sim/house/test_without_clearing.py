"""On a gateway without clearing mode (no index method, no positions) the bots still trade."""

from __future__ import annotations

import asyncio

from flopex.client import Client
from sim.house import BotFleet, MarketMaker, MarketMakerParams
from tests.client.test_client import run
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RpcClient, start_server


def test_a_market_maker_falls_back_to_the_tickers_index_price_and_quotes() -> None:
    running = start_server(gateway_settings())
    admin = RpcClient(running.ws_url)
    admin.login(ADMIN_ID, ADMIN_SECRET)
    made = admin.call("admin/create_account", name="plain-mm")
    admin.close()

    async def body() -> None:
        fleet = BotFleet(running.ws_url, market_maker=MarketMakerParams(months=1))
        await fleet.spawn("market_maker", 1, [(made["client_id"], made["client_secret"])], 1)
        await asyncio.sleep(1.5)
        maker = fleet.bots["mm-1"]
        assert isinstance(maker, MarketMaker)
        async with Client(running.ws_url) as look:
            books = [await look.get_order_book(n, depth=1) for n in maker.instruments]
            tickers = [await look.ticker(n) for n in maker.instruments]
        await fleet.stop()
        assert not maker.index_method and len(maker.instruments) == 3
        for book, ticker in zip(books, tickers, strict=True):
            assert book["bids"] and book["asks"], book
            assert book["bids"][0][0] < ticker["index_price"] < book["asks"][0][0]
        assert fleet.status()[0]["errors"] == 0

    try:
        run(body())
    finally:
        running.stop()
