"""flopex.client against a real gateway: calls, errors, subscriptions, heartbeats, timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from flopex.client import Client, ConnectionLost, RequestTimeout, RpcError
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET
from tests.gateway.stubs import RunningServer

Account = Callable[[], tuple[str, str]]


def run(coro: Coroutine[Any, Any, Any], timeout: float = 20.0) -> Any:
    """Run one test coroutine, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def instrument(c: Client, product: str, month: int) -> dict[str, Any]:
    listed = await c.get_instruments(product)
    return listed[month]


def test_auth_then_calls_return_results_and_helpers_send_orders(
    server: RunningServer, new_account: Account
) -> None:
    client_id, secret = new_account()

    async def body() -> None:
        async with Client(server.ws_url) as c:
            tokens = await c.auth(client_id, secret)
            assert tokens["scope"].startswith("connection account:read trade:read_write")
            ins = await instrument(c, "H100", 4)
            name, tick = ins["instrument_name"], ins["tick_size"]
            ref = (await c.ticker(name))["mark_price"]
            bid = round(ref - 5 * tick, 2)
            placed = await c.buy(name, 2, price=bid, post_only=True, label="t1")
            order = placed["order"]
            assert (order["order_state"], order["price"], order["amount"]) == ("open", bid, 2.0)
            assert order["label"] == "t1" and placed["trades"] == []
            edited = await c.edit(order["order_id"], 3, price=round(bid - tick, 2))
            assert edited["order"]["amount"] == 3.0
            book = await c.get_order_book(name, depth=5)
            assert book["bids"] == [[round(bid - tick, 2), 3.0]]
            assert [o["order_id"] for o in await c.get_open_orders(name)] == [order["order_id"]]
            summary = await c.get_account_summary()
            assert summary["currency"] == "USD" and summary["initial_margin"] > 0
            assert await c.cancel_all() == 1
            assert await c.get_open_orders() == []
            assert await c.get_positions() == []

    run(body())


def test_error_answers_raise_rpc_error_with_code_message_and_data(
    server: RunningServer, new_account: Account
) -> None:
    client_id, secret = new_account()

    async def body() -> None:
        async with Client(server.ws_url) as c:
            with pytest.raises(RpcError) as bad_login:
                await c.auth(client_id, "wrong")
            assert bad_login.value.code == 13004
            with pytest.raises(RpcError) as no_auth:
                await c.call("private/get_open_orders")
            assert no_auth.value.code == 10000
            await c.auth(client_id, secret)
            ins = await instrument(c, "H100", 5)
            with pytest.raises(RpcError) as tick:
                await c.buy(ins["instrument_name"], 1, price=2.815)
            assert (tick.value.code, tick.value.message) == (10043, "price_wrong_tick")
            assert tick.value.data["param"] == "price"
            with pytest.raises(RpcError) as missing:
                await c.call("public/no_such_method")
            assert missing.value.code == -32601
            assert (await c.call("public/test"))["version"]  # the connection is still good

    run(body())


def test_a_subscription_yields_the_snapshot_then_changes_and_a_callback_sees_trades(
    server: RunningServer, new_account: Account
) -> None:
    maker, taker = new_account(), new_account()

    async def body() -> None:
        async with Client(server.ws_url) as a, Client(server.ws_url) as b:
            await a.auth(*maker)
            await b.auth(*taker)
            ins = await instrument(a, "B200", 4)
            name = ins["instrument_name"]
            price = (await a.ticker(name))["mark_price"]
            book = await a.subscribe(f"book.{name}.raw")
            seen: list[Any] = []
            got = asyncio.Event()

            async def on_trades(channel: str, data: Any) -> None:
                seen.append((channel, data))
                got.set()

            await a.subscribe("user.trades.any.any.raw", callback=on_trades)
            channel, snap = await book.get(timeout=5)
            assert (channel, snap["type"], snap["bids"], snap["asks"]) == (
                f"book.{name}.raw",
                "snapshot",
                [],
                [],
            )
            await a.sell(name, 3, price=price)
            _, change = await book.get(timeout=5)
            assert change["prev_change_id"] == snap["change_id"]
            assert change["asks"] == [["new", price, 3.0]]
            await b.buy(name, 1, price=price)
            await asyncio.wait_for(got.wait(), 5)
            assert seen[0][0] == "user.trades.any.any.raw"
            assert [(t["direction"], t["amount"], t["price"]) for t in seen[0][1]] == [
                ("sell", 1.0, price)
            ]
            await a.cancel_all()

    run(body())


def test_a_refused_channel_raises_unless_not_strict(server: RunningServer) -> None:
    async def body() -> None:
        async with Client(server.ws_url) as c:
            with pytest.raises(RpcError) as refused:
                await c.subscribe("book.NOPE-1JAN30.raw")
            assert refused.value.data == ["book.NOPE-1JAN30.raw"]
            listed = await c.get_instruments("A100")
            good = f"ticker.{listed[0]['instrument_name']}.raw"
            sub = await c.subscribe(good, "user.orders.any.any.raw", strict=False)
            assert (sub.channels, sub.refused) == ([good], ["user.orders.any.any.raw"])

    run(body())


def test_heartbeat_test_requests_are_answered_so_the_server_keeps_the_connection(
    server: RunningServer,
) -> None:
    async def body() -> None:
        async with Client(server.ws_url, reconnect=False) as c:
            await c.auth(ADMIN_ID, ADMIN_SECRET)
            await c.set_heartbeat(0.1)
            # Silent for ten intervals: an unanswered test_request closes after two.
            await asyncio.sleep(1.0)
            assert c.connected
            assert (await c.call("public/test"))["version"]

    run(body())


def test_an_unanswered_request_times_out() -> None:
    async def silent(ws: ServerConnection) -> None:
        async for _ in ws:
            pass

    async def body() -> None:
        async with serve(silent, "127.0.0.1", 0) as srv:
            port = next(iter(srv.sockets)).getsockname()[1]
            async with Client(f"ws://127.0.0.1:{port}", request_timeout=0.2) as c:
                with pytest.raises(RequestTimeout):
                    await c.call("public/test")
                with pytest.raises(TimeoutError):  # RequestTimeout is a TimeoutError
                    await c.request("public/test", timeout=0.05)

    run(body())


def test_connecting_to_a_closed_port_fails_within_the_wait() -> None:
    async def body() -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        c = Client(f"ws://127.0.0.1:{port}/ws/api/v2")
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(ConnectionLost):
            await c.connect(wait=0.5)
        assert 0.4 <= loop.time() - t0 < 3.0

    run(body())
