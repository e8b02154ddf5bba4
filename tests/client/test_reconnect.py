"""The client reconnects with backoff, logs in again, resubscribes and says so."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from flopex.client import RECONNECTED, Client, ConnectionLost
from tests.client.test_client import run
from tests.gateway.conftest import ADMIN_ID, ADMIN_SECRET, gateway_settings
from tests.gateway.stubs import RunningServer, start_server


def listening_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def test_after_a_server_restart_the_client_logs_in_resubscribes_and_reports_it() -> None:
    first = start_server(gateway_settings(), sock=listening_socket())
    port = first.port
    servers: list[RunningServer] = [first]

    async def body() -> None:
        events: list[tuple[str, dict[str, Any]]] = []
        async with Client(first.ws_url, backoff_initial=0.05, backoff_max=0.2) as c:
            c.on("disconnected", lambda info: events.append(("disconnected", info)))
            c.on("reconnected", lambda info: events.append(("reconnected", info)))
            await c.auth(ADMIN_ID, ADMIN_SECRET)
            name = (await c.get_instruments("H100"))[6]["instrument_name"]
            book = await c.subscribe(f"book.{name}.raw")
            assert (await book.get(5))[1]["type"] == "snapshot"

            await asyncio.to_thread(first.stop)
            await asyncio.sleep(0.3)  # a few failed attempts against the closed port
            assert not c.connected
            servers.append(
                await asyncio.to_thread(start_server, gateway_settings(), listening_socket(port))
            )
            channel, info = await book.get(10)
            assert channel == RECONNECTED and info["channels"] == [f"book.{name}.raw"]
            channel, snap = await book.get(5)
            assert (channel, snap["type"]) == (f"book.{name}.raw", "snapshot")
            assert c.connected and c.reconnects == 1
            assert [e for e, _ in events] == ["disconnected", "reconnected"]
            # Logged in again on the new server: an administrator-only call works.
            made = await c.call("admin/create_account", name="after-restart")
            assert made["role"] == "trader"

    try:
        run(body(), timeout=40)
    finally:
        for s in servers:
            s.stop()


def test_a_request_made_while_disconnected_waits_for_the_new_connection(
    server: RunningServer,
) -> None:
    async def body() -> None:
        async with Client(server.ws_url, backoff_initial=0.05) as c:
            await c.auth(ADMIN_ID, ADMIN_SECRET)
            await c.drop_connection()
            assert (await c.call("public/get_time")) > 0
            assert c.reconnects == 1 and c.connected

    run(body())


def test_a_request_in_flight_when_the_connection_drops_fails_with_connection_lost() -> None:
    async def answer_nothing_then_close(ws: ServerConnection) -> None:
        await ws.recv()
        await ws.close()

    async def body() -> None:
        async with serve(answer_nothing_then_close, "127.0.0.1", 0) as srv:
            port = next(iter(srv.sockets)).getsockname()[1]
            async with Client(f"ws://127.0.0.1:{port}", backoff_initial=0.05) as c:
                with pytest.raises(ConnectionLost):
                    await c.call("public/test")

    run(body())


def test_without_reconnect_a_dropped_client_fails_its_calls(server: RunningServer) -> None:
    async def body() -> None:
        async with Client(server.ws_url, reconnect=False) as c:
            await c.drop_connection()
            await asyncio.sleep(0.2)
            try:
                await c.call("public/test")
            except ConnectionLost:
                return
            raise AssertionError("a call on a dropped client without reconnect succeeded")

    run(body())


def test_the_access_token_is_renewed_before_it_expires() -> None:
    short = start_server(gateway_settings(access_token_ttl_s=1))

    async def body() -> None:
        async with Client(short.ws_url) as c:
            first = await c.auth(ADMIN_ID, ADMIN_SECRET)
            await asyncio.sleep(2.5)  # two and a half lifetimes of the first token
            made = await c.call("admin/create_account", name="after-expiry")
            assert made["role"] == "trader"
            assert c.auth_result is not None
            assert c.auth_result["access_token"] != first["access_token"]

    try:
        run(body())
    finally:
        short.stop()
