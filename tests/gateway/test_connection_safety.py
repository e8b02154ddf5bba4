"""Cancel-on-disconnect, heartbeats and slow consumers (docs/protocol.md GW-7)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, Instrument, Trader, gateway_settings
from tests.gateway.stubs import LocalBook, RpcClient, RunningServer, start_server


def heartbeats(client: RpcClient, seconds: float, answer: bool) -> list[str]:
    """Read for ``seconds``; return the heartbeat types seen, answering test_requests if asked."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = client.recv(timeout=left)
        except TimeoutError:
            break
        if msg.get("method") == "heartbeat":
            seen.append(msg["params"]["type"])
            if answer and msg["params"]["type"] == "test_request":
                client.call("public/test")
    return seen


def open_order_ids(client: RpcClient, instrument: Instrument) -> set[str]:
    orders = client.call("private/get_open_orders_by_instrument", instrument_name=instrument.name)
    return {o["order_id"] for o in orders}


def second_connection(server: RunningServer, trader: Trader) -> RpcClient:
    client = RpcClient(server.ws_url)
    client.login(trader.client_id, trader.client_secret)
    return client


def test_cancel_on_disconnect_cancels_the_orders_of_the_closed_connection(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    trader = make_trader()
    first, second = trader.client, second_connection(server, trader)
    channel = f"user.orders.{instrument.name}.raw"
    second.call("private/subscribe", channels=[channel])
    first.call("private/enable_cancel_on_disconnect", scope="connection")
    placed = {
        first.call("private/buy", instrument_name=instrument.name, amount=1, price=instrument.px(-3))["order"]["order_id"],
        first.call("private/sell", instrument_name=instrument.name, amount=1, price=instrument.px(3))["order"]["order_id"],
    }  # fmt: skip
    kept = second.call(
        "private/buy", instrument_name=instrument.name, amount=1, price=instrument.px(-4)
    )
    enabled = first.call("private/get_cancel_on_disconnect")
    second.all_on(channel, quiet=0.2)

    first.close()

    cancelled = [second.next_on(channel) for _ in placed]
    assert enabled == {"scope": "connection", "enabled": True}
    assert {o["order_id"] for o in cancelled} == placed
    assert {o["cancel_reason"] for o in cancelled} == {"cancel_on_disconnect"}
    assert open_order_ids(second, instrument) == {kept["order"]["order_id"]}
    second.close()


def test_account_scope_cancels_every_order_of_the_account(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    trader = make_trader()
    first, second = trader.client, second_connection(server, trader)
    channel = f"user.orders.{instrument.name}.raw"
    first.call("private/enable_cancel_on_disconnect", scope="account")
    first.call("private/buy", instrument_name=instrument.name, amount=1, price=instrument.px(-3))
    second.call("private/buy", instrument_name=instrument.name, amount=1, price=instrument.px(-4))
    watcher = second_connection(server, trader)
    watcher.call("private/subscribe", channels=[channel])

    second.close()

    cancelled = [watcher.next_on(channel) for _ in range(2)]
    assert {o["order_state"] for o in cancelled} == {"cancelled"}
    assert open_order_ids(watcher, instrument) == set()
    watcher.call("private/disable_cancel_on_disconnect", scope="account")
    watcher.close()


def test_logging_out_does_not_cancel_orders(
    server: RunningServer, make_trader: Callable[..., Trader], instrument: Instrument
) -> None:
    trader = make_trader()
    first, second = trader.client, second_connection(server, trader)
    first.call("private/enable_cancel_on_disconnect")
    order = first.call(
        "private/buy", instrument_name=instrument.name, amount=1, price=instrument.px(-3)
    )

    first.call("private/logout")
    first.wait_closed()
    time.sleep(0.5)  # time enough for a cancel-on-disconnect, were one to happen

    assert open_order_ids(second, instrument) == {order["order"]["order_id"]}
    second.close()


def test_an_unanswered_test_request_closes_the_connection(server: RunningServer) -> None:
    client = RpcClient(server.ws_url)

    assert client.call("public/set_heartbeat", interval=0.2) == "ok"
    code, reason = client.wait_closed(timeout=3)

    seen = [m["params"]["type"] for m in client.notifications if m.get("method") == "heartbeat"]
    assert seen[-1] == "test_request"
    assert (code, reason) == (1008, "heartbeat_timeout")


def test_answered_test_requests_keep_the_connection_open(server: RunningServer) -> None:
    client = RpcClient(server.ws_url)
    too_fast = client.error("public/set_heartbeat", interval=0.01)
    client.call("public/set_heartbeat", interval=0.2)

    seen = heartbeats(client, 1.5, answer=True)

    assert too_fast["code"] == 11029 and too_fast["data"]["param"] == "interval"
    assert seen.count("test_request") >= 2
    assert client.call("public/disable_heartbeat") == "ok"
    assert client.call("public/test")["version"]
    client.close()


@pytest.fixture(scope="module")
def small_buffer_server() -> Iterator[RunningServer]:
    """A gateway with a 64-message outbox and small socket send buffers, so that a client
    that stops reading overflows it after a few thousand messages rather than millions."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8_192)  # inherited by accepted sockets
    sock.bind(("127.0.0.1", 0))
    settings = gateway_settings(send_queue_max=64, slow_consumer_close_s=10, rate_limit_per_s=0)
    running = start_server(settings, sock)  # the spammer sends as fast as it can
    yield running
    running.stop()


def test_a_consumer_that_stops_reading_is_closed_as_slow_not_silently_skipped(
    small_buffer_server: RunningServer,
) -> None:
    server = small_buffer_server
    gw = server.gateway
    admin = RpcClient(server.ws_url)
    admin.login(ADMIN_ID, ADMIN_SECRET)
    creds = admin.call("admin/create_account", name="spammer")
    spammer = RpcClient(server.ws_url)
    spammer.login(creds["client_id"], creds["client_secret"])
    listing = sorted(gw.instruments.by_name.values(), key=lambda x: x.name)[7]
    channel = f"book.{listing.name}.raw"
    tiny = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    tiny.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4_096)
    tiny.connect(("127.0.0.1", server.port))
    slow = RpcClient(server.ws_url, sock=tiny, max_queue=1)
    slow.call("public/subscribe", channels=[channel])

    sent, next_id = 0, 1_000
    while channel in gw.hub.market and sent < 40_000:
        ids = []
        for _ in range(50):
            side, off = (
                ("private/sell", 3 + sent % 9) if sent % 2 else ("private/buy", -3 - sent % 9)
            )
            params: dict[str, Any] = {"instrument_name": listing.name, "amount": 1,
                                      "price": listing.to_wire(listing.ref + off)}  # fmt: skip
            spammer.send_raw(
                json.dumps({"jsonrpc": "2.0", "id": next_id, "method": side, "params": params})
            )
            ids.append(next_id)
            next_id, sent = next_id + 1, sent + 1
        for i in ids:
            assert "result" in spammer.response(i)

    local, received = LocalBook(), 0
    code, reason = None, ""
    try:
        for _ in range(sent + 10):
            local.apply(slow.next_on(channel))
            received += 1
    except Exception as exc:  # the close ends the stream
        rcvd = getattr(exc, "rcvd", None)
        code, reason = (rcvd.code, rcvd.reason) if rcvd is not None else (None, repr(exc))
    assert channel not in gw.hub.market, "the slow consumer was never closed"
    assert (code, reason) == (1008, "slow_consumer")
    assert 0 < received < sent  # a gapless prefix (LocalBook checks the chain), then the close
    assert spammer.call("public/test")["version"]
    admin.close()
    spammer.close()
