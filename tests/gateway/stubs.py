"""Test helpers: a real gateway on a loopback port, a JSON-RPC websocket client, a local book.

Every wait is bounded: ``recv`` has a timeout and loops stop after a fixed number of
messages, so a broken server fails a test instead of hanging it.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from gateway import Settings, create_app
from gateway.core import Gateway

TIMEOUT = 5.0
MAX_MESSAGES = 10_000


class RpcFailed(AssertionError):
    """A call expected to succeed returned an error."""


@dataclass
class RunningServer:
    """A gateway served by uvicorn in a background thread."""

    app: FastAPI
    settings: Settings
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/api/v2"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def gateway(self) -> Gateway:
        gw: Gateway = self.app.state.gateway
        return gw

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_server(
    settings: Settings,
    sock: socket.socket | None = None,
    app_factory: Callable[[Settings], FastAPI] = create_app,
) -> RunningServer:
    """Serve ``create_app(settings)`` on a free 127.0.0.1 port; wait until it accepts.

    A socket passed in must be made with ``proto=IPPROTO_TCP``: asyncio only turns Nagle
    off (TCP_NODELAY) on such sockets, and pipelined requests stall 40 ms without it.
    """
    if sock is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    app = app_factory(settings)
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", ws_max_size=settings.ws_max_size
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.02)
    return RunningServer(app, settings, port, server, thread)


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """GET ``url``; return (status, decoded JSON body), for error statuses too."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def http_post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST ``body`` to ``url``; return (status, decoded JSON body)."""
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


class RpcClient:
    """A JSON-RPC client on a real websocket; notifications are kept until asked for."""

    def __init__(self, url: str, **kw: Any) -> None:
        kw.setdefault("max_queue", None)
        self.ws: ClientConnection = connect(
            url, proxy=None, open_timeout=TIMEOUT, close_timeout=2, legacy=True, **kw
        )
        self._ids = itertools.count(1)
        self.notifications: deque[dict[str, Any]] = deque()

    def close(self) -> None:
        self.ws.close()

    def send_raw(self, frame: str | bytes) -> None:
        self.ws.send(frame)

    def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Return the next message of any kind."""
        msg: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        return msg

    def request(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one request; return its whole response frame (result or error)."""
        req_id = next(self._ids)
        self.ws.send(
            json.dumps({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params})
        )
        return self.response(req_id)

    def response(self, req_id: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        """Return the response to ``req_id``, keeping notifications that arrive first."""
        for _ in range(MAX_MESSAGES):
            msg = self.recv(timeout)
            if "id" in msg and msg["id"] == req_id and ("result" in msg or "error" in msg):
                return msg
            self.notifications.append(msg)
        raise AssertionError(f"no response to request {req_id}")

    def call(self, method: str, **params: Any) -> Any:
        """Return the result of ``method``; raise ``RpcFailed`` on an error."""
        msg = self.request(method, **params)
        if "error" in msg:
            raise RpcFailed(f"{method} failed: {msg['error']}")
        return msg["result"]

    def error(self, method: str, **params: Any) -> dict[str, Any]:
        """Return the error object of a call expected to fail."""
        msg = self.request(method, **params)
        assert "error" in msg, f"{method} was expected to fail, got {msg.get('result')!r}"
        err: dict[str, Any] = msg["error"]
        return err

    def login(self, client_id: str, client_secret: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "public/auth",
            grant_type="client_credentials",
            client_id=client_id,
            client_secret=client_secret,
        )
        return result

    def next_on(self, channel: str, timeout: float = TIMEOUT) -> Any:
        """Return the data of the next notification on ``channel`` (kept ones first)."""
        for i, msg in enumerate(self.notifications):
            if msg.get("params", {}).get("channel") == channel:
                del self.notifications[i]
                return msg["params"]["data"]
        for _ in range(MAX_MESSAGES):
            msg = self.recv(timeout)
            if msg.get("params", {}).get("channel") == channel:
                return msg["params"]["data"]
            self.notifications.append(msg)
        raise AssertionError(f"nothing on {channel}")

    def all_on(self, channel: str, quiet: float = 0.3) -> list[Any]:
        """Return every notification on ``channel`` until the socket is quiet for ``quiet`` s."""
        out = []
        for _ in range(MAX_MESSAGES):
            try:
                out.append(self.next_on(channel, timeout=quiet))
            except TimeoutError:
                break
        return out

    def wait_closed(self, timeout: float = TIMEOUT) -> tuple[int | None, str]:
        """Read until the server closes the connection; return (close code, reason)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.notifications.append(self.recv(timeout=max(0.01, deadline - time.monotonic())))
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")
        except TimeoutError:
            pass
        raise AssertionError("the server did not close the connection")


class LocalBook:
    """A book kept from ``book.{instrument}.raw`` notifications (docs/protocol.md recipe)."""

    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.change_id: int | None = None

    def apply(self, data: dict[str, Any]) -> None:
        """Apply a snapshot or a change; a change must chain on the last change id."""
        if data["type"] == "snapshot":
            self.bids.clear()
            self.asks.clear()
        else:
            assert data["prev_change_id"] == self.change_id, "gap in the change_id chain"
        for side, levels in ((self.bids, data["bids"]), (self.asks, data["asks"])):
            for action, price, amount in levels:
                if action == "delete":
                    assert price in side, f"delete of a level not in the book: {price}"
                    del side[price]
                else:
                    assert (action == "new") == (price not in side), f"{action} at {price}"
                    side[price] = amount
        self.change_id = data["change_id"]

    def levels(self) -> tuple[list[list[float]], list[list[float]]]:
        """Return ([price, amount] bids best first, asks best first)."""
        bids = [[p, a] for p, a in sorted(self.bids.items(), reverse=True)]
        asks = [[p, a] for p, a in sorted(self.asks.items())]
        return bids, asks
