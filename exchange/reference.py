"""Plain-Python reference matching engine implementing ``docs/matching-rules.md``.

``ReferenceEngine`` is the executable specification the numba ``Engine`` is diffed
against: same constructor, same command rows in, same event rows out, same state hash.
It favours obviousness over speed: each book side is a ``SortedDict`` of price ->
FIFO level, live orders are indexed by id, untriggered stops are kept per instrument
in acceptance order. Prices in price units, quantities in contracts, times in ns.

Arithmetic is exact Python integer arithmetic. Where an ``int64`` kernel could
overflow, the rule helpers in ``exchange.reference_rules`` clamp first so both agree;
the only value that can leave ``int64`` is a level's total open quantity, which is
reported wrapped to ``int64`` (what kernel arithmetic produces).
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange import reference_checks as checks
from exchange import reference_rules as rules
from exchange import reference_state
from exchange.reference_book import Book, Level, Order

Events = npt.NDArray[np.int64]

_RESTING_TIFS = (c.TIF_GTC, c.TIF_GTD)
_MAX_GRID = 1 << 62  # max_price bound keeping ``price + tick`` inside int64


class ReferenceEngine:
    """Match command rows into event rows by the normative rules MR-1 … MR-13."""

    def __init__(
        self,
        n_instruments: int,
        max_price: int,
        n_accounts: int,
        smp: int = c.SMP_CANCEL_RESTING,
        emit: int = c.EMIT_ALL,
    ) -> None:
        """Create an engine with ``n_instruments`` unlisted slots on a ``1 … max_price`` grid."""
        if n_instruments < 1 or n_accounts < 1:
            raise ValueError("n_instruments and n_accounts must be positive")
        if not 1 <= max_price < _MAX_GRID:
            raise ValueError(f"max_price must lie in 1 … 2**62 - 1, got {max_price}")
        if smp not in (c.SMP_NONE, c.SMP_CANCEL_RESTING, c.SMP_CANCEL_AGGRESSOR, c.SMP_CANCEL_BOTH):
            raise ValueError(f"unknown self-match prevention mode {smp}")
        self._n_instr = int(n_instruments)
        self._max_price = int(max_price)
        self._n_accounts = int(n_accounts)
        self._smp = int(smp)
        self._emit = int(emit)
        self._seq = 0
        self._next_oid = 1
        self._next_tid = 1
        self._books = [Book() for _ in range(self._n_instr)]
        self._orders: dict[int, Order] = {}
        self._ts = 0
        self._out: list[list[int]] = []

    # ------------------------------------------------------------------ public API
    @property
    def seq(self) -> int:
        """Return the sequence number of the last processed command (0 before any)."""
        return self._seq

    def process(self, cmd: npt.NDArray[np.int64]) -> Events:
        """Process one command row of ``CMD_WIDTH`` ints; return its events (k, EV_WIDTH)."""
        row = np.asarray(cmd)
        if row.shape != (c.CMD_WIDTH,):
            raise ValueError(f"a command row has shape ({c.CMD_WIDTH},), got {row.shape}")
        f = [int(v) for v in row.astype(np.int64)]
        self._seq += 1
        self._ts = f[c.C_TS]
        self._out = []
        op = f[c.C_OP]
        if op == c.OP_NEW:
            self._op_new(f)
        elif op == c.OP_CANCEL:
            self._op_cancel(f)
        elif op == c.OP_REPLACE:
            self._op_replace(f)
        elif op == c.OP_MASS_CANCEL:
            self._op_mass_cancel(f)
        elif op == c.OP_EXPIRE:
            self._op_expire()
        elif op == c.OP_SET:
            self._op_set(f)
        else:
            self._reject(f, c.REJ_INVALID_ORDER)
        return np.array(self._out, dtype=np.int64).reshape(-1, c.EV_WIDTH)

    def process_batch(self, cmds: npt.NDArray[np.int64]) -> Events:
        """Process (n, CMD_WIDTH) command rows in order; return all events (m, EV_WIDTH)."""
        rows = np.asarray(cmds).reshape(-1, c.CMD_WIDTH)
        parts = [self.process(r) for r in rows]
        if not parts:
            return np.zeros((0, c.EV_WIDTH), dtype=np.int64)
        return np.concatenate(parts, axis=0)

    def state_array(self) -> Events:
        """Return the MR-13 canonical state as a 1-D int64 array."""
        return reference_state.state_array(
            (self._seq, self._next_oid, self._next_tid, self._n_instr), self._books
        )

    def state_hash(self) -> str:
        """Return the SHA-256 hex digest of ``state_array()`` as little-endian int64."""
        return hashlib.sha256(self.state_array().astype("<i8").tobytes()).hexdigest()

    def check_invariants(self) -> None:
        """Raise AssertionError naming the first broken MR-13 invariant."""
        reference_state.check_invariants(
            self._books, self._orders, (self._next_oid, self._max_price, self._n_accounts)
        )

    def best_bid(self, instr: int) -> int:
        """Return the best bid of slot ``instr`` in price units, 0 if none."""
        return self._books[instr].best(c.SIDE_BUY) if 0 <= instr < self._n_instr else 0

    def best_ask(self, instr: int) -> int:
        """Return the best ask of slot ``instr`` in price units, 0 if none."""
        return self._books[instr].best(c.SIDE_SELL) if 0 <= instr < self._n_instr else 0

    def levels(self, instr: int, side: int) -> list[tuple[int, int, int]]:
        """Return ``(price, total open qty, order count)`` of each level of a side, best first."""
        if not 0 <= instr < self._n_instr or side not in (c.SIDE_BUY, c.SIDE_SELL):
            return []
        bk = self._books[instr]
        out = []
        for price in bk.prices(side):
            level: Level = bk.side(side)[price]
            out.append((int(price), rules.wrap_i64(level.total), len(level.orders)))
        return out

    def orders_at(self, instr: int, side: int, price: int) -> list[tuple[int, int, int]]:
        """Return ``(oid, account, open qty)`` of the orders at a level in time priority."""
        if not 0 <= instr < self._n_instr or side not in (c.SIDE_BUY, c.SIDE_SELL):
            return []
        level = self._books[instr].side(side).get(price)
        if level is None:
            return []
        return [(o.oid, o.account, o.qty) for o in level.orders]

    # --------------------------------------------------------------------- events
    def _event(self, kind: int, instr: int, *fields: int) -> None:
        """Record an event (E_OID onwards in ``fields``) if its kind is in the emit mask."""
        if (self._emit >> kind) & 1:
            row = [kind, self._seq, self._ts, instr, *fields]
            row.extend([0] * (c.EV_WIDTH - len(row)))
            self._out.append(row)

    def _order_event(self, kind: int, o: Order, qty: int, remaining: int, code: int = 0) -> None:
        """Record an order event with the order's id, account, side and price."""
        self._event(kind, o.instr, o.oid, o.account, o.side, o.price, qty, remaining, 0, 0, 0, code)

    def _book_event(self, instr: int, side: int, price: int) -> None:
        """Record EV_BOOK with the current total (wrapped to int64) and count of a level."""
        level = self._books[instr].side(side).get(price)
        total, count = (rules.wrap_i64(level.total), len(level.orders)) if level else (0, 0)
        self._event(c.EV_BOOK, instr, 0, 0, side, price, total, count)

    def _reject(self, f: list[int], code: int, oid: int = 0) -> None:
        """Record EV_REJECTED carrying the command's own fields (MR-12)."""
        echo = (f[c.C_ACCOUNT], f[c.C_SIDE], f[c.C_PRICE], f[c.C_QTY])
        self._event(c.EV_REJECTED, f[c.C_INSTR], oid, *echo, 0, 0, 0, 0, code)

    # ------------------------------------------------------------------ new order
    def _listed_book(self, instr: int) -> Book | None:
        """Return the book of slot ``instr`` if it is in range and listed, else None."""
        if 0 <= instr < self._n_instr and self._books[instr].status != c.STATUS_UNLISTED:
            return self._books[instr]
        return None

    def _op_new(self, f: list[int]) -> None:
        """Validate (MR-3), accept and match or store an OP_NEW row."""
        code = checks.check_new(
            f, self._listed_book(f[c.C_INSTR]), self._n_accounts, self._max_price
        )
        if code:
            self._reject(f, code)
            return
        bk = self._books[f[c.C_INSTR]]
        side, typ, tif, flags = f[c.C_SIDE], f[c.C_TYPE], f[c.C_TIF], f[c.C_FLAGS]
        qty = f[c.C_QTY]
        if flags & c.FLAG_REDUCE_ONLY:
            qty = rules.reduce_only_qty(side, qty, f[c.C_POSITION])
            if qty == 0:
                self._reject(f, c.REJ_REDUCE_ONLY)
                return
        price = f[c.C_PRICE] if typ in checks.PRICED_TYPES else 0
        limit, may_rest = price, True
        if typ == c.TYPE_MARKET:
            if bk.best(1 - side) == 0:
                self._reject(f, c.REJ_NO_LIQUIDITY)
                return
            limit, price, may_rest = self._market_limit(bk, side)
        code, moved = checks.post_only(bk, side, price, flags, self._max_price)
        if code:
            self._reject(f, code)
            return
        repriced = int(moved != price)
        if repriced:
            price = limit = moved
        fok = tif == c.TIF_FOK and typ not in checks.STOP_TYPES
        if fok and not self._can_fill(bk, side, f[c.C_ACCOUNT], limit, qty):
            self._reject(f, c.REJ_FOK_CANNOT_FILL)
            return
        is_stop = typ in checks.STOP_TYPES
        o = Order(
            oid=self._next_oid,
            instr=f[c.C_INSTR],
            account=f[c.C_ACCOUNT],
            side=side,
            type=typ,
            price=price,
            trigger=f[c.C_TRIGGER] if is_stop else 0,
            qty=qty,
            tif=tif,
            expiry=f[c.C_EXPIRE] if tif == c.TIF_GTD else 0,
            flags=flags,
        )
        self._next_oid += 1
        self._order_event(c.EV_ACCEPTED, o, qty, qty, repriced)
        if is_stop:
            bk.stops[o.oid] = o
            self._orders[o.oid] = o
        elif self._execute(bk, o, limit, may_rest):
            self._trigger_stops(bk)

    def _market_limit(self, bk: Book, side: int) -> tuple[int, int, bool]:
        """Return ``(limit, order price, may rest)`` of a market order on ``bk`` (MR-4)."""
        return rules.market_limit(
            side, bk.best(1 - side), bk.protection, bk.band, bk.ref, bk.tick, self._max_price
        )

    # ------------------------------------------------------------------- matching
    def _can_fill(self, bk: Book, side: int, account: int, limit: int, qty: int) -> bool:
        """Return whether ``qty`` contracts are available within ``limit`` (MR-6)."""
        opp = 1 - side
        levels = bk.side(opp)
        avail = 0
        for price in bk.prices(opp):
            if not rules.crosses(side, price, limit):
                break
            for m in levels[price].orders:
                if m.account == account and self._smp != c.SMP_NONE:
                    if self._smp == c.SMP_CANCEL_RESTING:
                        continue
                    return False
                if m.qty >= qty - avail:  # no ``avail + m.qty``: it could leave int64
                    return True
                avail += m.qty
        return False

    def _execute(self, bk: Book, o: Order, limit: int, may_rest: bool) -> bool:
        """Match aggressor ``o`` up to ``limit``, then rest or cancel it (MR-5); return traded."""
        traded = self._match(bk, o, limit)
        if o.qty > 0:
            if may_rest and o.tif in _RESTING_TIFS:
                o.price, o.type = limit, c.TYPE_LIMIT
                bk.rest(o)
                self._orders[o.oid] = o
                self._book_event(o.instr, o.side, o.price)
            else:
                self._order_event(c.EV_CANCELED, o, o.qty, 0, c.CXL_UNFILLED)
                o.qty = 0
        return traded

    def _match(self, bk: Book, o: Order, limit: int) -> bool:
        """Match ``o`` against crossing levels best first (MR-5, MR-7); return traded."""
        opp = 1 - o.side
        levels = bk.side(opp)
        traded = False
        while o.qty > 0 and levels:
            price = bk.best(opp)
            if not rules.crosses(o.side, price, limit):
                break
            level: Level = levels[price]
            before = level.total
            level_traded, stopped = self._match_level(bk, o, price, level)
            traded |= level_traded
            if not level.orders:
                levels.pop(price, None)
            if level.total != before:
                self._book_event(o.instr, opp, price)
            if stopped:
                self._order_event(c.EV_CANCELED, o, o.qty, 0, c.CXL_SELF_MATCH)
                o.qty = 0
        return traded

    def _match_level(self, bk: Book, o: Order, price: int, level: Level) -> tuple[bool, bool]:
        """Meet the orders of one level in time priority; return (traded, SMP stopped)."""
        traded = False
        while o.qty > 0 and level.orders:
            m = level.orders[0]
            if m.account == o.account and self._smp != c.SMP_NONE:
                if self._smp != c.SMP_CANCEL_AGGRESSOR:
                    self._kill(m, c.EV_CANCELED, c.CXL_SELF_MATCH, book_event=False)
                if self._smp != c.SMP_CANCEL_RESTING:
                    return traded, True
                continue
            fill = min(o.qty, m.qty)
            o.qty -= fill
            m.qty -= fill
            level.total -= fill
            bk.last = price
            tid = self._next_tid
            self._next_tid += 1
            self._event(
                c.EV_TRADE, o.instr, o.oid, o.account, o.side, price, fill, o.qty,
                m.oid, m.account, m.qty, tid,
            )  # fmt: skip
            if m.qty == 0:
                level.orders.popleft()
                m.resting = False
                del self._orders[m.oid]
            traded = True
        return traded, False

    # ---------------------------------------------------------------------- stops
    def _trigger_stops(self, bk: Book) -> None:
        """Trigger the first satisfied stop in acceptance order until none holds (MR-8)."""
        while True:
            s = next(
                (s for s in bk.stops.values() if rules.stop_holds(s.side, s.trigger, bk.last)), None
            )
            if s is None:
                return
            del bk.stops[s.oid]
            del self._orders[s.oid]
            self._order_event(c.EV_TRIGGERED, s, s.qty, s.qty)
            self._activate(bk, s)

    def _activate(self, bk: Book, s: Order) -> None:
        """Process a triggered stop as a new limit or market order without validation."""
        limit, may_rest = s.price, True
        if s.type == c.TYPE_STOP_MARKET:
            if bk.best(1 - s.side) == 0:
                self._order_event(c.EV_CANCELED, s, s.qty, 0, c.CXL_NO_LIQUIDITY)
                return
            limit, s.price, may_rest = self._market_limit(bk, s.side)
            s.type = c.TYPE_MARKET
        else:
            s.type = c.TYPE_LIMIT
        if s.tif == c.TIF_FOK and not self._can_fill(bk, s.side, s.account, limit, s.qty):
            self._order_event(c.EV_CANCELED, s, s.qty, 0, c.CXL_UNFILLED)
            return
        self._execute(bk, s, limit, may_rest)

    # ---------------------------------------------------------- replace and cancel
    def _target(self, f: list[int]) -> tuple[int, Order | None]:
        """Return (reject code, order) of the account/live/owner checks (MR-9, MR-10)."""
        account = f[c.C_ACCOUNT]
        if account != -1 and not 0 <= account < self._n_accounts:
            return c.REJ_INVALID_ACCOUNT, None
        o = self._orders.get(f[c.C_OID])
        if o is None:
            return c.REJ_UNKNOWN_ORDER, None
        if account != -1 and account != o.account:
            return c.REJ_NOT_OWNER, None
        return 0, o

    def _op_replace(self, f: list[int]) -> None:
        """Replace an order's price, open quantity and trigger (MR-9)."""
        code, o = self._target(f)
        price = trigger = 0
        if o is not None:
            code, price, trigger = checks.check_replace(o, self._books[o.instr], f, self._max_price)
        if code or o is None:
            self._reject(f, code, f[c.C_OID])
            return
        bk = self._books[o.instr]
        qty = f[c.C_QTY]
        if not o.resting:  # an untriggered stop keeps its place
            o.price, o.qty, o.trigger = price, qty, trigger
            self._order_event(c.EV_REPLACED, o, qty, qty, 0)
            return
        if price == o.price and qty <= o.qty:
            level: Level = bk.side(o.side)[o.price]
            level.total -= o.qty - qty
            changed = qty != o.qty
            o.qty = qty
            self._order_event(c.EV_REPLACED, o, qty, qty, 0)
            if changed:
                self._book_event(o.instr, o.side, o.price)
            return
        old_price = o.price
        bk.unrest(o)
        o.resting = False
        del self._orders[o.oid]
        o.price, o.qty = price, qty
        self._order_event(c.EV_REPLACED, o, qty, qty, 1)
        self._book_event(o.instr, o.side, old_price)
        if self._execute(bk, o, price, True):
            self._trigger_stops(bk)

    def _kill(self, o: Order, kind: int, code: int, book_event: bool = True) -> None:
        """Remove live order ``o``, record ``kind`` (then EV_BOOK if it rested)."""
        bk = self._books[o.instr]
        was_resting = o.resting
        if was_resting:
            bk.unrest(o)
            o.resting = False
        else:
            del bk.stops[o.oid]
        del self._orders[o.oid]
        self._order_event(kind, o, o.qty, 0, code)
        if was_resting and book_event:
            self._book_event(o.instr, o.side, o.price)

    def _kill_sorted(self, victims: list[Order], kind: int, code: int) -> None:
        """Remove ``victims`` in ascending (account, order id) order (MR-10, MR-11)."""
        for o in sorted(victims, key=lambda o: (o.account, o.oid)):
            self._kill(o, kind, code)

    def _op_cancel(self, f: list[int]) -> None:
        """Cancel one order (MR-10)."""
        code, o = self._target(f)
        if code or o is None:
            self._reject(f, code, f[c.C_OID])
            return
        self._kill(o, c.EV_CANCELED, c.CXL_USER)

    def _op_mass_cancel(self, f: list[int]) -> None:
        """Cancel resting orders and stops matching account/instrument/side (MR-10)."""
        instr, account, side = f[c.C_INSTR], f[c.C_ACCOUNT], f[c.C_SIDE]
        if instr != -1 and self._listed_book(instr) is None:
            self._reject(f, c.REJ_UNKNOWN_INSTRUMENT)
        elif account != -1 and not 0 <= account < self._n_accounts:
            self._reject(f, c.REJ_INVALID_ACCOUNT)
        elif side not in (-1, c.SIDE_BUY, c.SIDE_SELL):
            self._reject(f, c.REJ_INVALID_ORDER)
        else:
            victims = [
                o
                for o in self._orders.values()
                if instr in (-1, o.instr) and account in (-1, o.account) and side in (-1, o.side)
            ]
            self._kill_sorted(victims, c.EV_CANCELED, c.CXL_MASS)

    def _op_expire(self) -> None:
        """Expire every GTD order whose expiry is at or before the command time (MR-10)."""
        victims = [o for o in self._orders.values() if o.tif == c.TIF_GTD and o.expiry <= self._ts]
        self._kill_sorted(victims, c.EV_EXPIRED, 0)

    # --------------------------------------------------------------------- OP_SET
    def _op_set(self, f: list[int]) -> None:
        """Set an instrument parameter or change its status (MR-11)."""
        instr, param, value = f[c.C_INSTR], f[c.C_TYPE], f[c.C_PRICE]
        if not 0 <= instr < self._n_instr:
            self._reject(f, c.REJ_UNKNOWN_INSTRUMENT)
            return
        bk = self._books[instr]
        if not 0 <= param < c.N_PARAMS:
            code = c.REJ_INVALID_PARAM
        elif param == c.PARAM_STATUS:
            code = self._set_status(instr, value)
        elif bk.status == c.STATUS_UNLISTED:
            code = c.REJ_UNKNOWN_INSTRUMENT
        else:
            code = checks.set_value(bk, param, value, self._max_price)
        if code:
            self._reject(f, code)
            return
        self._event(c.EV_STATUS, instr, 0, 0, param, value)

    def _set_status(self, instr: int, status: int) -> int:
        """Apply a status transition (MR-11); return REJ_INVALID_PARAM if it is not allowed."""
        bk = self._books[instr]
        old = bk.status
        if old == c.STATUS_UNLISTED and status == c.STATUS_OPEN:
            bk.reset_params()
        elif {old, status} == {c.STATUS_OPEN, c.STATUS_HALTED}:
            pass
        elif old in (c.STATUS_OPEN, c.STATUS_HALTED) and status == c.STATUS_EXPIRED:
            victims = [o for o in self._orders.values() if o.instr == instr]
            self._kill_sorted(victims, c.EV_CANCELED, c.CXL_EXPIRED)
        elif not (old == c.STATUS_EXPIRED and status == c.STATUS_UNLISTED):
            return c.REJ_INVALID_PARAM
        bk.status = status
        return 0
