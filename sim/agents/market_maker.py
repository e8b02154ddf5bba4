"""The Avellaneda–Stoikov market maker, quoting every traded month of the curve.

Avellaneda and Stoikov (2008) derive the quotes of a dealer with exponential utility
(risk aversion ``gamma``) who holds ``q`` contracts of an asset whose price ``s``
moves with volatility ``σ``, facing market orders that arrive at intensity
``A·exp(−k·δ)`` at a distance ``δ`` from the price:

- reservation price ``r = s − q·γ·σ²·τ``: the quotes move against the inventory (a
  long dealer lowers both quotes to sell more and buy less);
- total spread ``δ_a + δ_b = γ·σ²·τ + (2/γ)·ln(1 + γ/k)``, centred on ``r``.

Here, per contract: ``s`` is a blend of the book mid and the index-based fair value
(``anchor`` is the fair value's weight; with an empty book the fair value alone, or
the last settlement); ``σ`` is ``sigma_annual`` × ``s`` / √252, price units per √day;
``τ`` is ``horizon_days`` business days (the horizon over which the inventory is
carried, constant in this stationary variant); ``γ`` is per price unit per contract
and ``k`` per price unit. The bid is ``r − spread/2`` rounded down to a tick, the ask
``r + spread/2`` rounded up, at least ``min_spread_ticks`` apart.

Limits: each side quotes ``quote_qty`` contracts but never more than would take the
position past ``max_inventory`` contracts if the quote filled: a bid of ``n`` needs
``q + n ≤ max_inventory``. Only one order a side is live, and a quote is re-placed
only once the old one is confirmed gone (cancel, then a new order), so no fill can
arrive unseen and push the inventory past the limit.

Margin awareness: when free collateral falls below ``widen_free_fraction`` of equity
(from the clearing house's account updates), the spread is multiplied by
``widen_factor``; below ``stop_free_fraction``, or after an order refused for lack of
margin since the last update, only the side that reduces the inventory is quoted.

Prices in price units, quantities in contracts, money in µ$.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from exchange.product_spec import ProductSpec
from sim.agents.base import MarketAgent, fair_value
from sim.events import (
    BUY,
    SELL,
    AccountUpdate,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from sim.params import Param

_IDLE, _PENDING, _LIVE, _CANCELING = 0, 1, 2, 3


class AvellanedaStoikov(MarketAgent):
    """Quote both sides of every traded month per Avellaneda–Stoikov (see the module)."""

    PARAMS: ClassVar[dict[str, Param]] = {
        "gamma": Param(float, 0.05, "per price unit per contract", "risk aversion γ", "positive"),
        "k": Param(float, 0.3, "per price unit", "order-arrival decay k", "positive"),
        "sigma_annual": Param(
            float, 0.3, "fraction a year", "price volatility σ (annualised)", "positive"
        ),
        "horizon_days": Param(float, 1.0, "business days", "inventory horizon τ", "positive"),
        "quote_qty": Param(int, 5, "contracts", "size of each quote", "positive"),
        "max_inventory": Param(
            int, 30, "contracts", "largest position a contract, either side", "positive"
        ),
        "anchor": Param(float, 0.5, "fraction", "weight of the index fair value in s", "fraction"),
        "depreciation": Param(
            float, 0.17, "fraction a year", "index drift used by the fair value", "fraction"
        ),
        "min_spread_ticks": Param(int, 1, "ticks", "narrowest quoted spread", "positive"),
        "widen_free_fraction": Param(
            float, 0.3, "fraction", "free/equity below which the spread widens", "fraction"
        ),
        "stop_free_fraction": Param(
            float,
            0.1,
            "fraction",
            "free/equity below which only reducing quotes stay",
            "fraction",
        ),
        "widen_factor": Param(float, 2.0, "multiple", "spread multiple when widened", "positive"),
    }

    def __init__(
        self,
        specs: Mapping[str, ProductSpec],
        *,
        gamma: float = 0.05,
        k: float = 0.3,
        sigma_annual: float = 0.3,
        horizon_days: float = 1.0,
        quote_qty: int = 5,
        max_inventory: int = 30,
        anchor: float = 0.5,
        depreciation: float = 0.17,
        min_spread_ticks: int = 1,
        widen_free_fraction: float = 0.3,
        stop_free_fraction: float = 0.1,
        widen_factor: float = 2.0,
        **common: Any,
    ) -> None:
        super().__init__(specs, **common)
        self.gamma = gamma
        self.k = k
        self.sigma_annual = sigma_annual
        self.horizon_days = horizon_days
        self.quote_qty = quote_qty
        self.max_inventory = max_inventory
        self.anchor = anchor
        self.depreciation = depreciation
        self.min_spread_ticks = min_spread_ticks
        self.widen_free_fraction = widen_free_fraction
        self.stop_free_fraction = stop_free_fraction
        self.widen_factor = widen_factor
        # (instrument, side) -> [state, order id, price, qty]
        self.quotes: dict[tuple[str, int], list[int]] = {}
        self.pending: dict[int, tuple[str, int]] = {}  # label -> (instrument, side)
        self.margin_stop = False
        # instrument -> (bid, bid qty, ask, ask qty, r, s, q) of the last decision
        self.last_quotes: dict[str, tuple[int, int, int, int, float, float, int]] = {}

    # ------------------------------------------------------------------ the model
    def center(self, name: str) -> float | None:
        """Return ``s``: the mid blended with the fair value (price units)."""
        product = self.product_of.get(name)
        fair = None
        if product in self.index:
            fair = fair_value(float(self.index[product]), self.dte.get(name, 0), self.depreciation)
        mid = self.mid(name)
        if mid is not None and fair is not None:
            return self.anchor * fair + (1 - self.anchor) * mid
        if mid is not None:
            return mid
        if fair is not None:
            return fair
        return float(self.settles[name]) if name in self.settles else None

    def quotes_for(self, s: float, q: int, widen: float = 1.0) -> tuple[float, float, float]:
        """Return (reservation price, bid, ask), price units, before rounding to ticks."""
        sigma = self.sigma_annual * s / math.sqrt(252.0)
        risk = self.gamma * sigma * sigma * self.horizon_days
        r = s - q * risk
        spread = (risk + (2.0 / self.gamma) * math.log1p(self.gamma / self.k)) * widen
        return r, r - spread / 2, r + spread / 2

    # ------------------------------------------------------------------ decisions
    def act(self) -> None:
        """Re-quote every traded contract."""
        f = self.free_fraction()
        stop = self.margin_stop or f < self.stop_free_fraction
        widen = self.widen_factor if f < self.widen_free_fraction else 1.0
        for name in self.all_traded():
            s = self.center(name)
            if s is None:
                continue
            q = self.position.get(name, 0)
            r, bid_f, ask_f = self.quotes_for(s, q, widen)
            tick = self.tick(name)
            bid = self.on_tick(name, bid_f, up=False)
            ask = self.on_tick(name, ask_f, up=True)
            if ask - bid < self.min_spread_ticks * tick:
                ask = bid + self.min_spread_ticks * tick
            bid_qty = min(self.quote_qty, self.max_inventory - q)
            ask_qty = min(self.quote_qty, self.max_inventory + q)
            if stop:
                bid_qty = min(bid_qty, max(0, -q))
                ask_qty = min(ask_qty, max(0, q))
            self.last_quotes[name] = (bid, bid_qty, ask, ask_qty, r, s, q)
            self._quote(name, BUY, bid, bid_qty)
            self._quote(name, SELL, ask, ask_qty)

    def _quote(self, name: str, side: int, price: int, qty: int) -> None:
        slot = self.quotes.setdefault((name, side), [_IDLE, 0, 0, 0])
        state, oid, live_price, live_qty = slot
        if state == _LIVE:
            if qty <= 0 or price != live_price or qty != live_qty:
                self.cancel(oid)
                slot[0] = _CANCELING
        elif state == _IDLE and qty > 0:
            label = (self.buy if side == BUY else self.sell)(name, qty, price)
            self.pending[label] = (name, side)
            slot[:] = [_PENDING, 0, price, qty]

    # ------------------------------------------------------------------ callbacks
    def on_accepted(self, event: OrderAccepted) -> None:
        """A quote is live."""
        super().on_accepted(event)
        key = self.pending.pop(event.label, None)
        if key is not None:
            self.quotes[key][:2] = [_LIVE, event.order_id]

    def _gone(self, order_id: int) -> None:
        for slot in self.quotes.values():
            if slot[1] == order_id and slot[0] in (_LIVE, _CANCELING):
                slot[:] = [_IDLE, 0, 0, 0]

    def on_filled(self, event: OrderFilled) -> None:
        """Book the fill; a quote filled in full is gone."""
        super().on_filled(event)
        if event.remaining == 0:
            self._gone(event.order_id)
        else:
            for slot in self.quotes.values():
                if slot[1] == event.order_id:
                    slot[3] = event.remaining

    def on_canceled(self, event: OrderCanceled) -> None:
        """A quote is gone (ours, a final settlement's or a default's cancel)."""
        super().on_canceled(event)
        self._gone(event.order_id)

    def on_expired(self, event: OrderExpired) -> None:
        """A quote is gone."""
        super().on_expired(event)
        self._gone(event.order_id)

    def on_rejected(self, event: OrderRejected) -> None:
        """A new quote refused: free its side; a cancel refused: the order is gone."""
        super().on_rejected(event)
        if event.reason in ("not_enough_funds", "margin_call_pending"):
            self.margin_stop = True
        key = self.pending.pop(event.ref, None)
        if key is not None:
            self.quotes[key][:] = [_IDLE, 0, 0, 0]
        elif event.order_id:
            self._gone(event.order_id)

    def on_account(self, event: AccountUpdate) -> None:
        """New account figures: lift the margin stop if collateral is free again."""
        super().on_account(event)
        self.margin_stop = self.free_fraction() < self.stop_free_fraction
