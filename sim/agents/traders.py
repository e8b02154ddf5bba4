"""Speculators: fundamental value, momentum, mean reversion and noise traders.

None of them has a physical exposure; they trade the futures for profit (or, for the
noise trader, for reasons outside the model), on ``SPECULATOR`` accounts (initial
margin 110% of maintenance, CR-19). Each keeps its position in every contract within
``max_position`` contracts a side. Prices in price units, quantities in contracts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from exchange.product_spec import ProductSpec
from sim.agents.base import MarketAgent, fair_value
from sim.events import BUY, SELL
from sim.params import Param

_SIZE_PARAMS: dict[str, Param] = {
    "qty": Param(int, 2, "contracts", "size of each order", "positive"),
    "max_position": Param(int, 20, "contracts", "largest position a contract, either side",
                          "positive"),
}  # fmt: skip


class _Speculator(MarketAgent):
    """Shared sizing: trade ``qty`` towards a side without passing ``max_position``."""

    def __init__(
        self, specs: Mapping[str, ProductSpec], *, qty: int = 2, max_position: int = 20,
        **common: Any,
    ) -> None:  # fmt: skip
        super().__init__(specs, **common)
        self.qty = qty
        self.max_position = max_position

    def room(self, name: str, side: int) -> int:
        """Return how many contracts may still be bought (side BUY) or sold in ``name``."""
        pos = self.position.get(name, 0)
        if side == BUY:
            return max(0, self.max_position - pos - self.open_qty(name, BUY))
        return max(0, self.max_position + pos - self.open_qty(name, SELL))

    def pick(self) -> str | None:
        """Return one traded contract at random (None if no curve is known yet)."""
        names = self.all_traded()
        if not names:
            return None
        return names[int(self.rng.integers(0, len(names)))]


class Fundamental(_Speculator):
    """A value trader around an index-based fair value.

    Economics: the contract settles on the month's average index, and the index drifts
    down as GPUs age, so its fair value is the latest index print (smoothed as an
    exponential average with weight ``smoothing`` on the newest print) carried to the
    middle of the delivery month at ``depreciation`` a year (see
    ``sim.agents.base.fair_value``). When the best ask is more than ``threshold_bps``
    basis points below fair value it buys ``qty`` at it; when the best bid is that much
    above, it sells. Otherwise, with probability ``post_prob``, it rests a bid and an
    offer at fair value ∓ the threshold for ``ttl_minutes``: liquidity that pulls the
    price towards the index.
    """

    PARAMS: ClassVar[dict[str, Param]] = {
        "depreciation": Param(
            float, 0.17, "fraction a year", "expected fall of the index a year", "fraction"
        ),
        "threshold_bps": Param(
            float, 150.0, "basis points", "mispricing needed to trade", "non_negative"
        ),
        "smoothing": Param(
            float, 1.0, "fraction", "weight of the newest print in the average", "fraction"
        ),
        "post_prob": Param(float, 0.5, "probability", "chance to rest quotes", "probability"),
        "ttl_minutes": Param(float, 60.0, "minutes", "lifetime of a resting order", "positive"),
        **_SIZE_PARAMS,
    }

    def __init__(
        self,
        specs: Mapping[str, ProductSpec],
        *,
        depreciation: float = 0.17,
        threshold_bps: float = 150.0,
        smoothing: float = 1.0,
        post_prob: float = 0.5,
        ttl_minutes: float = 60.0,
        **rest: Any,
    ) -> None:
        super().__init__(specs, **rest)
        self.depreciation = depreciation
        self.threshold = threshold_bps / 10_000
        self.smoothing = max(smoothing, 1e-9)
        self.post_prob = post_prob
        self.ttl_minutes = ttl_minutes
        self.level: dict[str, float] = {}  # product -> smoothed index, price units

    def fair(self, name: str) -> float | None:
        """Return the fair value of contract ``name`` (price units), None if no print yet."""
        product = self.product_of.get(name)
        history = self.index_history.get(product or "", [])
        if not history:
            return None
        level = float(history[0])
        for x in history[1:]:
            level += self.smoothing * (x - level)
        return fair_value(level, self.dte.get(name, 0), self.depreciation)

    def act(self) -> None:
        """Trade one mispriced contract, or rest quotes around its fair value."""
        name = self.pick()
        if name is None:
            return
        fair = self.fair(name)
        if fair is None:
            return
        top = self.top(name)
        lo, hi = fair * (1 - self.threshold), fair * (1 + self.threshold)
        if top.ask and top.ask < lo and self.room(name, BUY):
            self.buy(name, min(self.qty, self.room(name, BUY)), top.ask, tif="ioc")
        elif top.bid and top.bid > hi and self.room(name, SELL):
            self.sell(name, min(self.qty, self.room(name, SELL)), top.bid, tif="ioc")
        elif self.rng.random() < self.post_prob:
            if self.room(name, BUY):
                bid = self.on_tick(name, lo, up=False)
                self.post(name, BUY, min(self.qty, self.room(name, BUY)), bid, self.ttl_minutes)
            if self.room(name, SELL):
                ask = self.on_tick(name, hi, up=True)
                self.post(name, SELL, min(self.qty, self.room(name, SELL)), ask, self.ttl_minutes)


class Momentum(_Speculator):
    """A trend follower.

    Economics: it believes that price moves persist. Its signal for a contract is the
    return from the settlement ``lookback`` days ago to the current book mid (or last
    settlement). Above ``threshold_bps`` basis points it buys ``qty`` at the best ask;
    below minus the threshold it sells at the best bid, up to ``max_position``. In a
    crash it sells into the fall, which deepens it.
    """

    PARAMS: ClassVar[dict[str, Param]] = {
        "lookback": Param(int, 3, "business days", "settlements back for the signal", "positive"),
        "threshold_bps": Param(
            float, 100.0, "basis points", "return needed to trade", "non_negative"
        ),
        **_SIZE_PARAMS,
    }

    def __init__(
        self,
        specs: Mapping[str, ProductSpec],
        *,
        lookback: int = 3,
        threshold_bps: float = 100.0,
        **rest: Any,
    ) -> None:
        super().__init__(specs, **rest)
        self.lookback = lookback
        self.threshold = threshold_bps / 10_000

    def signal(self, name: str) -> float | None:
        """Return the return over the lookback (a fraction), None without history."""
        history = self.settle_history.get(name, [])
        if len(history) < self.lookback:
            return None
        past = history[-self.lookback]
        now = self.mid(name) or float(history[-1])
        return now / past - 1.0 if past > 0 else None

    def act(self) -> None:
        """Follow the trend of one contract."""
        name = self.pick()
        if name is None:
            return
        r = self.signal(name)
        if r is None:
            return
        side = BUY if r > self.threshold else SELL if r < -self.threshold else -1
        if side >= 0 and self.room(name, side):
            self.take(name, side, min(self.qty, self.room(name, side)))


class MeanReversion(_Speculator):
    """A contrarian.

    Economics: it believes that prices return to their recent average. Its signal is
    the book mid's deviation from the mean of the last ``lookback`` settlements. More
    than ``threshold_bps`` basis points above, it sells ``qty`` at the best bid; as far
    below, it buys at the best ask (up to ``max_position``); within half the threshold
    it closes ``qty`` of its position at the book.
    """

    PARAMS: ClassVar[dict[str, Param]] = {
        "lookback": Param(int, 5, "business days", "settlements in the average", "positive"),
        "threshold_bps": Param(
            float, 150.0, "basis points", "deviation needed to trade", "non_negative"
        ),
        **_SIZE_PARAMS,
    }

    def __init__(
        self,
        specs: Mapping[str, ProductSpec],
        *,
        lookback: int = 5,
        threshold_bps: float = 150.0,
        **rest: Any,
    ) -> None:
        super().__init__(specs, **rest)
        self.lookback = lookback
        self.threshold = threshold_bps / 10_000

    def deviation(self, name: str) -> float | None:
        """Return mid / mean of recent settlements − 1, None without both."""
        history = self.settle_history.get(name, [])[-self.lookback :]
        mid = self.mid(name)
        if not history or mid is None:
            return None
        mean = sum(history) / len(history)
        return mid / mean - 1.0 if mean > 0 else None

    def act(self) -> None:
        """Fade one contract's deviation, or take profit near the mean."""
        name = self.pick()
        if name is None:
            return
        d = self.deviation(name)
        if d is None:
            return
        pos = self.position.get(name, 0)
        if d > self.threshold and self.room(name, SELL):
            self.take(name, SELL, min(self.qty, self.room(name, SELL)))
        elif d < -self.threshold and self.room(name, BUY):
            self.take(name, BUY, min(self.qty, self.room(name, BUY)))
        elif abs(d) < self.threshold / 2 and pos:
            self.take(name, SELL if pos > 0 else BUY, min(self.qty, abs(pos)))


