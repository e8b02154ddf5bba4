"""Hedgers: the natural short (a neocloud) and the natural long (an AI company).

Both hold a physical exposure to the GPU-hour price and use the futures to lock in a
price for part of it, month by month along the curve. Their accounts are ``HEDGER``
accounts (initial margin = maintenance, CR-19). One contract is 730 GPU-hours: one GPU
for an average month. Prices in price units, quantities in contracts, money in µ$.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from exchange.product_spec import ProductSpec
from sim.agents.base import MarketAgent
from sim.events import BUY, SELL, IndexFixing
from sim.params import Param

_ORDER_PARAMS: dict[str, Param] = {
    "max_order": Param(int, 5, "contracts", "largest order", "positive"),
    "aggression": Param(
        float,
        0.3,
        "probability",
        "chance a decision crosses the spread instead of resting",
        "probability",
    ),
    "ttl_minutes": Param(float, 60.0, "minutes", "lifetime of a resting order", "positive"),
}


class Neocloud(MarketAgent):
    """A GPU cloud provider: the natural short.

    Economics: it owns ``capacity_contracts`` contracts' worth of GPU-hours in every
    future month (one contract = 730 GPU-hours, one GPU for a month) and will rent them
    at whatever the index is then. Its revenue falls when GPU-hour prices fall, so it
    sells forward ``hedge_ratio`` of each month's capacity, front month first, to fix
    the price of that share. It never sells below ``min_price_usd`` (USD per GPU-hour;
    0 = no floor): below that it would rather keep the capacity unhedged. Each decision
    works on the nearest month still short of its target: with probability
    ``aggression`` it hits the bid (if at or above the floor), otherwise it rests an
    offer one tick inside the ask (not below the floor) for ``ttl_minutes``. It sells
    at most ``max_order`` contracts an order and never buys back.

    Physical exposure (for hedge effectiveness): long ``capacity_contracts`` in each
    traded month.
    """

    account_type: ClassVar[str] = "hedger"
    PARAMS: ClassVar[dict[str, Param]] = {
        "capacity_contracts": Param(
            int, 20, "contracts a month", "GPU capacity for sale each month", "positive"
        ),
        "hedge_ratio": Param(float, 0.5, "fraction", "share of capacity sold forward", "fraction"),
        "min_price_usd": Param(
            float, 0.0, "USD per GPU-hour", "never sell below this (0 = no floor)", "non_negative"
        ),
        **_ORDER_PARAMS,
    }

    def __init__(
        self,
        specs: Mapping[str, ProductSpec],
        *,
        capacity_contracts: int = 20,
        hedge_ratio: float = 0.5,
        min_price_usd: float = 0.0,
        max_order: int = 5,
        aggression: float = 0.3,
        ttl_minutes: float = 60.0,
        **common: Any,
    ) -> None:
        super().__init__(specs, **common)
        self.capacity = capacity_contracts
        self.hedge_ratio = hedge_ratio
        self.min_price_usd = min_price_usd
        self.max_order = max_order
        self.aggression = aggression
        self.ttl_minutes = ttl_minutes

    def target(self, instrument: str) -> int:
        """Return the position aimed at in ``instrument``: −hedge ratio × capacity."""
        return -round(self.hedge_ratio * self.capacity)

    def act(self) -> None:
        """Sell towards the target in the nearest month that is short of it."""
        for product in self.products:
            floor = max(1, self.to_units(product, self.min_price_usd))
            for name in self.traded(product):
                gap = self.position.get(name, 0) - self.open_qty(name, SELL) - self.target(name)
                if gap <= 0:
                    continue
                qty = min(gap, self.max_order)
                top = self.top(name)
                if top.bid and top.bid >= floor and self.rng.random() < self.aggression:
                    self.sell(name, qty, top.bid, tif="ioc")
                    return
                ref = self.reference(name)
                if ref is None:
                    continue
                tick = self.tick(name)
                price = top.ask - tick if top.ask else ref + tick
                price = max(price, top.bid + tick if top.bid else tick, floor)
                self.post(name, SELL, qty, self.on_tick(name, price, up=True), self.ttl_minutes)
                return

    def exposure(self) -> dict[str, int]:
        """Return the physical long: the capacity of every traded month."""
        return dict.fromkeys(self.all_traded(), self.capacity)


class AIBuyer(MarketAgent):
    """An AI company buying inference compute: the natural long.

    Economics: it expects to need ``demand_contracts`` contracts of GPU-hours in every
    future month and will pay the index for whatever it has not bought forward, so a
    rising GPU-hour price raises its costs. Its demand is uncertain: each month's
    forecast starts at ``demand_contracts`` × a lognormal draw with sd
    ``demand_sd`` and is revised every day by a lognormal step with sd
    ``demand_sd`` / √21 (about ``demand_sd`` over a month). It buys forward
    ``hedge_ratio`` of each month's forecast, front month first, never above
    ``max_price_usd`` (USD per GPU-hour; 0 = no cap), and sells back what exceeds the
    target by more than ``max_order`` when its forecast falls. Each decision works on
    the nearest month off target: with probability ``aggression`` it lifts the offer
    (if at or below the cap), otherwise it rests a bid one tick inside the bid for
    ``ttl_minutes``.

    Physical exposure (for hedge effectiveness): short its forecast in each traded month.
    """

    account_type: ClassVar[str] = "hedger"
    PARAMS: ClassVar[dict[str, Param]] = {
        "demand_contracts": Param(
            float, 20.0, "contracts a month", "expected compute need each month", "positive"
        ),
        "demand_sd": Param(
            float,
            0.2,
            "fraction",
            "uncertainty of a month's demand (lognormal sd)",
            "non_negative",
        ),
        "hedge_ratio": Param(float, 0.5, "fraction", "share of demand bought forward", "fraction"),
        "max_price_usd": Param(
            float, 0.0, "USD per GPU-hour", "never buy above this (0 = no cap)", "non_negative"
        ),
        **_ORDER_PARAMS,
    }

    def __init__(
        self,
        specs: Mapping[str, ProductSpec],
        *,
        demand_contracts: float = 20.0,
        demand_sd: float = 0.2,
        hedge_ratio: float = 0.5,
        max_price_usd: float = 0.0,
        max_order: int = 5,
        aggression: float = 0.3,
        ttl_minutes: float = 60.0,
        **common: Any,
    ) -> None:
        super().__init__(specs, **common)
        self.demand = demand_contracts
        self.demand_sd = demand_sd
        self.hedge_ratio = hedge_ratio
        self.max_price_usd = max_price_usd
        self.max_order = max_order
        self.aggression = aggression
        self.ttl_minutes = ttl_minutes
        self.forecast: dict[str, float] = {}  # instrument -> contracts

    def forecast_of(self, instrument: str) -> float:
        """Return the month's demand forecast, contracts (drawn when first seen)."""
        if instrument not in self.forecast:
            self.forecast[instrument] = self.demand * float(
                np.exp(self.demand_sd * self.rng.standard_normal())
            )
        return self.forecast[instrument]

    def on_index(self, event: IndexFixing) -> None:
        """A new day: revise every month's demand forecast."""
        super().on_index(event)
        step = self.demand_sd / np.sqrt(21.0)
        for name in sorted(self.forecast):
            if self.product_of.get(name) == event.product:
                self.forecast[name] *= float(np.exp(step * self.rng.standard_normal()))

    def target(self, instrument: str) -> int:
        """Return the position aimed at in ``instrument``: hedge ratio × forecast."""
        return round(self.hedge_ratio * self.forecast_of(instrument))

    def act(self) -> None:
        """Buy towards the target (or sell back an excess) in the nearest month off it."""
        for product in self.products:
            cap = self.to_units(product, self.max_price_usd) if self.max_price_usd else None
            for name in self.traded(product):
                pos = self.position.get(name, 0)
                gap = self.target(name) - pos - self.open_qty(name, BUY)
                if gap > 0:
                    self._buy(name, min(gap, self.max_order), cap)
                    return
                excess = pos - self.open_qty(name, SELL) - self.target(name)
                if excess > self.max_order:
                    self.take(name, SELL, min(excess, self.max_order))
                    return

    def _buy(self, name: str, qty: int, cap: int | None) -> None:
        top = self.top(name)
        if top.ask and (cap is None or top.ask <= cap) and self.rng.random() < self.aggression:
            self.buy(name, qty, top.ask, tif="ioc")
            return
        ref = self.reference(name)
        if ref is None:
            return
        tick = self.tick(name)
        price = top.bid + tick if top.bid else ref - tick
        if top.ask:
            price = min(price, top.ask - tick)
        if cap is not None:
            price = min(price, cap)
        if price >= tick:
            self.post(name, BUY, qty, self.on_tick(name, price, up=False), self.ttl_minutes)

    def exposure(self) -> dict[str, int]:
        """Return the physical short: minus the forecast of every traded month."""
        return {k: -round(self.forecast_of(k)) for k in self.all_traded()}


HEDGERS: Sequence[type[MarketAgent]] = (Neocloud, AIBuyer)
