"""What every house bot shares: a session on the websocket API, guarded calls, positions.

A house bot is an ordinary client of the exchange (``flopex.client``): it logs in with
an account's key, enables cancel-on-disconnect, follows its own trades on
``user.trades.any.any.raw`` and runs its strategy until asked to stop, then cancels its
orders. Refusals from the server (not enough funds, trading paused, position limit, a
full queue) never end a bot: they are counted and logged, and the bot backs off
exponentially and carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np

from flopex.client import Client, ClientError, RpcError

log = logging.getLogger("flopex.house")
T = TypeVar("T")

SHUTDOWN_CANCEL_S = 3.0
"""How long a stopping bot waits for ``private/cancel_all``, s."""
ORDER_GONE = frozenset({10004, 11044})
"""order_not_found, not_open_order: the order filled or was cancelled meanwhile."""
INSTRUMENT_GONE = frozenset({10012, 10020})
"""book_closed, invalid_or_unsupported_instrument: expired, halted or delisted."""


@dataclass
class BotStats:
    """Counters of one bot since it started."""

    orders: int = 0
    """New orders accepted."""
    edits: int = 0
    cancels: int = 0
    fills: int = 0
    """Own trades (one per fill of one of its orders)."""
    filled_contracts: float = 0.0
    errors: int = 0
    """Refused or failed calls."""
    refusals: Counter[int] = field(default_factory=Counter)
    """Error answers by code (0: timeout or lost connection)."""
    last_error: str | None = None


class HouseBot:
    """Base of the house bots: connection, login, fills, guarded calls and back-off.

    ``seed`` is a ``numpy.random.SeedSequence``: the bot's only source of randomness.
    Subclasses implement ``setup`` and ``step``; ``step`` returns how long to sleep
    before the next one (s).
    """

    kind: ClassVar[str] = "bot"
    backoff_initial_s: ClassVar[float] = 0.25
    backoff_max_s: ClassVar[float] = 5.0

    def __init__(
        self,
        bot_id: str,
        url: str,
        credentials: tuple[str, str],
        seed: np.random.SeedSequence,
        instruments: list[str] | None = None,
    ) -> None:
        self.id = bot_id
        self.url = url
        self.credentials = credentials
        self.rng = np.random.default_rng(seed)
        self.requested_instruments = instruments
        self.instruments: list[str] = list(instruments or [])
        self.stats = BotStats()
        self.state = "starting"
        self.position: dict[str, float] = {}
        """Net position by instrument, contracts (+ long)."""
        self.client: Client | None = None
        self.ready = asyncio.Event()
        """Set once the bot is running, or has failed to start."""
        self.wake = asyncio.Event()
        """Set to run the next step early (a fill, a reconnect)."""
        self._failures = 0
        self._last_log = 0.0
        self.last_code: int | None = None
        """Error code of the last guarded call (0: no answer), None if it succeeded."""

    # -- lifecycle ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Log in, run steps until ``stop`` is set, then cancel the bot's orders and close."""
        client = Client(self.url, client_name=f"flopex-house-{self.kind}")
        self.client = client
        try:
            await client.connect()
            await client.auth(*self.credentials)
            await client.enable_cancel_on_disconnect()
            client.on("reconnected", self._on_reconnected)
            await client.subscribe("user.trades.any.any.raw", callback=self._on_trades)
            await self._load_positions()
            await self.setup()
        except (ClientError, OSError) as exc:
            self.state = "failed"
            self.stats.last_error = repr(exc)
            log.warning("%s could not start: %r", self.id, exc)
            self.ready.set()
            await client.close()
            return
        self.state = "running"
        self.ready.set()
        try:
            while not stop.is_set():
                if client.failure is not None:  # gave up reconnecting: nothing left to do
                    self.state = "failed"
                    self.stats.last_error = repr(client.failure)
                    break
                pause = await self._step_unless_stopped(stop)
                if pause is None:
                    break
                if self._failures:
                    self.state = "backing_off"
                    pause = max(pause, self._backoff())
                else:
                    self.state = "running"
                await self._sleep(stop, pause)
        finally:
            failed = self.state == "failed"
            self.state = "stopping"
            await self._shutdown(client)
            self.state = "failed" if failed else "stopped"

    async def _step_unless_stopped(self, stop: asyncio.Event) -> float | None:
        """Run one step; abandon it if ``stop`` is set meanwhile (return None then)."""
        step = asyncio.ensure_future(self.step())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([step, stopped], return_when="FIRST_COMPLETED")
        finally:
            stopped.cancel()
        if not step.done():
            step.cancel()
            with contextlib.suppress(asyncio.CancelledError, ClientError):
                await step
            return None
        try:
            return step.result()
        except ClientError as exc:  # a step's unguarded call; keep going
            return self._failed("step", exc)

    async def _shutdown(self, client: Client) -> None:
        """Cancel the bot's orders and close, within about 5 s. Without a connection the
        server's cancel-on-disconnect has already cancelled them."""
        if client.connected:
            with contextlib.suppress(ClientError, OSError, TimeoutError):
                await asyncio.wait_for(client.cancel_all(), SHUTDOWN_CANCEL_S)
        await client.close()

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        """Sleep ``seconds``, or less if stopped or woken."""
        self.wake.clear()
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
        try:
            await asyncio.wait(waits, timeout=max(0.0, seconds), return_when="FIRST_COMPLETED")
        finally:
            for w in waits:
                w.cancel()

    async def setup(self) -> None:
        """Prepare the strategy once logged in (instruments, subscriptions)."""

    async def step(self) -> float:
        """Act once; return the pause before the next step, s."""
        raise NotImplementedError

    async def on_reconnected(self) -> None:
        """Forget state the reconnect made stale (cancel-on-disconnect cancelled every
        order of the old connection)."""

    # -- guarded calls -----------------------------------------------------------------

    async def guard(self, what: str, call: Awaitable[T]) -> T | None:
        """Await ``call``; on a refusal or a lost answer count it, log it, return None.

        ``last_code`` is then the error code (0 for a timeout or a lost connection), or
        None after a success. An order that is already gone (10004, 11044) is not a
        failure to back off from.
        """
        try:
            result = await call
        except RpcError as exc:
            self.last_code = exc.code
            self._failed(what, exc, exc.code, backoff=exc.code not in ORDER_GONE)
            return None
        except ClientError as exc:
            self.last_code = 0
            self._failed(what, exc)
            return None
        self.last_code = None
        self._failures = 0
        return result

    def _failed(self, what: str, exc: Exception, code: int = 0, backoff: bool = True) -> float:
        self.stats.refusals[code] += 1
        if not backoff:  # an order already gone: expected now and then, not an error
            return self._backoff()
        self._failures += 1
        self.stats.errors += 1
        self.stats.last_error = f"{what}: {exc}"
        now = time.monotonic()
        if now - self._last_log > 5.0:  # one line every 5 s at most per bot
            self._last_log = now
            log.info("%s %s refused (%d errors so far): %s", self.id, what, self.stats.errors, exc)
        return self._backoff()

    def _backoff(self) -> float:
        n = min(self._failures, 16)
        return min(self.backoff_max_s, self.backoff_initial_s * 2 ** max(0, n - 1))

    # -- own trades --------------------------------------------------------------------

    def _on_trades(self, channel: str, data: Any) -> None:
        if channel == "reconnected" or not isinstance(data, list):
            return
        for t in data:
            sign = 1.0 if t.get("direction") == "buy" else -1.0
            name = t.get("instrument_name", "")
            self.position[name] = self.position.get(name, 0.0) + sign * float(t.get("amount", 0))
            self.stats.fills += 1
            self.stats.filled_contracts += float(t.get("amount", 0))
            self.on_fill(t)
        self.wake.set()

    def on_fill(self, trade: dict[str, Any]) -> None:
        """React to one own trade (the position is already updated)."""

    async def _load_positions(self) -> None:
        """Start from the clearing house's positions; without clearing mode, from zero."""
        assert self.client is not None
        try:
            positions = await self.client.get_positions()
        except RpcError as exc:
            if exc.code != -32601:
                raise
            return
        self.position = {p["instrument_name"]: float(p["size"]) for p in positions}

    async def _on_reconnected(self, info: dict[str, Any]) -> None:
        with contextlib.suppress(ClientError):
            await self._load_positions()
        await self.on_reconnected()
        self.wake.set()

    # -- status ------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Return a JSON-ready summary: state, counters, positions."""
        s = self.stats
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "client_id": self.credentials[0],
            "instruments": list(self.instruments),
            "orders": s.orders,
            "edits": s.edits,
            "cancels": s.cancels,
            "fills": s.fills,
            "filled_contracts": s.filled_contracts,
            "errors": s.errors,
            "refusals": {str(code): n for code, n in sorted(s.refusals.items())},
            "last_error": s.last_error,
            "connected": self.client is not None and self.client.connected,
            "reconnects": self.client.reconnects if self.client is not None else 0,
            "position": {k: v for k, v in sorted(self.position.items()) if v},
        }


def product_of(instrument: str) -> str:
    """Return the product of an instrument name (``H100-31MAR27`` → ``H100``)."""
    return instrument.split("-", 1)[0]


def front_months(listed: list[dict[str, Any]], months: int) -> list[str]:
    """Return the first ``months`` active instruments of each product, in listing order."""
    out: list[str] = []
    taken: Counter[str] = Counter()
    for ins in listed:
        product = ins.get("base_currency") or product_of(ins["instrument_name"])
        if ins.get("is_active", True) and taken[product] < months:
            taken[product] += 1
            out.append(ins["instrument_name"])
    return out


def round_to_tick(price: float, tick: float, mode: str) -> float:
    """Round ``price`` ($/GPU-hour) to the tick: ``down``, ``up`` or ``nearest``."""
    ticks = price / tick
    n = np.floor(ticks + 1e-9) if mode == "down" else np.ceil(ticks - 1e-9)
    if mode == "nearest":
        n = np.round(ticks)
    return round(float(n) * tick, 10)
