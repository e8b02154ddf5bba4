"""The double-auction institution of Gode and Sunder (1993), as a venue port.

The paper's rules, each mapped onto the flopex engine:

1. One unit an order: the instrument's maximum order size (``PARAM_MAX_QTY``) is 1.
2. A new bid must raise the standing bid and a new ask must lower the standing ask:
   a pre-trade gate refuses any other limit order or replace with
   ``REJ_DOES_NOT_IMPROVE`` before it reaches the engine.
3. When a bid and an ask cross they trade at the price of the earlier one: the
   engine's own rule (trades happen at the resting order's price, MR-2).
4. Every trade cancels all standing bids and asks: after a command that traded, the
   port sends the engine a mass cancel of the instrument (``CXL_MASS`` to each owner).

A bid that a better bid displaced stays in the engine below the standing one until
the next trade clears the book; it can never trade before then, so the outcome is
the paper's. Prices in price units, quantities in contracts, times in ns.
"""

from __future__ import annotations

import numpy as np

from exchange import codes as c
from exchange import commands as C
from exchange.engine import Engine
from sim.venue_port import Events, Row

#: Reject code of the gate, outside the engine's ``REJ_*`` range.
REJ_DOES_NOT_IMPROVE = 100
REJECT_NAMES = {REJ_DOES_NOT_IMPROVE: "does_not_improve"}


class ImprovementRuleVenue:
    """Gode–Sunder's institution for instrument ``instrument`` of ``engine``.

    The slot must be listed already; the port sets its maximum order size to 1.
    """

    def __init__(self, engine: Engine, instrument: int = 0) -> None:
        self.engine = engine
        self.instrument = instrument
        self._side_of: dict[int, int] = {}  # live order id -> side, for replaces
        engine.process(C.set_param(instrument, c.PARAM_MAX_QTY, 1))
        self.gate_rejects = 0
        self.clears = 0

    def submit(self, row: Row) -> Events:
        """Gate ``row`` by the improvement rule, process it, clear the book after a trade."""
        op = int(row[c.C_OP])
        if op == c.OP_NEW and int(row[c.C_INSTR]) == self.instrument:
            side = int(row[c.C_SIDE])
            if int(row[c.C_TYPE]) == c.TYPE_LIMIT and not self._improves(side, row[c.C_PRICE]):
                return self._reject(row, side, 0)
        elif op == c.OP_REPLACE:
            oid = int(row[c.C_OID])
            side = self._side_of.get(oid, -1)
            if side >= 0 and not self._improves(side, row[c.C_PRICE]):
                return self._reject(row, side, oid)
        events = self.engine.process(row)
        kinds = events[:, c.E_KIND].tolist()
        if c.EV_ACCEPTED in kinds:
            for r in events[events[:, c.E_KIND] == c.EV_ACCEPTED].tolist():
                self._side_of[r[c.E_OID]] = r[c.E_SIDE]
        if c.EV_TRADE in kinds:
            clear = C.mass_cancel(-1, self.instrument, -1, ts=int(row[c.C_TS]))
            events = np.concatenate([events, self.engine.process(clear)])
            self._side_of.clear()  # the book is empty: every order id is gone
            self.clears += 1
        return events

    def _improves(self, side: int, price: int) -> bool:
        if side == c.SIDE_BUY:
            best = self.engine.best_bid(self.instrument)
            return best == 0 or price > best
        best = self.engine.best_ask(self.instrument)
        return best == 0 or price < best

    def _reject(self, row: Row, side: int, oid: int) -> Events:
        self.gate_rejects += 1
        ev = np.zeros((1, c.EV_WIDTH), dtype=np.int64)
        ev[0, c.E_KIND] = c.EV_REJECTED
        ev[0, c.E_TS] = row[c.C_TS]  # E_SEQ stays 0: refused before sequencing
        ev[0, c.E_INSTR] = self.instrument
        ev[0, c.E_OID] = oid
        ev[0, c.E_ACCOUNT] = row[c.C_ACCOUNT]
        ev[0, c.E_SIDE] = side
        ev[0, c.E_PRICE] = row[c.C_PRICE]
        ev[0, c.E_QTY] = row[c.C_QTY]
        ev[0, c.E_CODE] = REJ_DOES_NOT_IMPROVE
        return ev