class Noise(_Speculator):
    """A noise trader: trades for reasons outside the model (liquidity needs, whims).

    Each decision picks a traded contract and a side at random (the side that reduces
    the position once it reaches ``max_position``) and ``1 … qty`` contracts. With
    probability ``market_prob`` it crosses the spread; otherwise it rests a limit order
    ``−offset_ticks/4 … offset_ticks`` ticks behind the book reference (mostly passive)
    for ``ttl_minutes``.
    """

    PARAMS: ClassVar[dict[str, Param]] = {
        "market_prob": Param(
            float, 0.3, "probability", "chance an order crosses the spread", "probability"
        ),
        "offset_ticks": Param(int, 8, "ticks", "furthest a resting order sits from the mid",
                              "positive"),
        "ttl_minutes": Param(float, 60.0, "minutes", "lifetime of a resting order", "positive"),
        **_SIZE_PARAMS,
    }  # fmt: skip

    def __init__(
        self,
        specs: Mapping[str, ProductSpec],
        *,
        market_prob: float = 0.3,
        offset_ticks: int = 8,
        ttl_minutes: float = 60.0,
        **rest: Any,
    ) -> None:
        super().__init__(specs, **rest)
        self.market_prob = market_prob
        self.offset_ticks = offset_ticks
        self.ttl_minutes = ttl_minutes

    def act(self) -> None:
        """Send one random order."""
        name = self.pick()
        if name is None:
            return
        pos = self.position.get(name, 0)
        if pos >= self.max_position:
            side = SELL
        elif pos <= -self.max_position:
            side = BUY
        else:
            side = BUY if self.rng.random() < 0.5 else SELL
        qty = min(1 + int(self.rng.integers(0, self.qty)), max(1, self.room(name, side)))
        if self.rng.random() < self.market_prob:
            self.take(name, side, qty)
            return
        ref = self.reference(name)
        if ref is None:
            return
        lo = -max(1, self.offset_ticks // 4)
        away = int(self.rng.integers(lo, self.offset_ticks + 1)) * self.tick(name)
        price = ref - away if side == BUY else ref + away
        self.post(name, side, qty, self.on_tick(name, price, up=side == SELL), self.ttl_minutes)
