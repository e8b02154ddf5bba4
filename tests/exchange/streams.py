"""Seeded, weighted random command streams for differential engine tests.

``random_commands`` returns a realistic (n, CMD_WIDTH) int64 batch: mostly limit
orders near the touch, plus markets, IOC, FOK, post-only (both modes), reduce-only with
the account's real position, stops of both kinds, replaces that keep and lose priority,
cancels of live and dead ids and of other accounts' orders, mass cancels, GTD orders
with expiries, OP_SET of every parameter and status, and a small share of garbage rows.

To aim cancels and replaces at live orders and reduce-only orders at real positions, the
generator feeds each row to a shadow ``ReferenceEngine`` and follows its events. The
stream is still a pure function of its arguments. Prices in price units, quantities in
contracts, times in ns.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange import commands as cmd
from exchange.reference import ReferenceEngine

Row = npt.NDArray[np.int64]
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
EDGE_VALUES = (
    INT64_MIN,
    INT64_MIN + 1,
    -(1 << 62),
    -2,
    -1,
    0,
    1,
    2,
    3,
    1 << 31,
    1 << 62,
    INT64_MAX - 1,
    INT64_MAX,
)


class _Shadow:
    """What the generator knows about the exchange, learned from the shadow engine."""

    def __init__(self, n_instruments: int, max_price: int, n_accounts: int, smp: int) -> None:
        self.engine = ReferenceEngine(n_instruments, max_price, n_accounts, smp=smp)
        self.live: dict[
            int, tuple[int, int, int, int, int]
        ] = {}  # oid -> instr, account, side, price, qty
        self.stops: set[int] = set()
        self.position: dict[tuple[int, int], int] = {}  # (account, instr) -> contracts
        self.last: list[int] = [0] * n_instruments
        self.status = [c.STATUS_UNLISTED] * n_instruments
        self.tick = [1] * n_instruments
        self.next_oid = 1

    def feed(self, row: Row) -> None:
        """Process ``row`` in the shadow engine and follow its events."""
        for e in self.engine.process(row).tolist():
            kind, instr, oid, account, side, price, qty, rem = (
                e[0],
                e[3],
                e[4],
                e[5],
                e[6],
                e[7],
                e[8],
                e[9],
            )
            if kind == c.EV_ACCEPTED:
                self.live[oid] = (instr, account, side, price, qty)
                self.next_oid = oid + 1
                if row[c.C_TYPE] in (c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET):
                    self.stops.add(oid)
            elif kind == c.EV_TRADE:
                self._fill(instr, oid, account, side, price, qty, rem)
                maker = e[c.E_OTHER_OID]
                self._fill(
                    instr, maker, e[c.E_OTHER_ACCOUNT], 1 - side, price, qty, e[c.E_OTHER_REMAINING]
                )
            elif kind in (c.EV_CANCELED, c.EV_EXPIRED):
                self.live.pop(oid, None)
                self.stops.discard(oid)
            elif kind == c.EV_TRIGGERED:
                self.stops.discard(oid)
            elif kind == c.EV_REPLACED and oid in self.live:
                self.live[oid] = (instr, account, side, price, qty)
            elif kind == c.EV_STATUS and side == c.PARAM_STATUS:
                if self.status[instr] == c.STATUS_UNLISTED:
                    self.tick[instr], self.last[instr] = 1, 0
                self.status[instr] = price
            elif kind == c.EV_STATUS and side == c.PARAM_TICK:
                self.tick[instr] = price

    def _fill(
        self, instr: int, oid: int, account: int, side: int, price: int, qty: int, rem: int
    ) -> None:
        """Book one leg of a trade: position, last price and the order's open quantity."""
        key = (account, instr)
        self.position[key] = self.position.get(key, 0) + (qty if side == c.SIDE_BUY else -qty)
        self.last[instr] = price
        if rem == 0:
            self.live.pop(oid, None)
        elif oid in self.live:
            i, a, s, p, _ = self.live[oid]
            self.live[oid] = (i, a, s, p, rem)


