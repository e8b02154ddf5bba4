"""Turn venue event rows into what each agent may see, as a gateway would.

The router reads the engine's event rows (``exchange.codes`` layout) after every
command and sorts them into per-agent frames: each order event goes to the owner of
the order only; trades, top-of-book changes and level changes go to the agents that
subscribed to that channel of that instrument. It keeps a local copy of every book's
levels from the ``EV_BOOK`` events (Deribit's local-book recipe), which gives the
top-of-book read without touching the engine. Prices in price units, quantities in
contracts, times in ns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from sortedcontainers import SortedDict

from exchange import codes as c
from sim.events import (
    CHANNELS,
    BookLevel,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderTriggered,
    TopOfBook,
    TradeTick,
)

#: Reject reason names, from the engine's codes (``exchange.codes.Reject``).
REJECT_NAMES: dict[int, str] = {int(r): r.name.lower() for r in c.Reject}
#: Cancel reason names, from the engine's codes (``exchange.codes.CancelReason``).
CANCEL_NAMES: dict[int, str] = {int(r): r.name.lower() for r in c.CancelReason}

Frames = dict[int, list[Event]]


class LocalBook:
    """One instrument's price levels, kept from ``EV_BOOK`` events. O(log n) per change."""

    def __init__(self) -> None:
        self.sides: tuple[SortedDict, SortedDict] = (SortedDict(), SortedDict())

    def update(self, side: int, price: int, qty: int, orders: int) -> None:
        """Set level ``price`` of ``side`` to ``qty`` contracts in ``orders`` orders."""
        levels = self.sides[side]
        if qty:
            levels[price] = (qty, orders)
        else:
            levels.pop(price, None)

    def top(self) -> tuple[int, int, int, int]:
        """Return (bid, bid qty, ask, ask qty); an empty side reads (0, 0)."""
        bids, asks = self.sides
        bid, (bid_qty, _) = bids.peekitem(-1) if bids else (0, (0, 0))
        ask, (ask_qty, _) = asks.peekitem(0) if asks else (0, (0, 0))
        return bid, bid_qty, ask, ask_qty

    def levels(self, side: int) -> list[tuple[int, int, int]]:
        """Return (price, qty, orders) of every level of ``side``, best first."""
        items = self.sides[side].items()
        ordered = reversed(items) if side == c.SIDE_BUY else items
        return [(price, qty, n) for price, (qty, n) in ordered]


