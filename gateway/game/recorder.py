"""The debrief's record: every trade with both accounts, every order, price and index paths.

``Recorder.on_changes`` is a listener of the pipeline task (``PipelineTask.listeners``):
it sees each processed command's folded events (``gateway.folding.Changes``), in order,
so trades carry the buyer's and the seller's account exactly as the engine matched them.
Index levels and forward curves are sampled by the game service's timer (``sample_*``).
Everything is bounded (``max_*``): the oldest entries go first. Prices are price units
in ``TradeRecord`` and dollars per GPU-hour in the sampled series; times are the venue
clock in ns (records) or ms (series).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from exchange import codes as c
from gateway.folding import Changes
from gateway.orders import Order

MAX_TRADES = 200_000
MAX_ORDERS = 200_000
MAX_POINTS = 20_000
"""Points kept per series (a 50-minute lesson sampled each second needs 3,000)."""


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One trade: price units, contracts, venue ns; accounts 0 when unknown."""

    trade_id: int
    ts: int
    instrument_name: str
    price: int
    qty: int
    buyer: int
    seller: int
    aggressor_side: int


class Recorder:
    """Trades, orders and sampled series since the gateway started (bounded)."""

    def __init__(self, max_trades: int = MAX_TRADES, max_orders: int = MAX_ORDERS) -> None:
        self.trades: deque[TradeRecord] = deque(maxlen=max_trades)
        self.orders: dict[int, Order] = {}
        self._max_orders = max_orders
        self.index: dict[str, deque[tuple[int, float]]] = {}
        self.curves: deque[dict[str, object]] = deque(maxlen=MAX_POINTS)
        self.enabled = False
        """Record only once a game exists (a gateway without games pays nothing)."""

    def on_changes(self, ch: Changes) -> None:
        """Record the trades and orders of one processed command. O(events)."""
        if not self.enabled:
            return
        if ch.placed is not None:
            self.orders[ch.placed.order_id] = ch.placed
            while len(self.orders) > self._max_orders:
                del self.orders[next(iter(self.orders))]
        if not ch.trades:
            return
        accounts: dict[tuple[int, int], int] = {}
        for f in ch.fills:
            accounts[(f.trade_id, f.side)] = f.account
        for t in ch.trades:
            self.trades.append(
                TradeRecord(
                    t.trade_id, t.ts, t.instrument_name, t.price, t.qty,
                    accounts.get((t.trade_id, c.SIDE_BUY), 0),
                    accounts.get((t.trade_id, c.SIDE_SELL), 0),
                    t.side,
                )
            )  # fmt: skip

    def sample_index(self, ts_ms: int, levels: dict[str, float]) -> None:
        """Add index ``levels`` ($/GPU-hour by product) at ``ts_ms`` where they changed
        (a change at the same ``ts_ms`` as the last point replaces it)."""
        for product, level in levels.items():
            series = self.index.get(product)
            if series is None:
                series = self.index[product] = deque(maxlen=MAX_POINTS)
            if series and series[-1][1] == level:
                continue
            if series and series[-1][0] == ts_ms:
                series.pop()
            series.append((ts_ms, level))

    def sample_curve(self, ts_ms: int, date: str, points: list[dict[str, object]]) -> None:
        """Add one forward curve ``points`` (instrument, months_out, price) at ``ts_ms``."""
        if self.curves and self.curves[-1]["points"] == points:
            return
        self.curves.append({"ts": ts_ms, "date": date, "points": points})
