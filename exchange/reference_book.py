"""Order and per-instrument book structures of the plain-Python reference engine.

A ``Book`` holds one instrument slot: its status and parameters, the bid and ask sides
(``SortedDict`` of price -> ``Level``, a FIFO of orders) and the untriggered stops in
acceptance order. Prices in price units, quantities in contracts, times in ns.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from sortedcontainers import SortedDict

from exchange import codes as c


@dataclass(slots=True, eq=False)
class Order:
    """One live order: resting in a level or waiting as an untriggered stop."""

    oid: int
    instr: int
    account: int
    side: int
    type: int
    price: int  # limit price (0 for a stop market / market without protection)
    trigger: int  # stop trigger price, 0 for non-stops
    qty: int  # open quantity, contracts
    tif: int
    expiry: int  # GTD expiry, ns (0 for other time in force)
    flags: int
    resting: bool = False  # True while in a level (stops and aggressors are not)


@dataclass(slots=True, eq=False)
class Level:
    """Orders at one price in time priority and their total open quantity."""

    orders: deque[Order] = field(default_factory=deque)
    total: int = 0


class Book:
    """State of one instrument slot."""

    __slots__ = (
        "asks",
        "band",
        "bids",
        "last",
        "max_qty",
        "protection",
        "ref",
        "status",
        "stops",
        "tick",
    )

    def __init__(self) -> None:
        """Create an unlisted slot."""
        self.status = c.STATUS_UNLISTED
        self.tick = 1
        self.max_qty = 0
        self.protection = 0
        self.band = 0
        self.ref = 0
        self.last = 0
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.stops: dict[int, Order] = {}

    def reset_params(self) -> None:
        """Reset parameters to their listing defaults (MR-11)."""
        self.tick = 1
        self.max_qty = 0
        self.protection = 0
        self.band = 0
        self.ref = 0
        self.last = 0

    def side(self, side: int) -> SortedDict:
        """Return the price -> Level map of ``side``."""
        return self.bids if side == c.SIDE_BUY else self.asks

    def best(self, side: int) -> int:
        """Return the best price of ``side`` in price units, 0 if it is empty."""
        levels = self.side(side)
        if not levels:
            return 0
        return int(levels.peekitem(-1 if side == c.SIDE_BUY else 0)[0])

    def prices(self, side: int) -> Iterator[int]:
        """Yield the prices of ``side`` best first."""
        levels = self.side(side)
        return iter(reversed(levels) if side == c.SIDE_BUY else levels)

    def rest(self, order: Order) -> Level:
        """Append ``order`` at the back of its price level and return the level."""
        levels = self.side(order.side)
        level = levels.get(order.price)
        if level is None:
            level = Level()
            levels[order.price] = level
        level.orders.append(order)
        level.total += order.qty
        order.resting = True
        return level

    def unrest(self, order: Order) -> Level:
        """Take resting ``order`` out of its level and return the level (maybe empty)."""
        levels = self.side(order.side)
        level: Level = levels[order.price]
        level.orders.remove(order)
        level.total -= order.qty
        if not level.orders:
            del levels[order.price]
        return level