class Router:
    """Route event rows to agents; ``accounts[i]`` is the venue account of agent ``i``."""

    def __init__(
        self,
        accounts: Sequence[int],
        instruments: Mapping[str, int],
        reject_names: Mapping[int, str] | None = None,
    ) -> None:
        self.agent_of = {int(a): i for i, a in enumerate(accounts)}
        if len(self.agent_of) != len(accounts):
            raise ValueError("two agents share an account")
        self.slot_of = dict(instruments)
        self.name_of = {slot: name for name, slot in instruments.items()}
        self.reject_names = {**REJECT_NAMES, **(reject_names or {})}
        self.books = {slot: LocalBook() for slot in self.name_of}
        self._published = {slot: (0, 0, 0, 0) for slot in self.name_of}
        self._orders: dict[int, tuple[int, int]] = {}  # live order id -> (label, slot)
        self._subs: dict[tuple[str, int], list[int]] = {}

    def relist(self, instruments: Mapping[str, int]) -> None:
        """Follow the venue's listings: ``instruments`` maps every listed name to its slot.

        A slot that now carries another contract (an expired month's slot reused for a
        new one) starts with an empty local book and no subscribers.
        """
        old = self.name_of
        self.slot_of = dict(instruments)
        self.name_of = {slot: name for name, slot in instruments.items()}
        for slot, name in self.name_of.items():
            if old.get(slot) != name:
                self.books[slot] = LocalBook()
                self._published[slot] = (0, 0, 0, 0)
                for channel in CHANNELS:
                    self._subs.pop((channel, slot), None)
        for slot in [s for s in self.books if s not in self.name_of]:
            del self.books[slot]
            del self._published[slot]
            for channel in CHANNELS:
                self._subs.pop((channel, slot), None)

    # ------------------------------------------------------------------ queries
    def slot(self, instrument: str) -> int:
        """Return the venue slot of ``instrument``; raise KeyError naming it."""
        try:
            return self.slot_of[instrument]
        except KeyError:
            raise KeyError(f"unknown instrument {instrument!r}") from None

    def top(self, instrument: str, ts_ns: int) -> TopOfBook:
        """Return the current best bid/ask of ``instrument`` stamped ``ts_ns``."""
        return TopOfBook(ts_ns, instrument, *self.books[self.slot(instrument)].top())

    def subscribe(self, agent: int, channel: str, instrument: str, ts_ns: int) -> list[Event]:
        """Send ``channel`` updates of ``instrument`` to ``agent`` from now on; return
        the snapshot that opens the subscription (stamped ``ts_ns``): the top of book
        for ``ticker``, every level for ``book``, nothing for ``trades``."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; channels are {', '.join(CHANNELS)}")
        slot = self.slot(instrument)
        subs = self._subs.setdefault((channel, slot), [])
        if agent not in subs:
            subs.append(agent)
            subs.sort()
        book = self.books[slot]
        if channel == "ticker":
            self._published[slot] = book.top()
            return [TopOfBook(ts_ns, instrument, *self._published[slot])]
        if channel == "book":
            return [
                BookLevel(ts_ns, instrument, side, price, qty, n)
                for side in (c.SIDE_BUY, c.SIDE_SELL)
                for price, qty, n in book.levels(side)
            ]
        return []

    # ------------------------------------------------------------------ routing
    def route(self, events: npt.NDArray[np.int64], ref: int = 0) -> Frames:
        """Return {agent: events it sees}, in event order, for the events of one command.

        ``ref`` is the kernel's reference of the command (0 for the venue's own
        commands): a new order's label, and the ref a rejection reports.
        """
        frames: Frames = {}
        dirty: list[int] = []
        for r in events.tolist():
            kind = r[c.E_KIND]
            if kind == c.EV_BOOK:
                self._book(r, frames, dirty)
            elif kind == c.EV_TRADE:
                self._trade(r, frames)
            elif kind != c.EV_STATUS:
                self._order(kind, r, ref, frames)
        for slot in dirty:
            if ("ticker", slot) not in self._subs:
                continue
            top = self.books[slot].top()
            if top != self._published[slot]:
                self._published[slot] = top
                ev = TopOfBook(events[0, c.E_TS].item(), self.name_of[slot], *top)
                for a in self._subs.get(("ticker", slot), ()):
                    frames.setdefault(a, []).append(ev)
        return frames

    def _book(self, r: list[int], frames: Frames, dirty: list[int]) -> None:
        slot = r[c.E_INSTR]
        if slot not in self.books:
            return
        self.books[slot].update(r[c.E_SIDE], r[c.E_PRICE], r[c.E_QTY], r[c.E_REMAINING])
        if slot not in dirty:
            dirty.append(slot)
        subs = self._subs.get(("book", slot))
        if subs:
            ev = BookLevel(
                r[c.E_TS], self.name_of[slot], r[c.E_SIDE], r[c.E_PRICE], r[c.E_QTY],
                r[c.E_REMAINING],
            )  # fmt: skip
            for a in subs:
                frames.setdefault(a, []).append(ev)

    def _trade(self, r: list[int], frames: Frames) -> None:
        ts, slot, price, qty, tid = r[c.E_TS], r[c.E_INSTR], r[c.E_PRICE], r[c.E_QTY], r[c.E_CODE]
        name = self.name_of.get(slot, "")
        side = r[c.E_SIDE]
        legs = (
            (r[c.E_ACCOUNT], r[c.E_OID], side, r[c.E_REMAINING], "taker"),
            (r[c.E_OTHER_ACCOUNT], r[c.E_OTHER_OID], 1 - side, r[c.E_OTHER_REMAINING], "maker"),
        )
        for account, oid, leg_side, remaining, liquidity in legs:
            label = self._label(oid, remove=remaining == 0)
            agent = self.agent_of.get(account)
            if agent is not None:
                ev = OrderFilled(
                    ts, name, oid, label, tid, leg_side, price, qty, remaining, liquidity
                )
                frames.setdefault(agent, []).append(ev)
        subs = self._subs.get(("trades", slot))
        if subs:
            tick = TradeTick(ts, name, tid, price, qty, side)
            for a in subs:
                frames.setdefault(a, []).append(tick)

    def _order(self, kind: int, r: list[int], ref: int, frames: Frames) -> None:
        ts, oid, slot = r[c.E_TS], r[c.E_OID], r[c.E_INSTR]
        ev: Event
        if kind == c.EV_ACCEPTED:
            self._orders[oid] = (ref, slot)
            ev = OrderAccepted(
                ts, self.name_of.get(slot, ""), oid, ref, r[c.E_SIDE], r[c.E_PRICE], r[c.E_QTY],
                r[c.E_CODE] == 1,
            )  # fmt: skip
        elif kind == c.EV_REJECTED:
            # A cancel or replace row carries no instrument: name the target's.
            slot = self._orders.get(oid, (0, slot))[1] if oid else slot
            code = r[c.E_CODE]
            reason = self.reject_names.get(code, f"rejected_{code}")
            ev = OrderRejected(ts, self.name_of.get(slot, ""), ref, oid, reason, code)
        else:
            label, slot = self._orders.get(oid, (0, slot))
            name = self.name_of.get(slot, "")
            if kind == c.EV_CANCELED:
                self._orders.pop(oid, None)
                reason = CANCEL_NAMES.get(r[c.E_CODE], f"canceled_{r[c.E_CODE]}")
                ev = OrderCanceled(ts, name, oid, label, r[c.E_QTY], reason)
            elif kind == c.EV_EXPIRED:
                self._orders.pop(oid, None)
                ev = OrderExpired(ts, name, oid, label, r[c.E_QTY])
            elif kind == c.EV_REPLACED:
                ev = OrderReplaced(
                    ts, name, oid, label, r[c.E_PRICE], r[c.E_REMAINING], r[c.E_CODE] == 1
                )
            elif kind == c.EV_TRIGGERED:
                ev = OrderTriggered(ts, name, oid, label, r[c.E_PRICE], r[c.E_REMAINING])
            else:
                raise ValueError(f"unknown event kind {kind}")
        agent = self.agent_of.get(r[c.E_ACCOUNT])
        if agent is not None:
            frames.setdefault(agent, []).append(ev)

    def _label(self, oid: int, remove: bool) -> int:
        if remove:
            return self._orders.pop(oid, (0, 0))[0]
        return self._orders.get(oid, (0, 0))[0]
