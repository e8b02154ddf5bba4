"""Orders, own trades and positions per account, kept from engine events.

The engine reports facts (accepted, traded, cancelled, triggered, replaced, expired);
``OrderStore`` folds them into order records so that queries and ``user.*``
notifications never reach into the engine. Open orders are indexed by account; closed
ones are kept per account up to a bound for ``private/get_order_state``. Positions
(signed contracts per account and instrument) are tracked here for reduce-only orders
and open interest until the clearing plug-in of the pipeline owns them.
All prices are price units, quantities contracts, money micro-dollars, times ns.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from exchange import codes as c
from gateway.errors import ORDER_NOT_FOUND, RpcError

OPEN = "open"
UNTRIGGERED = "untriggered"
FILLED = "filled"
CANCELLED = "cancelled"
OPEN_STATES = frozenset({OPEN, UNTRIGGERED})

CANCEL_REASONS = {
    c.CXL_USER: "user_request",
    c.CXL_MASS: "user_request",
    c.CXL_SELF_MATCH: "self_trade_prevention",
    c.CXL_UNFILLED: "immediate_or_cancel",
    c.CXL_EXPIRED: "settlement",
    c.CXL_NO_LIQUIDITY: "no_liquidity",
}


@dataclass(slots=True)
class Order:
    """One order as its owner sees it. ``amount`` is the total, ``filled`` what traded."""

    order_id: int
    account: int
    instrument_name: str
    side: int
    type: int
    tif: int
    flags: int
    label: str
    price: int
    """Limit price, price units; 0 for a stop market not yet triggered."""
    trigger: int
    amount: int
    connection: int
    ts_created: int
    ts_updated: int
    state: str = OPEN
    filled: int = 0
    cost: int = 0
    """Sum of fill price × contracts, price units × contracts (average = cost / filled)."""
    fee_micros: int = 0
    triggered: bool = False
    replaced: bool = False
    cancel_reason: str | None = None

    @property
    def is_open(self) -> bool:
        """Return whether the order can still trade (open or untriggered)."""
        return self.state in OPEN_STATES

    @property
    def is_stop(self) -> bool:
        """Return whether the order is a stop (limit or market)."""
        return self.type in (c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET)


@dataclass(slots=True, frozen=True)
class Fill:
    """One side of a trade, as the account that traded sees it."""

    trade_id: int
    trade_seq: int
    ts: int
    account: int
    order_id: int
    instrument_name: str
    side: int
    price: int
    qty: int
    maker: bool
    fee_micros: int
    order_type: int
    order_state: str
    flags: int
    label: str
    tick_direction: int
    mark: int
    index: int


class OrderStore:
    """Order records, own trades and positions of every account."""

    def __init__(self, closed_history: int = 1_000, trade_history: int = 10_000) -> None:
        self.orders: dict[int, Order] = {}
        self._live: dict[int, dict[int, Order]] = {}
        self._closed: dict[int, deque[int]] = {}
        self._fills: dict[int, deque[Fill]] = {}
        self._positions: dict[tuple[int, str], int] = {}
        self.open_interest: dict[str, int] = {}
        self._closed_history = closed_history
        self._trade_history = trade_history

    # ------------------------------------------------------------------- queries
    def owned(self, account: int, order_id: int) -> Order:
        """Return ``account``'s order ``order_id``; 10004 if it is unknown or someone else's.

        Another account's order is reported exactly like a missing one, so ids reveal
        nothing about other accounts.
        """
        order = self.orders.get(order_id)
        if order is None or order.account != account:
            raise RpcError(ORDER_NOT_FOUND, f"no order {order_id} in this account", "order_id")
        return order

    def live(self, account: int, instrument_name: str | None = None) -> list[Order]:
        """Return ``account``'s open orders (one instrument or all), oldest first. O(open)."""
        orders = self._live.get(account, {}).values()
        if instrument_name is None:
            return list(orders)
        return [o for o in orders if o.instrument_name == instrument_name]

    def fills(self, account: int) -> deque[Fill]:
        """Return ``account``'s recent own trades, oldest first."""
        return self._fills.get(account, deque())

    def position(self, account: int, instrument_name: str) -> int:
        """Return ``account``'s signed position in ``instrument_name``, contracts."""
        return self._positions.get((account, instrument_name), 0)

    def accounts_with_orders(self) -> Iterator[int]:
        """Yield accounts that have open orders."""
        return (a for a, orders in self._live.items() if orders)

    # ------------------------------------------------------------------- events
    def accept(self, order: Order) -> None:
        """Record a newly accepted order."""
        self.orders[order.order_id] = order
        self._live.setdefault(order.account, {})[order.order_id] = order

    def fill(
        self,
        order_id: int,
        qty: int,
        price: int,
        remaining: int,
        ts: int,
        fee_micros: int,
    ) -> Order | None:
        """Apply one fill of ``qty`` at ``price`` to an order; return it (None if unknown)."""
        order = self.orders.get(order_id)
        if order is None:
            return None
        order.filled += qty
        order.cost += qty * price
        order.fee_micros += fee_micros
        order.ts_updated = ts
        if remaining == 0:
            self._close(order, FILLED, None)
        return order

    def add_fill(self, fill: Fill) -> None:
        """Keep ``fill`` in its account's trade history and move the account's position."""
        history = self._fills.get(fill.account)
        if history is None:
            history = self._fills[fill.account] = deque(maxlen=self._trade_history)
        history.append(fill)
        key = (fill.account, fill.instrument_name)
        before = self._positions.get(key, 0)
        after = before + (fill.qty if fill.side == c.SIDE_BUY else -fill.qty)
        self._positions[key] = after
        oi = self.open_interest.get(fill.instrument_name, 0)
        self.open_interest[fill.instrument_name] = oi + max(after, 0) - max(before, 0)

    def cancel(self, order_id: int, reason: str, ts: int) -> Order | None:
        """Close an order as cancelled with ``reason``; return it (None if unknown)."""
        order = self.orders.get(order_id)
        if order is None:
            return None
        order.ts_updated = ts
        self._close(order, CANCELLED, reason)
        return order

    def trigger(self, order_id: int, price: int, ts: int) -> Order | None:
        """Mark a stop order triggered at limit ``price`` (0 for a stop market)."""
        order = self.orders.get(order_id)
        if order is None:
            return None
        order.triggered = True
        order.state = OPEN
        if price:
            order.price = price
        order.ts_updated = ts
        return order

    def replace(self, order_id: int, price: int, open_qty: int, ts: int) -> Order | None:
        """Apply an accepted edit: new ``price`` and ``open_qty`` contracts still to trade."""
        order = self.orders.get(order_id)
        if order is None:
            return None
        if order.type != c.TYPE_STOP_MARKET or order.triggered:
            order.price = price
        order.amount = order.filled + open_qty
        order.replaced = True
        order.ts_updated = ts
        return order

    def _close(self, order: Order, state: str, reason: str | None) -> None:
        order.state = state
        order.cancel_reason = reason
        live = self._live.get(order.account)
        if live is not None:
            live.pop(order.order_id, None)
        closed = self._closed.get(order.account)
        if closed is None:
            closed = self._closed[order.account] = deque()
        closed.append(order.order_id)
        while len(closed) > self._closed_history:
            self.orders.pop(closed.popleft(), None)
