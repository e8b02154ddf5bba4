"""A fleet of house bots running as asyncio tasks in this process.

```python
fleet = BotFleet("ws://127.0.0.1:8000/ws/api/v2")
ids = await fleet.spawn("market_maker", 2, credentials, seed=1)
...
fleet.status()      # one JSON-ready dict per bot
await fleet.stop()  # every bot cancels its orders and closes its socket
```

Each bot is an ordinary websocket client of the exchange with its own account key.
Bot ``i`` of a ``spawn`` call draws its random numbers from
``SeedSequence([seed, kind]).spawn(count)[i]``: the same call with the same seed makes
the same decisions in the same market.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Literal

import numpy as np

from sim.house.base import HouseBot
from sim.house.market_maker import MarketMaker, MarketMakerParams
from sim.house.noise import NoiseParams, NoiseTrader

log = logging.getLogger("flopex.house")

Kind = Literal["market_maker", "noise"]
_KIND_NO = {"market_maker": 1, "noise": 2}
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 8.0


class BotFleet:
    """House bots trading on the gateway at ``url`` (``ws://…/ws/api/v2``)."""

    def __init__(
        self,
        url: str,
        *,
        market_maker: MarketMakerParams | None = None,
        noise: NoiseParams | None = None,
    ) -> None:
        self.url = url
        self.market_maker_params = market_maker or MarketMakerParams()
        self.noise_params = noise or NoiseParams()
        self.bots: dict[str, HouseBot] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stop = asyncio.Event()
        self._counts = {"market_maker": 0, "noise": 0}

    async def spawn(
        self,
        kind: Kind,
        count: int,
        credentials: list[tuple[str, str]],
        seed: int,
        instruments: list[str] | None = None,
    ) -> list[str]:
        """Start ``count`` bots of ``kind``, the i-th logged in with ``credentials[i]``
        (client id, secret); return their ids once each is running or has failed to
        start (``status()`` tells which), within 15 s.

        ``instruments``: what they trade (default: the first months of each product).
        """
        if kind not in _KIND_NO:
            raise ValueError(f"unknown bot kind {kind!r}: market_maker or noise")
        if count < 0 or len(credentials) < count:
            raise ValueError(f"{count} bots need {count} credentials, got {len(credentials)}")
        self._stop.clear()
        seeds = np.random.SeedSequence([seed, _KIND_NO[kind]]).spawn(count)
        started: list[HouseBot] = []
        for i in range(count):
            self._counts[kind] += 1
            bot_id = f"{'mm' if kind == 'market_maker' else 'noise'}-{self._counts[kind]}"
            bot: HouseBot
            if kind == "market_maker":
                bot = MarketMaker(
                    bot_id, self.url, credentials[i], seeds[i], instruments,
                    params=self.market_maker_params,
                )  # fmt: skip
            else:
                bot = NoiseTrader(
                    bot_id, self.url, credentials[i], seeds[i], instruments,
                    params=self.noise_params,
                )  # fmt: skip
            self.bots[bot_id] = bot
            self._tasks[bot_id] = asyncio.create_task(self._run(bot), name=f"flopex-{bot_id}")
            started.append(bot)
        if started:
            waits = [asyncio.ensure_future(b.ready.wait()) for b in started]
            _, late = await asyncio.wait(waits, timeout=START_TIMEOUT_S)
            for w in late:
                w.cancel()
        return [b.id for b in started]

    async def _run(self, bot: HouseBot) -> None:
        try:
            await bot.run(self._stop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a bot must not take the fleet down
            bot.state = "failed"
            bot.stats.last_error = repr(exc)
            bot.ready.set()
            log.exception("house bot %s failed", bot.id)

    async def stop(self) -> None:
        """Stop every bot: each cancels its orders (``private/cancel_all``) and closes its
        socket; bots still busy after 8 s are cancelled."""
        self._stop.set()
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_S)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._tasks.clear()

    def status(self) -> list[dict[str, Any]]:
        """Return one JSON-ready dict per bot: ``id``, ``kind``, ``state`` (``starting``,
        ``running``, ``backing_off``, ``stopping``, ``stopped``, ``failed``), counters of
        orders, edits, cancels, fills and refusals by code, ``last_error``, ``connected``,
        ``reconnects`` and the net ``position`` by instrument (contracts)."""
        return [bot.status() for bot in self.bots.values()]
