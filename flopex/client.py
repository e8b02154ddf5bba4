"""An async Python client for flopex's websocket API (the Deribit v2 dialect, docs/protocol.md).

```python
async with Client("ws://127.0.0.1:8000/ws/api/v2") as c:
    await c.auth(client_id, client_secret)
    book = await c.get_order_book("H100-31MAR27")
    placed = await c.buy("H100-31MAR27", 2, price=2.41, post_only=True, label="q1")
    async for channel, data in await c.subscribe("user.trades.any.any.raw"):
        ...
```

Units are the wire's: prices are floats in US dollars per GPU-hour (whole ticks, $0.01
by default), amounts are whole contracts (730 GPU-hours each), times are seconds unless
named ``*_ms``. Results are the decoded JSON objects of docs/protocol.md.

The client answers the server's heartbeat ``test_request`` by itself, renews its access
token before it expires, and, when the connection drops, reconnects with exponential
backoff, logs in again, restores the heartbeat, cancel-on-disconnect and every
subscription, and then tells the program: listeners of ``"reconnected"`` are called and
every subscription yields ``("reconnected", info)`` at the point of the gap (book
channels then start again with a fresh snapshot). Requests that were in flight when the
connection dropped fail with ``ConnectionLost`` (their outcome is unknown: check with
``private/get_open_orders``); requests made while reconnecting wait for the new
connection, within their timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

log = logging.getLogger("flopex.client")

RECONNECTED = "reconnected"
"""Pseudo-channel a subscription yields after a reconnect, before the resumed stream."""
DISCONNECTED = "disconnected"

Handler = Callable[[str, Any], Awaitable[None] | None]
"""A subscription callback: ``handler(channel, data)``, plain or async."""
Listener = Callable[[dict[str, Any]], Awaitable[None] | None]
"""A connection-event listener: ``listener(info)``, plain or async."""

_HEARTBEAT_TEST = "test_request"
_NO_RESULT: Any = msgspec.UNSET


class ClientError(Exception):
    """Base class of every error this client raises."""


class RpcError(ClientError):
    """The server answered a request with a JSON-RPC error (docs/protocol.md GW-8).

    ``code`` is the numeric code (e.g. 10009 ``not_enough_funds``), ``message`` its name,
    ``data`` the optional details (``reason``, ``param``).
    """

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code} {message}" + (f": {data}" if data else ""))
        self.code = code
        self.message = message
        self.data = data


class RequestTimeout(ClientError, TimeoutError):
    """No answer within the request timeout (the request may still have taken effect)."""


class ConnectionLost(ClientError, ConnectionError):
    """The connection dropped before the answer came, or could not be re-established."""


class SubscriptionOverflow(ClientError):
    """A subscription's queue filled up because it was not read: messages were dropped."""


class _ErrorBody(msgspec.Struct):
    code: int
    message: str = ""
    data: Any = None


class _Frame(msgspec.Struct):
    """Any frame the server sends: a response, a notification or a heartbeat."""

    id: int | str | None = None
    method: str | None = None
    params: Any = None
    result: Any = msgspec.UNSET
    error: _ErrorBody | None = None


class _Request(msgspec.Struct):
    id: int
    method: str
    params: dict[str, Any]
    jsonrpc: str = "2.0"


_decode = msgspec.json.Decoder(_Frame).decode
_encode = msgspec.json.Encoder().encode
_CLOSED = object()
_OVERFLOW = object()


