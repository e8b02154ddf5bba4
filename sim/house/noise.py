"""A house noise trader: random orders at Poisson times, some marketable, some passive.

Orders arrive at rate ``rate_per_s`` (exponential gaps). Each picks an instrument
uniformly, a side with even odds and a size of 1..``max_amount`` contracts. With
probability ``marketable_share`` it is an immediate-or-cancel limit order priced
``cross_ticks`` through the best opposite price (when there is one); otherwise a
post-only limit order ``1..max_offset_ticks`` ticks behind the mid (or the mark when a
side is empty). Passive orders are cancelled after ``order_ttl_s`` or when more than
``max_open_orders`` rest. A side that would take the position beyond ``max_position``
is turned into the other side. Every random number of an order is drawn before the
market is looked at, so the same seed makes the same decisions in the same market.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from sim.house.base import INSTRUMENT_GONE, HouseBot, front_months, round_to_tick


@dataclass(frozen=True)
class NoiseParams:
    """Parameters of ``NoiseTrader``, with their units."""

    months: int = 3
    """Front months of each product traded when no instruments are given."""
    rate_per_s: float = 1.0
    """Mean orders a second (Poisson)."""
    marketable_share: float = 0.4
    """Share of orders that cross the spread."""
    max_amount: int = 3
    """Largest order, contracts."""
    cross_ticks: int = 2
    """How far through the best opposite price a marketable order is priced, ticks."""
    max_offset_ticks: int = 8
    """Farthest a passive order rests from the mid, ticks."""
    max_position: int = 20
    """Largest position in one instrument, contracts either way."""
    max_open_orders: int = 4
    order_ttl_s: float = 15.0
    """Passive orders older than this are cancelled, s."""
    instruments_refresh_s: float = 30.0


@dataclass(frozen=True)
class Draw:
    """The random part of one order."""

    gap_s: float
    pick: float
    """Uniform in [0, 1): which instrument."""
    buy: bool
    marketable: bool
    amount: int
    offset_ticks: int


class NoiseTrader(HouseBot):
    """Sends random marketable and passive orders (see the module docstring)."""

    kind = "noise"

    def __init__(self, *args: Any, params: NoiseParams | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.params = params or NoiseParams()
        self.ticks: dict[str, float] = {}
        self.resting: deque[tuple[str, float]] = deque()
        """Passive orders: (order id, monotonic time placed), oldest first."""
        self._next_listing = 0.0
        self.draws = 0

    async def setup(self) -> None:
        await self._refresh_listings()
        if not self.instruments:
            raise RuntimeError("no instrument to trade")

    async def _refresh_listings(self) -> None:
        assert self.client is not None
        self._next_listing = time.monotonic() + self.params.instruments_refresh_s
        listed = await self.guard("get_instruments", self.client.get_instruments())
        if listed is None:
            return
        self.ticks = {x["instrument_name"]: float(x["tick_size"]) for x in listed}
        if self.requested_instruments:
            self.instruments = [n for n in self.requested_instruments if n in self.ticks]
        else:
            self.instruments = front_months(listed, self.params.months)

    def draw(self) -> Draw:
        """Draw the random part of the next order (always the same number of draws)."""
        p, g = self.params, self.rng
        self.draws += 1
        return Draw(
            gap_s=float(g.exponential(1.0 / p.rate_per_s)),
            pick=float(g.random()),
            buy=bool(g.random() < 0.5),
            marketable=bool(g.random() < p.marketable_share),
            amount=int(g.integers(1, p.max_amount + 1)),
            offset_ticks=int(g.integers(1, p.max_offset_ticks + 1)),
        )

    async def step(self) -> float:
        if time.monotonic() >= self._next_listing:
            await self._refresh_listings()
        await self._expire()
        d = self.draw()
        if self.instruments:
            name = self.instruments[
                min(int(d.pick * len(self.instruments)), len(self.instruments) - 1)
            ]
            await self._order(name, d)
        return d.gap_s

    async def _order(self, name: str, d: Draw) -> None:
        assert self.client is not None
        p = self.params
        q = self.position.get(name, 0.0)
        buy = d.buy
        if buy and q + d.amount > p.max_position:
            buy = False
        elif not buy and q - d.amount < -p.max_position:
            buy = True
        ticker = await self.guard("ticker", self.client.ticker(name))
        if ticker is None:
            self._dropped(name)
            return
        tick = self.ticks.get(name, 0.01)
        lo, hi = float(ticker["min_price"]), float(ticker["max_price"])
        best_bid, best_ask = float(ticker["best_bid_price"]), float(ticker["best_ask_price"])
        opposite = best_ask if buy else best_bid
        send = self.client.buy if buy else self.client.sell
        side = "buy" if buy else "sell"
        if d.marketable and opposite > 0:
            price = opposite + (p.cross_ticks if buy else -p.cross_ticks) * tick
            price = round_to_tick(min(max(price, lo), hi), tick, "nearest")
            res = await self.guard(
                f"{side} {name}",
                send(
                    name, d.amount, price=price, time_in_force="immediate_or_cancel", label=self.id
                ),
            )
            if res is not None:
                self.stats.orders += 1
            else:
                self._dropped(name)
            return
        if best_bid > 0 and best_ask > 0:
            ref = (best_bid + best_ask) / 2.0
        else:
            ref = float(ticker["mark_price"])
        offset = d.offset_ticks * tick
        price = ref - offset if buy else ref + offset
        price = round_to_tick(price, tick, "down" if buy else "up")
        price = min(max(price, lo), hi)
        res = await self.guard(
            f"{side} {name}", send(name, d.amount, price=price, post_only=True, label=self.id)
        )
        if res is None:
            self._dropped(name)
            return
        self.stats.orders += 1
        order = res["order"]
        if order["order_state"] == "open":
            self.resting.append((order["order_id"], time.monotonic()))

    def _dropped(self, name: str) -> None:
        if self.last_code in INSTRUMENT_GONE and name in self.instruments:
            self.instruments.remove(name)
            self._next_listing = 0.0

    async def _expire(self) -> None:
        """Cancel passive orders past their time to live, and the oldest beyond the cap."""
        assert self.client is not None
        now = time.monotonic()
        cap = self.params.max_open_orders - 1  # room for the order about to go out
        while self.resting and (
            len(self.resting) > cap or now - self.resting[0][1] > self.params.order_ttl_s
        ):
            order_id, _ = self.resting.popleft()
            if await self.guard("cancel", self.client.cancel(order_id)) is not None:
                self.stats.cancels += 1
