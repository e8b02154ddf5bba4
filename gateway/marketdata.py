"""Public market data kept from engine events: level books, trades, and derived prices.

Each instrument's ``BookMirror`` holds the aggregated levels the engine reported in
``EV_BOOK`` events, and a ``change_id`` that grows by one for every published change.
Snapshots, ``public/get_order_book`` and the ``book.*`` feed all read this one mirror,
so a snapshot's ``change_id`` is exactly the point in the change stream it shows.
Prices are price units, amounts contracts, times ns.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sortedcontainers import SortedDict

from exchange import codes as c
from gateway.instruments import Listing

DAY_NS = 86_400 * 1_000_000_000

# Deribit tick_direction: 0 plus tick, 1 zero-plus tick, 2 minus tick, 3 zero-minus tick.
PLUS, ZERO_PLUS, MINUS, ZERO_MINUS = 0, 1, 2, 3


@dataclass(slots=True, frozen=True)
class PublicTrade:
    """One trade as the market sees it; ``side`` is the aggressor's."""

    trade_id: int
    trade_seq: int
    ts: int
    instrument_name: str
    side: int
    price: int
    qty: int
    tick_direction: int
    mark: int
    index: int


@dataclass(slots=True, frozen=True)
class BookChange:
    """Levels of one instrument that changed in one command: (action, price, new amount)."""

    instrument_name: str
    ts: int
    prev_change_id: int
    change_id: int
    bids: list[tuple[str, int, int]]
    asks: list[tuple[str, int, int]]


class BookMirror:
    """Aggregated levels of one instrument: price units → contracts, per side."""

    __slots__ = ("asks", "bids", "change_id", "ts")

    def __init__(self, change_id: int = 0) -> None:
        self.bids: SortedDict = SortedDict()
        self.asks: SortedDict = SortedDict()
        self.change_id = change_id
        self.ts = 0

    def side(self, side: int) -> SortedDict:
        """Return the levels of ``side`` (``SIDE_BUY`` or ``SIDE_SELL``)."""
        return self.bids if side == c.SIDE_BUY else self.asks

    def set(self, side: int, price: int, qty: int) -> int:
        """Set the level at ``price`` to ``qty`` (0 removes it); return its old amount. O(log n)."""
        levels = self.side(side)
        before = levels.get(price, 0)
        if qty > 0:
            levels[price] = qty
        elif before:
            del levels[price]
        return before

    def best(self, side: int) -> tuple[int, int]:
        """Return (price, amount) of the best level of ``side``, (0, 0) if empty. O(1)."""
        levels = self.side(side)
        if not levels:
            return 0, 0
        price = levels.peekitem(-1 if side == c.SIDE_BUY else 0)[0]
        return price, levels[price]

    def top(self, side: int, depth: int) -> list[tuple[int, int]]:
        """Return up to ``depth`` levels of ``side``, best first. O(depth)."""
        levels = self.side(side)
        keys = levels.keys()
        n = min(depth, len(keys))
        picked = keys[-1 : -n - 1 : -1] if side == c.SIDE_BUY else keys[:n]
        return [(p, levels[p]) for p in picked]


@dataclass(slots=True)
class InstrumentData:
    """Market data of one instrument."""

    book: BookMirror
    trades: deque[PublicTrade]
    trade_seq: int = 0
    last_price: int = 0


class MarketData:
    """Books, trades and derived prices of every listed instrument."""

    def __init__(self, trade_history: int = 10_000) -> None:
        self.data: dict[str, InstrumentData] = {}
        self._history = trade_history
        # Change ids start from the wall clock so that ids never repeat across restarts.
        self._first_change_id = time.time_ns() // 1_000_000
        self.index_of: Callable[[str], float] | None = None
        """The product's index level in USD per GPU-hour, where the gateway runs an index
        feed (clearing mode); tickers fall back to the listing's reference price."""

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["index_of"] = None  # a live feed's method: never part of a snapshot
        return state

    def add(self, name: str) -> InstrumentData:
        """Start market data for a newly listed instrument."""
        d = InstrumentData(BookMirror(self._first_change_id), deque(maxlen=self._history))
        self.data[name] = d
        return d

    def drop(self, name: str) -> None:
        """Forget an expired instrument's book (its trades stay with its last data)."""
        self.data.pop(name, None)

    def book(self, name: str) -> BookMirror:
        """Return the book of ``name``."""
        return self.data[name].book

    def mark(self, listing: Listing) -> int:
        """Return the mark price, price units: mid of best bid and ask, else last, else reference."""
        d = self.data.get(listing.name)
        if d is None:
            return listing.ref
        bid, _ = d.book.best(c.SIDE_BUY)
        ask, _ = d.book.best(c.SIDE_SELL)
        if bid and ask:
            return (bid + ask) // 2
        return d.last_price or listing.ref

    def record_trade(
        self, listing: Listing, trade_id: int, ts: int, side: int, price: int, qty: int
    ) -> PublicTrade:
        """Add one trade to the instrument's tape; assign its ``trade_seq`` and tick direction."""
        d = self.data[listing.name]
        prev = d.trades[-1] if d.trades else None
        if prev is None or price > prev.price:
            tick = PLUS
        elif price < prev.price:
            tick = MINUS
        else:
            tick = ZERO_PLUS if prev.tick_direction in (PLUS, ZERO_PLUS) else ZERO_MINUS
        d.trade_seq += 1
        trade = PublicTrade(
            trade_id, d.trade_seq, ts, listing.name, side, price, qty, tick,
            self.mark(listing), listing.ref,
        )  # fmt: skip
        d.trades.append(trade)
        d.last_price = price
        return trade

    def stats(self, name: str, now: int) -> tuple[int, int, int, int, int]:
        """Return (volume, notional, high, low, first price) of the last 24 h's kept trades.

        Volume in contracts, notional in price units × contracts, prices in price units
        (0 when there was no trade). O(trades kept).
        """
        d = self.data.get(name)
        if d is None:
            return 0, 0, 0, 0, 0
        volume, notional, high, low, first = 0, 0, 0, 0, 0
        for t in reversed(d.trades):
            if t.ts < now - DAY_NS:
                break
            volume += t.qty
            notional += t.qty * t.price
            high = max(high, t.price)
            low = t.price if low == 0 else min(low, t.price)
            first = t.price
        return volume, notional, high, low, first

    def commit(self, name: str, ts: int, before: dict[tuple[int, int], int]) -> BookChange | None:
        """Close one command's book changes of ``name``; return the change (None if none).

        ``before`` maps (side, price) to the level's amount before the command, in order of
        first change; the mirror already holds the amounts after it.
        """
        book = self.data[name].book
        bids: list[tuple[str, int, int]] = []
        asks: list[tuple[str, int, int]] = []
        for (side, price), old in before.items():
            new = book.side(side).get(price, 0)
            if new == old:
                continue
            action = "new" if old == 0 else ("delete" if new == 0 else "change")
            (bids if side == c.SIDE_BUY else asks).append((action, price, new))
        if not bids and not asks:
            return None
        prev = book.change_id
        book.change_id += 1
        book.ts = ts
        return BookChange(name, ts, prev, book.change_id, bids, asks)