class Subscription:
    """Notifications of some channels, in arrival order: ``async for channel, data in sub``.

    After a reconnect it yields ``(RECONNECTED, info)`` first. If it is not read and more
    than ``max_queue`` messages wait, iteration raises ``SubscriptionOverflow`` rather
    than skip messages silently.
    """

    def __init__(self, client: Client, channels: list[str], max_queue: int) -> None:
        self.client = client
        self.channels = channels
        self.refused: list[str] = []
        """Channels the server did not accept (non-strict ``subscribe`` only)."""
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._max = max_queue
        self._overflowed = False
        self.closed = False

    def _put(self, channel: str, data: Any) -> None:
        if self.closed or self._overflowed:
            return
        if self._queue.qsize() >= self._max:
            self._overflowed = True
            self._queue.put_nowait(_OVERFLOW)
            return
        self._queue.put_nowait((channel, data))

    def _end(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put_nowait(_CLOSED)

    def __aiter__(self) -> AsyncIterator[tuple[str, Any]]:
        return self

    async def __anext__(self) -> tuple[str, Any]:
        item = await self._queue.get()
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # later readers stop too
            raise StopAsyncIteration
        if item is _OVERFLOW:
            raise SubscriptionOverflow(f"more than {self._max} unread messages on {self.channels}")
        assert isinstance(item, tuple)
        return item

    async def get(self, timeout: float | None = None) -> tuple[str, Any]:
        """Return the next ``(channel, data)``; ``TimeoutError`` after ``timeout`` s."""
        return await asyncio.wait_for(self.__anext__(), timeout)

    def pending(self) -> int:
        """Return how many messages wait to be read."""
        return self._queue.qsize()

    async def close(self) -> None:
        """Stop this subscription; unsubscribe channels no other subscription reads."""
        await self.client._drop(self)


class Client:
    """One websocket connection to a flopex gateway, kept alive across drops.

    ``request_timeout`` (s) bounds every call; ``reconnect`` turns automatic reconnection
    on; the n-th attempt waits ``min(backoff_max, backoff_initial·2ⁿ)`` s, ±25 % jitter,
    and the client gives up after ``max_reconnect_attempts`` attempts in a row.
    """

    def __init__(
        self,
        url: str,
        *,
        request_timeout: float = 10.0,
        reconnect: bool = True,
        backoff_initial: float = 0.25,
        backoff_max: float = 10.0,
        max_reconnect_attempts: int = 100,
        max_queue: int = 100_000,
        client_name: str = "flopex-client",
    ) -> None:
        self.url = url
        self.request_timeout = request_timeout
        self.reconnect = reconnect
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.max_reconnect_attempts = max_reconnect_attempts
        self.max_queue = max_queue
        self.client_name = client_name
        self.reconnects = 0
        """Reconnections so far."""
        self.auth_result: dict[str, Any] | None = None
        """The last ``public/auth`` answer (tokens, ``scope``, ``expires_in``)."""
        self._ws: ClientConnection | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._routes: dict[str, list[Subscription]] = {}
        self._subs: list[Subscription] = []
        self._handlers: list[asyncio.Task[None]] = []
        self._listeners: dict[str, list[Listener]] = {RECONNECTED: [], DISCONNECTED: []}
        self._credentials: tuple[str, str] | None = None
        self._heartbeat: float | None = None
        self._cod_scope: str | None = None
        self._ready = asyncio.Event()
        self._closing = False
        self._failure: BaseException | None = None
        self._reader: asyncio.Task[None] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._jitter = random.Random()

    # -- connection lifecycle ---------------------------------------------------------

    async def __aenter__(self) -> Client:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def failure(self) -> BaseException | None:
        """Why the client gave up reconnecting (or was cut off without reconnect), else None."""
        return self._failure

    @property
    def connected(self) -> bool:
        """Return whether the connection is up and restored (not reconnecting)."""
        return self._ready.is_set()

    async def connect(self, wait: float = 0.0) -> None:
        """Open the connection; retry with backoff for up to ``wait`` s while it is refused.

        Raises ``ConnectionLost`` if the server cannot be reached in that time.
        """
        deadline = time.monotonic() + wait
        for attempt in itertools.count():
            try:
                await self._open()
                break
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ConnectionLost(f"cannot connect to {self.url}: {exc!r}") from exc
                await asyncio.sleep(min(left, self._backoff(attempt)))
        self._ready.set()
        self._supervisor = asyncio.create_task(self._supervise(), name="flopex-client")

    async def close(self) -> None:
        """Close the connection; end every subscription. Open orders stay unless
        cancel-on-disconnect is enabled (``enable_cancel_on_disconnect``)."""
        self._closing = True
        self._ready.clear()
        tasks = [t for t in (self._refresher, self._supervisor) if t is not None]
        for task in tasks:
            task.cancel()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 2.0)
        if self._reader is not None:
            self._reader.cancel()
            tasks.append(self._reader)
        await asyncio.gather(*tasks, return_exceptions=True)
        self._fail_pending(ConnectionLost("client closed"))
        for sub in self._subs:
            sub._end()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        self._handlers.clear()

    async def drop_connection(self) -> None:
        """Close the socket as a network failure would (the client then reconnects)."""
        if self._ws is not None:
            await self._ws.close()

    def on(self, event: Literal["reconnected", "disconnected"], listener: Listener) -> None:
        """Call ``listener(info)`` on every ``"disconnected"`` or ``"reconnected"`` event.

        ``info`` has ``attempt`` (reconnections so far) and, on ``disconnected``,
        ``reason``.
        """
        self._listeners[event].append(listener)

    def _backoff(self, attempt: int) -> float:
        base = min(self.backoff_max, self.backoff_initial * (2 ** min(attempt, 30)))
        return base * self._jitter.uniform(0.75, 1.25)

    async def _open(self) -> None:
        ws = await connect(
            self.url,
            open_timeout=self.request_timeout,
            close_timeout=2.0,
            max_size=1 << 22,
            proxy=None,
            user_agent_header=f"{self.client_name} (flopex.client)",
        )
        self._ws = ws
        self._reader = asyncio.create_task(self._read_loop(ws), name="flopex-client-reader")

    async def _supervise(self) -> None:
        """Wait for the connection to drop; then reconnect and restore, or give up."""
        while not self._closing:
            assert self._reader is not None
            await asyncio.wait([self._reader])
            if self._closing:
                return
            self._ready.clear()
            ws = self._ws
            reason = ws.close_reason if ws is not None else None
            self._fail_pending(ConnectionLost(f"connection lost ({reason or 'no reason'})"))
            await self._emit(DISCONNECTED, {"attempt": self.reconnects, "reason": reason})
            if not self.reconnect:
                self._give_up(ConnectionLost(f"connection lost ({reason or 'no reason'})"))
                return
            if not await self._reconnect():
                return

    async def _reconnect(self) -> bool:
        last: BaseException | None = None
        for attempt in range(self.max_reconnect_attempts):
            await asyncio.sleep(self._backoff(attempt))
            if self._closing:
                return False
            try:
                await self._open()
                await self._restore()
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError, ClientError) as exc:
                last = exc
                if isinstance(exc, RpcError) and exc.code == 13004:  # the key is gone
                    if self._ws is not None:
                        with contextlib.suppress(Exception):
                            await self._ws.close()
                    break
                log.info("reconnect attempt %d to %s failed: %r", attempt + 1, self.url, exc)
                if self._ws is not None:
                    with contextlib.suppress(Exception):
                        await self._ws.close()
                continue
            self.reconnects += 1
            log.info("reconnected to %s (attempt %d)", self.url, attempt + 1)
            self._ready.set()
            return True
        self._give_up(ConnectionLost(f"gave up reconnecting to {self.url}: {last!r}"))
        log.warning("gave up reconnecting to %s: %r", self.url, last)
        return False

    def _give_up(self, exc: BaseException) -> None:
        self._failure = exc
        self._closing = True
        for sub in self._subs:
            sub._end()

    async def _restore(self) -> None:
        """Log in again and restore session settings and subscriptions on a new socket."""
        if self._credentials is not None:
            await self._login(*self._credentials, ready=False)
        if self._heartbeat is not None:
            await self._request("public/set_heartbeat", {"interval": self._heartbeat}, ready=False)
        if self._cod_scope is not None:
            await self._request(
                "private/enable_cancel_on_disconnect", {"scope": self._cod_scope}, ready=False
            )
        info = {"attempt": self.reconnects + 1, "channels": sorted(self._routes)}
        for sub in self._subs:  # before the resubscription: the marker precedes new data
            sub._put(RECONNECTED, info)
        if self._routes:
            await self._send_subscribe(list(self._routes), ready=False)
        await self._emit(RECONNECTED, info)

    async def _emit(self, event: str, info: dict[str, Any]) -> None:
        for listener in list(self._listeners[event]):
            try:
                out = listener(info)
                if inspect.isawaitable(out):
                    await out
            except Exception:
                log.exception("%s listener failed", event)

    def _fail_pending(self, exc: BaseException) -> None:
        pending, self._pending = self._pending, {}
        for fut in pending.values():
            if not fut.done():
                fut.set_exception(exc)

    async def _read_loop(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                try:
                    frame = _decode(raw)
                except msgspec.DecodeError:
                    log.warning("undecodable frame from the server: %.200r", raw)
                    continue
                if frame.method == "subscription":
                    self._deliver(frame.params)
                elif frame.method == "heartbeat":
                    if (
                        isinstance(frame.params, dict)
                        and frame.params.get("type") == "test_request"
                    ):
                        req = _Request(next(self._ids), "public/test", {})
                        await ws.send(_encode(req).decode())
                elif isinstance(frame.id, int):
                    fut = self._pending.pop(frame.id, None)
                    if fut is None or fut.done():
                        continue
                    if frame.error is not None:
                        err = frame.error
                        fut.set_exception(RpcError(err.code, err.message, err.data))
                    else:
                        fut.set_result(None if frame.result is _NO_RESULT else frame.result)

    def _deliver(self, params: Any) -> None:
        if not isinstance(params, dict):
            return
        channel = params.get("channel")
        for sub in self._routes.get(channel, ()):  # type: ignore[arg-type]
            sub._put(channel, params.get("data"))  # type: ignore[arg-type]

    # -- requests ---------------------------------------------------------------------

    async def call(self, method: str, /, **params: Any) -> Any:
        """Call ``method`` with ``params``; return its result.

        Raises ``RpcError`` for an error answer, ``RequestTimeout`` after
        ``request_timeout`` s, ``ConnectionLost`` if the connection drops first.
        """
        return await self.request(method, params)

    async def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float | None = None
    ) -> Any:
        """Like ``call``, with the parameters as a dict and an explicit timeout (s)."""
        return await self._request(method, params or {}, True, timeout)

    async def _request(
        self, method: str, params: dict[str, Any], ready: bool = True, timeout: float | None = None
    ) -> Any:
        timeout = self.request_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        req_id = next(self._ids)
        frame = _encode(_Request(req_id, method, params)).decode()
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        for _ in range(self.max_reconnect_attempts + 1):
            if self._closing:
                raise ConnectionLost(str(self._failure or "client closed"))
            if ready and not self._ready.is_set():
                try:
                    await asyncio.wait_for(self._ready.wait(), deadline - time.monotonic())
                except TimeoutError:
                    raise RequestTimeout(f"{method}: not connected within {timeout} s") from None
            ws = self._ws
            if ws is None:
                raise ConnectionLost("not connected")
            self._pending[req_id] = fut
            try:
                await ws.send(frame)
                break
            except ConnectionClosed as exc:
                # Never sent, so safe to send again once reconnected.
                self._pending.pop(req_id, None)
                if not (ready and self.reconnect) or time.monotonic() >= deadline:
                    raise ConnectionLost(f"{method}: connection lost while sending") from exc
                if ws is self._ws:
                    self._ready.clear()  # the supervisor sets it again once reconnected
        try:
            return await asyncio.wait_for(fut, max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            self._pending.pop(req_id, None)
            raise RequestTimeout(f"{method}: no answer within {timeout} s") from None

    # -- session ----------------------------------------------------------------------

    async def auth(self, client_id: str, client_secret: str) -> dict[str, Any]:
        """Log in with ``client_credentials``; the connection stays logged in (also after
        reconnects, and the token is renewed before it expires). Returns the tokens."""
        result = await self._login(client_id, client_secret, ready=True)
        self._credentials = (client_id, client_secret)
        return result

    async def _login(self, client_id: str, client_secret: str, ready: bool) -> dict[str, Any]:
        params = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        result: dict[str, Any] = await self._request("public/auth", params, ready)
        self._set_tokens(result)
        return result

    def _set_tokens(self, result: dict[str, Any]) -> None:
        self.auth_result = result
        if self._refresher is not None:
            self._refresher.cancel()
        expires_in = float(result.get("expires_in") or 0)
        if expires_in > 0:
            self._refresher = asyncio.create_task(self._refresh_after(0.8 * expires_in))

    async def _refresh_after(self, delay: float) -> None:
        """Renew the access token ``delay`` s from now (with the refresh token, or the
        credentials if that fails)."""
        await asyncio.sleep(delay)
        refresh = (self.auth_result or {}).get("refresh_token")
        result: dict[str, Any] | None = None
        if refresh:
            with contextlib.suppress(ClientError):
                params = {"grant_type": "refresh_token", "refresh_token": refresh}
                result = await self._request("public/auth", params)
        if result is None and self._credentials is not None:
            client_id, secret = self._credentials
            params = {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            }
            with contextlib.suppress(ClientError):
                result = await self._request("public/auth", params)
        if result is None:
            log.warning("could not renew the access token of %s", self.url)
            return
        self._refresher = None  # this task ends here: _set_tokens must not cancel it
        self._set_tokens(result)

    async def set_heartbeat(self, interval: float) -> None:
        """Ask the server for heartbeats every ``interval`` s (≥ 10 on a default server);
        its ``test_request``s are answered automatically. Kept across reconnects."""
        await self.call("public/set_heartbeat", interval=interval)
        self._heartbeat = interval

    async def enable_cancel_on_disconnect(
        self, scope: Literal["connection", "account"] = "connection"
    ) -> None:
        """Have the server cancel this connection's (or the account's) orders when the
        connection drops. Re-enabled on every reconnect."""
        await self.call("private/enable_cancel_on_disconnect", scope=scope)
        self._cod_scope = scope

    # -- subscriptions ----------------------------------------------------------------

    async def _send_subscribe(self, channels: list[str], ready: bool = True) -> list[str]:
        """Subscribe public channels with ``public/subscribe`` and, once logged in,
        own-account ones (``user.*``) with ``private/subscribe``; return those accepted."""
        accepted: list[str] = []
        if self.auth_result is None:  # the server leaves private channels out
            public, private = channels, []
        else:
            public = [ch for ch in channels if not ch.startswith("user.")]
            private = [ch for ch in channels if ch.startswith("user.")]
        for method, names in (("public/subscribe", public), ("private/subscribe", private)):
            if names:
                accepted += await self._request(method, {"channels": names}, ready)
        return accepted

    async def subscribe(
        self, *channels: str, callback: Handler | None = None, strict: bool = True
    ) -> Subscription:
        """Subscribe to ``channels``; return the ``Subscription`` that yields their messages.

        With ``callback``, ``callback(channel, data)`` (plain or async) is called for each
        message in order, from a task of its own; do not iterate the subscription then.
        The server leaves out channels it does not publish (or private ones before
        ``auth``): with ``strict`` that raises ``RpcError`` (code 0, the refused names in
        ``data``) and subscribes nothing; without it the subscription keeps the accepted
        ones and lists the others in ``Subscription.refused``.
        """
        sub = Subscription(self, list(channels), self.max_queue)
        new = [ch for ch in channels if ch not in self._routes]
        for ch in channels:
            self._routes.setdefault(ch, []).append(sub)
        self._subs.append(sub)
        try:
            accepted = await self._send_subscribe(list(channels))
        except BaseException:
            await self._drop(sub, unsubscribe=False)
            raise
        sub.refused = [ch for ch in channels if ch not in accepted]
        if sub.refused and strict:
            await self._drop(sub, unsubscribe=False)
            stale = [ch for ch in new if ch in accepted]
            if stale:
                with contextlib.suppress(ClientError):
                    await self.call("public/unsubscribe", channels=stale)
            raise RpcError(0, "channels_refused", sub.refused)
        for ch in sub.refused:
            self._routes[ch].remove(sub)
            if not self._routes[ch]:
                del self._routes[ch]
        sub.channels = [ch for ch in channels if ch in accepted]
        if callback is not None:
            self._handlers.append(asyncio.create_task(self._run_handler(sub, callback)))
        return sub

    async def _run_handler(self, sub: Subscription, callback: Handler) -> None:
        async for channel, data in sub:
            try:
                out = callback(channel, data)
                if inspect.isawaitable(out):
                    await out
            except Exception:
                log.exception("subscription callback failed on %s", channel)

    async def _drop(self, sub: Subscription, unsubscribe: bool = True) -> None:
        sub._end()
        if sub in self._subs:
            self._subs.remove(sub)
        orphans = []
        for ch in sub.channels:
            subs = self._routes.get(ch, [])
            if sub in subs:
                subs.remove(sub)
            if not subs and ch in self._routes:
                del self._routes[ch]
                orphans.append(ch)
        if unsubscribe and orphans and self.connected:
            with contextlib.suppress(ClientError):
                await self.call("public/unsubscribe", channels=orphans)

    # -- typed helpers ----------------------------------------------------------------

    async def _order(
        self,
        method: str,
        instrument: str,
        amount: float,
        price: float | None,
        type: str,
        time_in_force: str | None,
        post_only: bool | None,
        reduce_only: bool | None,
        label: str | None,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"instrument_name": instrument, "amount": amount, "type": type}
        optional = {
            "price": price,
            "time_in_force": time_in_force,
            "post_only": post_only,
            "reduce_only": reduce_only,
            "label": label,
        }
        params.update({k: v for k, v in optional.items() if v is not None})
        params.update(extra)
        result: dict[str, Any] = await self.request(method, params)
        return result

    async def buy(
        self,
        instrument: str,
        amount: float,
        price: float | None = None,
        type: Literal["limit", "market", "stop_limit", "stop_market"] = "limit",
        time_in_force: str | None = None,
        post_only: bool | None = None,
        reduce_only: bool | None = None,
        label: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Buy ``amount`` contracts of ``instrument`` at ``price`` $/GPU-hour (limit) or at
        the market; ``time_in_force`` ``good_til_cancelled`` (default), ``good_til_day``,
        ``fill_or_kill`` or ``immediate_or_cancel``. Returns ``{order, trades}``."""
        return await self._order(
            "private/buy", instrument, amount, price, type, time_in_force, post_only,
            reduce_only, label, extra,
        )  # fmt: skip

    async def sell(
        self,
        instrument: str,
        amount: float,
        price: float | None = None,
        type: Literal["limit", "market", "stop_limit", "stop_market"] = "limit",
        time_in_force: str | None = None,
        post_only: bool | None = None,
        reduce_only: bool | None = None,
        label: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Sell ``amount`` contracts; the parameters are those of ``buy``."""
        return await self._order(
            "private/sell", instrument, amount, price, type, time_in_force, post_only,
            reduce_only, label, extra,
        )  # fmt: skip

    async def edit(
        self, order_id: str, amount: float, price: float | None = None
    ) -> dict[str, Any]:
        """Change an open order: ``amount`` is the new *total* in contracts (filled part
        included), ``price`` in $/GPU-hour. Keeps priority when only the amount goes down.
        Returns ``{order, trades}``."""
        params: dict[str, Any] = {"order_id": order_id, "amount": amount}
        if price is not None:
            params["price"] = price
        result: dict[str, Any] = await self.request("private/edit", params)
        return result

    async def cancel(self, order_id: str) -> dict[str, Any]:
        """Cancel one order; return it (``order_state`` ``cancelled``)."""
        result: dict[str, Any] = await self.call("private/cancel", order_id=order_id)
        return result

    async def cancel_all(self, instrument: str | None = None) -> int:
        """Cancel every open order of the account (or of one instrument); return how many."""
        if instrument is None:
            return int(await self.call("private/cancel_all"))
        return int(await self.call("private/cancel_all_by_instrument", instrument_name=instrument))

    async def get_open_orders(self, instrument: str | None = None) -> list[dict[str, Any]]:
        """Return the account's open orders (of one instrument), oldest first."""
        if instrument is None:
            return list(await self.call("private/get_open_orders"))
        return list(
            await self.call("private/get_open_orders_by_instrument", instrument_name=instrument)
        )

    async def get_positions(self, currency: str = "any") -> list[dict[str, Any]]:
        """Return the non-zero positions (``size`` in signed contracts; clearing mode)."""
        return list(await self.call("private/get_positions", currency=currency, kind="future"))

    async def get_account_summary(self, currency: str = "USD") -> dict[str, Any]:
        """Return cash, equity, margins and available funds in USD (clearing mode)."""
        result: dict[str, Any] = await self.call("private/get_account_summary", currency=currency)
        return result

    async def get_instruments(self, currency: str = "any") -> list[dict[str, Any]]:
        """Return the listed instruments (by product, then month); ``currency`` ``any``,
        ``USD`` or a product such as ``H100``."""
        return list(await self.call("public/get_instruments", currency=currency, kind="future"))

    async def get_order_book(self, instrument: str, depth: int = 20) -> dict[str, Any]:
        """Return the ticker fields plus ``bids``/``asks`` as ``[price, amount]`` best
        first, and the book's ``change_id``."""
        result: dict[str, Any] = await self.call(
            "public/get_order_book", instrument_name=instrument, depth=depth
        )
        return result

    async def ticker(self, instrument: str) -> dict[str, Any]:
        """Return best bid/ask, last, mark and index prices ($/GPU-hour) and 24 h stats."""
        result: dict[str, Any] = await self.call("public/ticker", instrument_name=instrument)
        return result
