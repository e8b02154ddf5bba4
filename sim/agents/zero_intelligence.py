"""Zero-intelligence traders of Gode and Sunder (1993): ZI-U and ZI-C.

Economics. A zero-intelligence trader has private unit values (a buyer's
redemption value of each unit it may buy) or unit costs (a seller's cost of each
unit it may sell), trades its units strictly in order, one unit an order, and quotes
at random. It does not seek profit, remember, learn or watch the market. Gode and
Sunder's point is that a double auction extracts almost all the available surplus
from such traders provided they respect one constraint:

- **ZI-U** (unconstrained): bids and asks are uniform on the integers
  ``price_min … price_max`` (1 … 200 in the paper), whatever the unit's value or
  cost, so a ZI-U trader can trade at a loss. Every unit eventually trades, which
  makes its allocative efficiency a closed form of the market design.
- **ZI-C** (constrained): a buyer bids uniformly on ``price_min … v`` (``v`` = value of
  its current unit), a seller asks uniformly on ``c … price_max`` (``c`` = cost of its
  current unit), so neither ever trades at a loss. This budget constraint alone
  raises efficiency close to 100%.

Mechanics here. A trader wakes at exponentially distributed intervals (mean
``mean_wait_ns``, from its own random stream) and quotes one unit. It keeps at most
one order working: with an order resting it moves that order to the new price
(``replace``); with an order in flight (sent, not yet answered) it skips the turn.
So a unit can never be sold twice and a ZI-C price is always drawn for the unit the
trader actually holds, whatever the latency. Prices are in price units, quantities
in contracts (one unit = one contract), times in ns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from sim.agent import Agent
from sim.events import (
    BUY,
    SELL,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
)


class ZeroIntelligenceTrader(Agent):
    """A buyer (``side`` BUY, ``limits`` = unit values) or seller (SELL, unit costs).

    ``limits`` are per-unit values or costs in price units, traded in the order given.
    ``constrained`` makes the trader ZI-C, else ZI-U (the subclasses fix it).
    ``price_min``/``price_max`` bound every quote (price units). ``mean_wait_ns`` is the
    mean time between quotes.
    """

    constrained_default: ClassVar[bool | None] = None

    def __init__(
        self,
        instrument: str,
        side: int,
        limits: Sequence[int],
        *,
        constrained: bool | None = None,
        price_min: int = 1,
        price_max: int = 200,
        mean_wait_ns: int = 1_000_000_000,
        name: str = "",
    ) -> None:
        super().__init__(name)
        constrained = self.constrained_default if constrained is None else constrained
        if constrained is None:
            raise ValueError("say whether the trader is constrained (ZI-C) or not (ZI-U)")
        if side not in (BUY, SELL):
            raise ValueError(f"side must be BUY or SELL, got {side}")
        if not 1 <= price_min <= price_max:
            raise ValueError(f"need 1 <= price_min <= price_max, got {price_min}, {price_max}")
        if any(not price_min <= v <= price_max for v in limits):
            raise ValueError(f"unit values/costs must lie in {price_min}..{price_max}")
        self.instrument = instrument
        self.side = side
        self.limits = [int(v) for v in limits]
        self.constrained = constrained
        self.price_min = price_min
        self.price_max = price_max
        self.mean_wait_ns = mean_wait_ns
        self._reset()

    def _reset(self) -> None:
        self.unit = 0  # index of the unit in hand
        self.working = 0  # id of the resting order, 0 if none
        self.in_flight = False  # a request is on its way and unanswered
        self.prices: list[int] = []  # price of each unit traded, in order
        self.profit = 0  # price units

    @property
    def done(self) -> bool:
        """True once every unit has traded."""
        return self.unit >= len(self.limits)

    def price_range(self, unit: int) -> tuple[int, int]:
        """Return the inclusive range (price units) this trader quotes ``unit`` from."""
        if not self.constrained:
            return self.price_min, self.price_max
        if self.side == BUY:
            return self.price_min, self.limits[unit]
        return self.limits[unit], self.price_max

    # ------------------------------------------------------------------ lifecycle
    def on_start(self) -> None:
        """Take a fresh endowment (all units in hand) and schedule the first quote."""
        self._reset()
        self._schedule()

    def on_wakeup(self, tag: str) -> None:
        """Quote the unit in hand at a random price, then schedule the next quote."""
        if self.done:
            return
        if not self.in_flight:
            lo, hi = self.price_range(self.unit)
            price = lo + int(self.rng.random() * (hi - lo + 1))  # uniform on lo..hi
            if self.working:
                self.replace(self.working, price, 1)
            elif self.side == BUY:
                self.buy(self.instrument, 1, price)
            else:
                self.sell(self.instrument, 1, price)
            self.in_flight = True
        self._schedule()

    def _schedule(self) -> None:
        self.wake_after(1 + int(self.rng.exponential(self.mean_wait_ns)))

    # ------------------------------------------------------------------ callbacks
    def on_accepted(self, event: OrderAccepted) -> None:
        """The quote rests (or is about to trade): remember its id."""
        self.in_flight = False
        self.working = event.order_id

    def on_replaced(self, event: OrderReplaced) -> None:
        """The resting quote moved to the new price."""
        self.in_flight = False

    def on_rejected(self, event: OrderRejected) -> None:
        """The quote was refused (it did not improve, or its order had already gone)."""
        self.in_flight = False

    def on_canceled(self, event: OrderCanceled) -> None:
        """The resting quote was canceled (by the institution, or at the session's end)."""
        if event.order_id == self.working:
            self.working = 0

    def on_filled(self, event: OrderFilled) -> None:
        """A unit traded: book its profit and move on to the next unit."""
        limit = self.limits[self.unit]
        self.profit += limit - event.price if self.side == BUY else event.price - limit
        self.prices.append(event.price)
        self.unit += 1
        if event.remaining == 0 and event.order_id == self.working:
            self.working = 0


class ZIUTrader(ZeroIntelligenceTrader):
    """ZI-U: quotes uniform on ``price_min … price_max`` whatever its values or costs."""

    constrained_default = False


class ZICTrader(ZeroIntelligenceTrader):
    """ZI-C: never bids above the unit's value nor asks below the unit's cost."""

    constrained_default = True
