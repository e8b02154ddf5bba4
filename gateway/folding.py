"""Fold one command's engine events into the gateway's records.

``EventFolder.fold`` walks the event rows of one sequenced command once, in order, and
updates the order store, the market data (books, tape) and the instrument parameters.
It returns ``Changes``: what the command did, for the publisher and for the handler
that is waiting for the answer. Prices are price units, quantities contracts, times ns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from gateway.commands import PlaceOrder
from gateway.instruments import Instruments
from gateway.marketdata import BookChange, MarketData, PublicTrade
from gateway.orders import CANCEL_REASONS, OPEN, UNTRIGGERED, Fill, Order, OrderStore


@dataclass(slots=True)
class Changes:
    """What one command changed."""

    ts: int
    orders: dict[int, Order] = field(default_factory=dict)
    """Orders whose state changed, by id, in order of first change."""
    fills: list[Fill] = field(default_factory=list)
    trades: list[PublicTrade] = field(default_factory=list)
    books: list[BookChange] = field(default_factory=list)
    instruments: set[str] = field(default_factory=set)
    """Instruments whose book or last price changed (their tickers may have)."""
    placed: Order | None = None
    reject: int = 0
    reject_below_band: bool = False


class EventFolder:
    """Apply engine events to the order store, market data and instrument registry."""

    def __init__(self, instruments: Instruments, market: MarketData, orders: OrderStore):
        self.instruments = instruments
        self.market = market
        self.orders = orders

    def fold(
        self,
        events: npt.NDArray[np.int64],
        ts: int,
        place: PlaceOrder | None = None,
        cancel_reason: str | None = None,
    ) -> Changes:
        """Fold ``events`` of one command stamped ``ts``.

        ``place`` is the command that may have created an order (its label, connection and
        type are not in the events); ``cancel_reason`` overrides the reason of user and
        mass cancels (e.g. ``cancel_on_disconnect``).
        """
        ch = Changes(ts)
        before: dict[str, dict[tuple[int, int], int]] = {}
        by_slot = self.instruments.by_slot
        for row in events.tolist():
            kind = row[c.E_KIND]
            if kind == c.EV_BOOK:
                lst = by_slot.get(row[c.E_INSTR])
                data = self.market.data.get(lst.name) if lst is not None else None
                if lst is None or data is None:
                    continue
                key = (row[c.E_SIDE], row[c.E_PRICE])
                old = data.book.set(key[0], key[1], row[c.E_QTY])
                before.setdefault(lst.name, {}).setdefault(key, old)
            elif kind == c.EV_TRADE:
                self._trade(row, ch)
            elif kind == c.EV_ACCEPTED and place is not None:
                self._accept(row, place, ch)
            elif kind == c.EV_CANCELED or kind == c.EV_EXPIRED:
                code = row[c.E_CODE]
                if kind == c.EV_EXPIRED:
                    reason = "good_til_day_expired"
                elif cancel_reason is not None and code in (c.CXL_USER, c.CXL_MASS):
                    reason = cancel_reason
                else:
                    reason = CANCEL_REASONS.get(code, "other")
                self._touch(ch, self.orders.cancel(row[c.E_OID], reason, ts))
            elif kind == c.EV_TRIGGERED:
                self._touch(ch, self.orders.trigger(row[c.E_OID], row[c.E_PRICE], ts))
            elif kind == c.EV_REPLACED:
                order = self.orders.replace(row[c.E_OID], row[c.E_PRICE], row[c.E_QTY], ts)
                self._touch(ch, order)
            elif kind == c.EV_STATUS:
                self.instruments.apply_status(row[c.E_INSTR], row[c.E_SIDE], row[c.E_PRICE])
            elif kind == c.EV_REJECTED:
                ch.reject = row[c.E_CODE]
                lst = by_slot.get(row[c.E_INSTR])
                ch.reject_below_band = lst is not None and row[c.E_PRICE] < lst.ref
        for name, levels in before.items():
            change = self.market.commit(name, ts, levels)
            if change is not None:
                ch.books.append(change)
                ch.instruments.add(name)
        return ch

    @staticmethod
    def _touch(ch: Changes, order: Order | None) -> None:
        if order is not None:
            ch.orders.setdefault(order.order_id, order)

    def _accept(self, row: list[int], cmd: PlaceOrder, ch: Changes) -> None:
        stop = cmd.type in (c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET)
        order = Order(
            order_id=row[c.E_OID],
            account=cmd.account,
            instrument_name=cmd.instrument_name,
            side=cmd.side,
            type=cmd.type,
            tif=c.TIF_GTD if cmd.good_til_day else cmd.tif,
            flags=cmd.flags,
            label=cmd.label,
            price=row[c.E_PRICE],
            trigger=cmd.trigger,
            amount=row[c.E_QTY],
            connection=cmd.connection,
            ts_created=ch.ts,
            ts_updated=ch.ts,
            state=UNTRIGGERED if stop else OPEN,
        )
        self.orders.accept(order)
        ch.placed = order
        self._touch(ch, order)

    def _trade(self, row: list[int], ch: Changes) -> None:
        lst = self.instruments.by_slot.get(row[c.E_INSTR])
        if lst is None or lst.name not in self.market.data:
            return
        spec, ts = lst.spec, ch.ts
        price, qty, side = row[c.E_PRICE], row[c.E_QTY], row[c.E_SIDE]
        trade = self.market.record_trade(lst, row[c.E_CODE], ts, side, price, qty)
        ch.trades.append(trade)
        ch.instruments.add(lst.name)
        legs = (
            (row[c.E_OID], row[c.E_REMAINING], side, False, spec.taker_fee_micros),
            (row[c.E_OTHER_OID], row[c.E_OTHER_REMAINING], 1 - side, True, spec.maker_fee_micros),
        )
        for oid, remaining, leg_side, maker, fee_per in legs:
            fee = qty * fee_per
            order = self.orders.fill(oid, qty, price, remaining, ts, fee)
            if order is None:
                continue
            fill = Fill(
                trade.trade_id, trade.trade_seq, ts, order.account, oid, lst.name, leg_side,
                price, qty, maker, fee, order.type, order.state, order.flags, order.label,
                trade.tick_direction, trade.mark, trade.index,
            )  # fmt: skip
            self.orders.add_fill(fill)
            ch.fills.append(fill)
            self._touch(ch, order)
