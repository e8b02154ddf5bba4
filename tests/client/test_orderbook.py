"""The client's local order book: rebuilt from the book channel, gaps detected and
resynchronised (docs/protocol.md GW-6, docs/client.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from flopex.client import Client
from flopex.orderbook import LocalOrderBook, watch_book
from tests.gateway.stubs import RunningServer

NAME = "H100-31MAR27"


def snap(change_id: int, bids: list[Any], asks: list[Any]) -> dict[str, Any]:
    return {"type": "snapshot", "instrument_name": NAME, "change_id": change_id,
            "bids": [["new", p, q] for p, q in bids], "asks": [["new", p, q] for p, q in asks]}  # fmt: skip


def change(prev: int, cid: int, bids: list[Any] = (), asks: list[Any] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {"type": "change", "instrument_name": NAME, "prev_change_id": prev,
            "change_id": cid, "bids": list(bids), "asks": list(asks)}  # fmt: skip


def test_snapshot_then_chained_changes_build_the_book() -> None:
    book = LocalOrderBook(NAME)
    assert book.stale and book.best_bid() is None
    assert book.apply(snap(10, [(2.80, 5), (2.79, 1)], [(2.82, 3)]))
    assert book.apply(change(10, 11, bids=[["change", 2.80, 7]], asks=[["new", 2.81, 2]]))
    assert book.apply(change(11, 12, bids=[["delete", 2.79, 0]]))
    assert (book.best_bid(), book.best_ask(), book.change_id) == ((2.80, 7), (2.81, 2), 12)
    assert book.levels() == ([[2.80, 7]], [[2.81, 2], [2.82, 3]])


def test_a_gap_makes_the_book_stale_until_the_next_snapshot() -> None:
    book = LocalOrderBook(NAME)
    book.apply(snap(10, [(2.80, 5)], []))
    assert not book.apply(change(11, 12, bids=[["new", 2.70, 1]]))  # 11 never arrived
    assert book.stale and book.gaps == 1 and 2.70 not in book.bids
    assert not book.apply(change(12, 13))  # still stale: nothing applied
    assert book.apply(snap(20, [(2.75, 2)], []))
    assert not book.stale and book.bids == {2.75: 2} and book.change_id == 20


def test_a_message_of_another_instrument_is_refused() -> None:
    with pytest.raises(ValueError, match="not H100-31MAR27"):
        LocalOrderBook(NAME).apply({**snap(1, [], []), "instrument_name": "B200-31MAR27"})


class _FakeSub:
    def __init__(self, messages: list[tuple[str, Any]]) -> None:
        self.messages = messages
        self.closed = False

    async def get(self) -> tuple[str, Any]:
        return self.messages.pop(0)

    async def close(self) -> None:
        self.closed = True


class _FakeClient:
    """Serves a lossy first subscription, then a clean one."""

    def __init__(self) -> None:
        self.subs = [
            _FakeSub([("c", snap(1, [(2.8, 1)], [])), ("c", change(2, 3))]),  # 2 is lost
            _FakeSub([("c", snap(5, [(2.9, 4)], [])), ("c", change(5, 6, asks=[["new", 3.0, 1]]))]),
        ]
        self.subscribed = 0

    async def subscribe(self, channel: str) -> _FakeSub:
        assert channel == f"book.{NAME}.100ms"
        sub = self.subs[self.subscribed]
        self.subscribed += 1
        return sub


def test_watch_book_resubscribes_after_a_gap() -> None:
    async def run() -> list[tuple[int | None, dict[float, float]]]:
        client = _FakeClient()
        seen = []
        stream = watch_book(client, NAME)  # type: ignore[arg-type]
        async for book in stream:
            seen.append((book.change_id, dict(book.bids)))
            if len(seen) == 3:
                break
        await stream.aclose()
        assert client.subscribed == 2 and client.subs[0].closed
        return seen

    assert asyncio.run(run()) == [(1, {2.8: 1}), (5, {2.9: 4}), (6, {2.9: 4})]


def test_the_watched_book_equals_the_servers_book(
    server: RunningServer, new_account: Callable[[], tuple[str, str]]
) -> None:
    gw = server.gateway
    listing = sorted(gw.instruments.by_name.values(), key=lambda x: x.contract.month_index)[4]
    name, ref, tick = listing.name, listing.to_wire(listing.ref), listing.to_wire(listing.tick)
    creds = new_account()

    async def run() -> tuple[LocalOrderBook, dict[str, Any]]:
        async with Client(server.ws_url) as watcher, Client(server.ws_url) as trader:
            await trader.auth(*creds)
            stream = watch_book(watcher, name)
            first = await asyncio.wait_for(stream.__anext__(), 10)
            assert first.change_id is not None
            for k in range(1, 6):
                await trader.buy(name, k, price=round(ref - k * tick, 2))
                await trader.sell(name, k, price=round(ref + k * tick, 2))
            orders = await trader.get_open_orders(name)
            await trader.cancel(orders[0]["order_id"])
            server_book = await trader.call("public/get_order_book", instrument_name=name)
            book = first
            for _ in range(200):  # bounded: 11 changes are expected
                if book.change_id == server_book["change_id"]:
                    break
                book = await asyncio.wait_for(stream.__anext__(), 10)
            await stream.aclose()
            return book, server_book

    book, server_book = asyncio.run(run())
    assert book.change_id == server_book["change_id"]
    bids, asks = book.levels(depth=20)
    assert (bids, asks) == (server_book["bids"], server_book["asks"])
    assert book.gaps == 0