class _Generator:
    """Draw one command at a time from a weighted mix of scenarios."""

    def __init__(
        self, seed: int, n_instruments: int, max_price: int, n_accounts: int, smp: int
    ) -> None:
        self.rng = random.Random(seed)
        self.n_instr, self.max_price, self.n_accounts = n_instruments, max_price, n_accounts
        self.shadow = _Shadow(n_instruments, max_price, n_accounts, smp)
        self.mid = [
            self.rng.randint(max_price // 4, 3 * max_price // 4) for _ in range(n_instruments)
        ]
        self.ts = 1_000
        self.scenarios: list[tuple[float, Callable[[], Row]]] = [
            (30, self.limit_near_touch),
            (8, self.limit_deep),
            (8, self.limit_crossing),
            (5, self.market),
            (5, self.ioc),
            (4, self.fok),
            (6, self.post_only),
            (4, self.reduce_only),
            (6, self.stop),
            (6, self.replace_keep),
            (6, self.replace_move),
            (2, self.replace_stop),
            (6, self.cancel_live),
            (2, self.cancel_dead),
            (2, self.cancel_foreign),
            (0.7, self.mass_cancel),
            (2.5, self.expire),
            (3, self.set_param),
            (0.6, self.set_status),
            (2, self.garbage),
        ]
        self.weights = [w for w, _ in self.scenarios]

    # --------------------------------------------------------------- primitives
    def next_row(self) -> Row:
        """Return the next command row and feed it to the shadow engine."""
        self.ts += self.rng.choice((0, 1, 10, 100, 1_000, 5_000))
        if self.rng.random() < 0.3:
            self.mid = [self.walk(m) for m in self.mid]
        if self.shadow.status.count(c.STATUS_OPEN) == 0 and self.rng.random() < 0.5:
            row = self.set_status()
        else:
            (scenario,) = self.rng.choices([s for _, s in self.scenarios], self.weights)
            row = scenario()
            if scenario == self.garbage:
                self.shadow.feed(row)
                return row
        row[c.C_TS] = self.ts
        self.shadow.feed(row)
        return row

    def walk(self, mid: int) -> int:
        """Return the mid price after a small random step, kept inside the grid."""
        return min(max(mid + self.rng.randint(-3, 3), 10), self.max_price - 10)

    def instr(self) -> int:
        """Return a slot, mostly an open one."""
        open_slots = [i for i, s in enumerate(self.shadow.status) if s == c.STATUS_OPEN]
        if open_slots and self.rng.random() < 0.95:
            return self.rng.choice(open_slots)
        return self.rng.randrange(self.n_instr)

    def account(self) -> int:
        """Return an account; a few traders make self-matches frequent."""
        return self.rng.randrange(min(self.n_accounts, 6))

    def qty(self) -> int:
        """Return an order quantity, mostly small."""
        return (
            self.rng.choice((1, 1, 2, 3, 5, 8))
            if self.rng.random() < 0.9
            else self.rng.randint(9, 60)
        )

    def on_tick(self, instr: int, price: int) -> int:
        """Return ``price`` rounded to the instrument's tick most of the time."""
        tick = self.shadow.tick[instr]
        if tick > 1 and self.rng.random() < 0.9:
            price = max(tick, price // tick * tick)
        return price

    def price(self, instr: int, side: int, offset: int) -> int:
        """Return a price ``offset`` ticks away from the mid on the passive side."""
        tick = self.shadow.tick[instr]
        away = -offset * tick if side == c.SIDE_BUY else offset * tick
        return self.on_tick(instr, min(max(self.mid[instr] + away, 1), self.max_price))

    def tif_kw(self) -> dict[str, int]:
        """Return time-in-force keywords for a resting order: GTC or GTD with an expiry."""
        if self.rng.random() < 0.25:
            return {
                "tif": c.TIF_GTD,
                "expire": self.ts + self.rng.choice((-5, 1, 500, 5_000, 50_000)),
            }
        return {}

    def side(self) -> int:
        """Return a side."""
        return self.rng.randrange(2)

    # ---------------------------------------------------------------- new orders
    def limit_near_touch(self) -> Row:
        """Return a passive limit order within a few ticks of the mid (rarely off the grid)."""
        i, side = self.instr(), self.side()
        if self.rng.random() < 0.02:
            price = self.rng.choice((0, -1, self.max_price + 1))
            return cmd.limit(i, self.account(), side, self.qty(), price)
        return cmd.limit(
            i,
            self.account(),
            side,
            self.qty(),
            self.price(i, side, self.rng.randint(0, 4)),
            **self.tif_kw(),
        )

    def limit_deep(self) -> Row:
        """Return a passive limit order further from the mid."""
        i, side = self.instr(), self.side()
        return cmd.limit(
            i,
            self.account(),
            side,
            self.qty(),
            self.price(i, side, self.rng.randint(5, 40)),
            **self.tif_kw(),
        )

    def limit_crossing(self) -> Row:
        """Return a limit order priced through the mid, sweeping a few levels."""
        i, side = self.instr(), self.side()
        return cmd.limit(
            i,
            self.account(),
            side,
            self.qty() * 2,
            self.price(i, side, -self.rng.randint(1, 6)),
            **self.tif_kw(),
        )

    def market(self) -> Row:
        """Return a market order, mostly IOC, sometimes GTC/GTD (rests with protection) or FOK."""
        tif = self.rng.choice((c.TIF_IOC, c.TIF_IOC, c.TIF_GTC, c.TIF_GTD, c.TIF_FOK))
        kw = {"tif": tif, "expire": self.ts + 10_000} if tif == c.TIF_GTD else {"tif": tif}
        return cmd.market(self.instr(), self.account(), self.side(), self.qty(), **kw)

    def ioc(self) -> Row:
        """Return an IOC limit order around the mid."""
        i, side = self.instr(), self.side()
        return cmd.limit(
            i,
            self.account(),
            side,
            self.qty(),
            self.price(i, side, self.rng.randint(-4, 2)),
            tif=c.TIF_IOC,
        )

    def fok(self) -> Row:
        """Return a FOK limit order around the mid."""
        i, side = self.instr(), self.side()
        return cmd.limit(
            i,
            self.account(),
            side,
            self.qty(),
            self.price(i, side, self.rng.randint(-5, 1)),
            tif=c.TIF_FOK,
        )

    def post_only(self) -> Row:
        """Return a post-only order that often crosses (reprice or reject mode)."""
        i, side = self.instr(), self.side()
        flags = c.FLAG_POST_ONLY | (c.FLAG_REJECT_POST_ONLY if self.rng.random() < 0.4 else 0)
        price = self.price(i, side, self.rng.randint(-3, 2))
        return cmd.limit(i, self.account(), side, self.qty(), price, flags=flags, **self.tif_kw())

    def reduce_only(self) -> Row:
        """Return a reduce-only order carrying the account's real position (sometimes stale)."""
        i, account = self.instr(), self.account()
        position = self.shadow.position.get((account, i), 0)
        if self.rng.random() < 0.2:
            position += self.rng.randint(-3, 3)
        side = c.SIDE_SELL if position > 0 else c.SIDE_BUY
        if self.rng.random() < 0.1:
            side = 1 - side
        typ = self.rng.choice((c.TYPE_LIMIT, c.TYPE_LIMIT, c.TYPE_MARKET))
        price = self.price(i, side, self.rng.randint(-2, 3)) if typ == c.TYPE_LIMIT else 0
        tif = c.TIF_IOC if typ == c.TYPE_MARKET else c.TIF_GTC
        return cmd.new_order(
            i,
            account,
            side,
            self.qty(),
            price,
            type=typ,
            tif=tif,
            flags=c.FLAG_REDUCE_ONLY,
            position=position,
        )

    def stop(self) -> Row:
        """Return a stop-limit or stop-market order with its trigger near the last trade."""
        i, side = self.instr(), self.side()
        last = self.shadow.last[i] or self.mid[i]
        tick = self.shadow.tick[i]
        step = self.rng.randint(-1, 6) * tick
        trigger = self.on_tick(
            i, min(max(last + step if side == c.SIDE_BUY else last - step, 1), self.max_price)
        )
        typ = self.rng.choice((c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET))
        price = 0
        if typ == c.TYPE_STOP_LIMIT:
            slip = self.rng.randint(-1, 4) * tick
            price = self.on_tick(
                i,
                min(
                    max(trigger + slip if side == c.SIDE_BUY else trigger - slip, 1), self.max_price
                ),
            )
        tif = self.rng.choice((c.TIF_GTC, c.TIF_GTC, c.TIF_GTD, c.TIF_IOC, c.TIF_FOK))
        kw = (
            {"tif": tif, "expire": self.ts + self.rng.randint(1, 30_000)}
            if tif == c.TIF_GTD
            else {"tif": tif}
        )
        return cmd.new_order(
            i, self.account(), side, self.qty(), price, type=typ, trigger=trigger, **kw
        )

    # ---------------------------------------------------------- replace and cancel
    def live_order(self, stops: bool = False) -> tuple[int, tuple[int, int, int, int, int]] | None:
        """Return a random live (oid, fields), among stops when ``stops``; None if none."""
        pool = sorted(self.shadow.stops) if stops else sorted(self.shadow.live)
        if not pool:
            return None
        oid = self.rng.choice(pool[-60:])
        return oid, self.shadow.live.get(oid, (0, 0, 0, 0, 1))

    def owner_or_admin(self, account: int) -> int:
        """Return the owner's account, or -1 (administrator) now and then."""
        return -1 if self.rng.random() < 0.1 else account

    def replace_keep(self) -> Row:
        """Return a replace at the same price with a smaller or equal quantity."""
        found = self.live_order()
        if found is None:
            return self.limit_near_touch()
        oid, (_, account, _, price, qty) = found
        return cmd.replace(
            oid, price, self.rng.randint(max(1, qty - 3), qty), self.owner_or_admin(account)
        )

    def replace_move(self) -> Row:
        """Return a replace that moves the price (maybe across the spread) or adds quantity."""
        found = self.live_order()
        if found is None:
            return self.limit_crossing()
        oid, (instr, account, side, price, qty) = found
        if self.rng.random() < 0.3:
            return cmd.replace(
                oid, price, qty + self.rng.randint(1, 5), self.owner_or_admin(account)
            )
        new_price = self.price(instr, side, self.rng.randint(-3, 6))
        return cmd.replace(oid, new_price, self.qty(), self.owner_or_admin(account))

    def replace_stop(self) -> Row:
        """Return a replace of an untriggered stop, with a new trigger half of the time."""
        found = self.live_order(stops=True)
        if found is None:
            return self.stop()
        oid, (instr, account, side, price, _) = found
        trigger = 0
        if self.rng.random() < 0.5:
            last = self.shadow.last[instr] or self.mid[instr]
            trigger = self.on_tick(
                instr, max(1, last + (1 if side == c.SIDE_BUY else -1) * self.rng.randint(-1, 5))
            )
        tick = self.shadow.tick[instr]
        new_price = price if price == 0 else max(1, price + tick * self.rng.randint(-2, 2))
        return cmd.replace(oid, new_price, self.qty(), account, trigger=trigger)

    def cancel_live(self) -> Row:
        """Return a cancel of a live order by its owner (or an administrator)."""
        found = self.live_order()
        if found is None:
            return self.cancel_dead()
        oid, (_, account, *_) = found
        return cmd.cancel(oid, self.owner_or_admin(account))

    def cancel_dead(self) -> Row:
        """Return a cancel of an id that is filled, canceled, never used, or out of range."""
        oid = self.rng.choice((self.rng.randint(1, self.shadow.next_oid + 2), 0, -1, 10**12))
        return cmd.cancel(oid, self.account())

    def cancel_foreign(self) -> Row:
        """Return a cancel or replace of a live order by another (or an invalid) account."""
        found = self.live_order()
        if found is None:
            return self.cancel_dead()
        oid, (_, account, _, price, qty) = found
        other = self.rng.choice(((account + 1) % self.n_accounts, self.n_accounts, -2))
        if self.rng.random() < 0.5:
            return cmd.cancel(oid, other)
        return cmd.replace(oid, price, qty, other)

    def mass_cancel(self) -> Row:
        """Return a mass cancel by account/instrument/side (-1 = all), rarely invalid."""
        account = self.rng.choice((-1, self.account(), self.account()))
        instr = self.rng.choice((-1, self.instr()))
        side = self.rng.choice((-1, -1, 0, 1))
        if self.rng.random() < 0.1:
            account, instr, side = self.rng.choice(
                ((self.n_accounts, instr, side), (account, self.n_instr, side), (account, instr, 2))
            )
        return cmd.mass_cancel(account, instr, side)

    def expire(self) -> Row:
        """Return an OP_EXPIRE at the current time (GTD orders with expiry <= now go)."""
        return cmd.expire(self.ts)

    # ------------------------------------------------------------------- OP_SET
    def set_param(self) -> Row:
        """Return an OP_SET of tick, max qty, protection, band or reference (rarely invalid)."""
        i = self.instr()
        param = self.rng.choice(
            (c.PARAM_TICK, c.PARAM_MAX_QTY, c.PARAM_PROTECTION, c.PARAM_BAND, c.PARAM_REF_PRICE)
        )
        choices = {
            c.PARAM_TICK: (1, 1, 1, 2, 5, 0),
            c.PARAM_MAX_QTY: (0, 0, 10, 40, -1),
            c.PARAM_PROTECTION: (0, 2, 10, 50, INT64_MAX),
            c.PARAM_BAND: (0, 0, 10, 40, INT64_MAX),
            c.PARAM_REF_PRICE: (0, self.mid[i], self.mid[i] + 7, self.max_price + 1),
        }
        return cmd.set_param(i, param, self.rng.choice(choices[param]))

    def set_status(self) -> Row:
        """Return a status change along the life cycle (halt, reopen, expire, unlist, list)."""
        i = self.rng.randrange(self.n_instr)
        status = self.shadow.status[i]
        nxt = {
            c.STATUS_UNLISTED: (c.STATUS_OPEN,),
            c.STATUS_OPEN: (c.STATUS_HALTED, c.STATUS_HALTED, c.STATUS_HALTED, c.STATUS_EXPIRED),
            c.STATUS_HALTED: (c.STATUS_OPEN, c.STATUS_OPEN, c.STATUS_OPEN, c.STATUS_EXPIRED),
            c.STATUS_EXPIRED: (c.STATUS_UNLISTED,),
        }[status]
        target = self.rng.choice(nxt) if self.rng.random() < 0.9 else self.rng.randint(-1, 4)
        return cmd.set_param(i, c.PARAM_STATUS, target)

    def garbage(self) -> Row:
        """Return a row of extreme or random int64 values, usually with a valid op code."""
        row = np.array(
            [
                self.rng.choice(EDGE_VALUES)
                if self.rng.random() < 0.5
                else self.rng.randint(-3, 12)
                for _ in range(c.CMD_WIDTH)
            ],
            dtype=np.int64,
        )
        if self.rng.random() < 0.8:
            row[c.C_OP] = self.rng.randrange(6)
        if self.rng.random() < 0.5:
            row[c.C_INSTR] = self.instr()
            row[c.C_ACCOUNT] = self.account()
        return row


def random_commands(
    seed: int,
    n: int,
    n_instruments: int,
    max_price: int,
    n_accounts: int,
    *,
    smp: int = c.SMP_CANCEL_RESTING,
) -> npt.NDArray[np.int64]:
    """Return ``n`` command rows (n, CMD_WIDTH) drawn from the weighted mix for ``seed``.

    The first rows list every instrument slot. ``max_price`` should be at least 100.
    ``smp`` is the self-match mode of the shadow engine that aims cancels and replaces
    at live orders; pass the mode of the engines under test.
    """
    gen = _Generator(seed, n_instruments, max_price, n_accounts, smp)
    rows = [cmd.list_instrument(i, ts=gen.ts) for i in range(min(n, n_instruments))]
    for row in rows:
        gen.shadow.feed(row)
    while len(rows) < n:
        rows.append(gen.next_row())
    return cmd.stack(rows)
