"""A fleet of house bots on a real gateway: two-sided books, trades, a clean stop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from flopex.client import Client
from sim.house import BotFleet, MarketMaker, MarketMakerParams, NoiseParams
from tests.client.test_client import run
from tests.gateway.stubs import RunningServer

Account = Callable[[], tuple[str, str]]


def test_two_market_makers_and_three_noise_traders_make_markets_trade_and_stop_cleanly(
    server: RunningServer, new_account: Account
) -> None:
    creds = [new_account() for _ in range(5)]

    async def body() -> None:
        fleet = BotFleet(
            server.ws_url,
            market_maker=MarketMakerParams(months=2, requote_interval_s=0.2),
            noise=NoiseParams(months=2, rate_per_s=6.0),
        )
        mm = await fleet.spawn("market_maker", 2, creds[:2], seed=7)
        noise = await fleet.spawn("noise", 3, creds[2:], seed=7)
        assert (mm, noise) == (["mm-1", "mm-2"], ["noise-1", "noise-2", "noise-3"])
        async with Client(server.ws_url) as look:
            instruments = fleet.bots["mm-1"].instruments
            assert len(instruments) == 6  # two months of each of the three products
            await asyncio.sleep(3.5)
            two_sided, traded = [], []
            for name in instruments:
                book = await look.get_order_book(name, depth=5)
                if book["bids"] and book["asks"]:
                    two_sided.append(name)
                    assert book["bids"][0][0] < book["asks"][0][0]
                trades = await look.call(
                    "public/get_last_trades_by_instrument", instrument_name=name
                )
                if trades["trades"]:
                    traded.append(name)
            status = {s["id"]: s for s in fleet.status()}
            # Fair values are anchored to the index where the server publishes one.
            index = (await look.call("public/get_index_price", index_name="h100_usd"))[
                "index_price"
            ]
            maker = fleet.bots["mm-1"]
            assert isinstance(maker, MarketMaker) and maker.index_method
            assert abs(maker.anchor["H100"] - index) <= 0.02 * index
            await fleet.stop()
        assert len(two_sided) == 6, two_sided
        assert len(traded) >= 2, traded
        assert all(s["state"] in ("running", "backing_off") for s in status.values()), status
        assert all(s["orders"] > 0 for s in status.values()), status
        assert sum(s["fills"] for s in status.values()) > 0
        assert {s["state"] for s in fleet.status()} == {"stopped"}
        for client_id, secret in creds:
            async with Client(server.ws_url) as c:
                await c.auth(client_id, secret)
                assert await c.get_open_orders() == [], client_id
        # Positions the bots tracked from their fills are those of the clearing house.
        for (client_id, secret), s in zip(creds, status.values(), strict=True):
            async with Client(server.ws_url) as c:
                await c.auth(client_id, secret)
                held = {p["instrument_name"]: p["size"] for p in await c.get_positions()}
            tracked: dict[str, Any] = fleet.bots[s["id"]].status()["position"]
            assert tracked == held, (s["id"], tracked, held)

    run(body(), timeout=40)
