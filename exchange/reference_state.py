"""Canonical state array and invariant checks of the reference engine (MR-13)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange import reference_rules as rules
from exchange.reference_book import Book, Level, Order

_END = -1  # section terminator in the state array


def state_array(header: tuple[int, int, int, int], books: Sequence[Book]) -> npt.NDArray[np.int64]:
    """Return the MR-13 state: ``header`` (seq, next oid, next trade id, slots), then slots."""
    out: list[int] = list(header)
    for slot, bk in enumerate(books):
        if bk.status == c.STATUS_UNLISTED:
            continue
        out += [slot, bk.status, bk.tick, bk.max_qty, bk.protection, bk.band, bk.ref, bk.last]
        for side in (c.SIDE_BUY, c.SIDE_SELL):
            levels = bk.side(side)
            for price in bk.prices(side):
                for o in levels[price].orders:
                    out += [o.price, o.oid, o.account, o.qty, o.tif, o.expiry, o.flags]
            out.append(_END)
        for s in bk.stops.values():
            out += [s.oid, s.account, s.side, s.type, s.price, s.trigger, s.qty, s.tif, s.expiry]
            out.append(s.flags)
        out.append(_END)
    return np.array(out, dtype=np.int64)


def _check_level(slot: int, side: int, price: int, level: Level, live: dict[int, Order]) -> None:
    """Assert one level's total, count and orders agree with their fields."""
    where = f"instrument {slot} side {side} price {price}"
    assert level.orders, f"{where}: empty level kept in the book"
    total = 0
    for o in level.orders:
        assert live.get(o.oid) is o, f"{where}: order {o.oid} not found by its id"
        assert o.resting, f"{where}: order {o.oid} in a level is not flagged resting"
        assert (o.instr, o.side, o.price) == (slot, side, price), (
            f"{where}: order {o.oid} says instrument {o.instr} side {o.side} price {o.price}"
        )
        assert o.qty > 0, f"{where}: order {o.oid} has open quantity {o.qty}"
        assert o.type == c.TYPE_LIMIT, f"{where}: resting order {o.oid} has type {o.type}"
        assert o.tif in (c.TIF_GTC, c.TIF_GTD), f"{where}: order {o.oid} rests with tif {o.tif}"
        total += o.qty
    assert level.total == total, f"{where}: level total {level.total} != sum of orders {total}"


def _check_stop(slot: int, bk: Book, s: Order, live: dict[int, Order]) -> None:
    """Assert an untriggered stop is indexed, well-formed and not already satisfied."""
    where = f"instrument {slot} stop {s.oid}"
    assert live.get(s.oid) is s, f"{where}: not found by its id"
    assert not s.resting and s.instr == slot, f"{where}: resting or in instrument {s.instr}"
    assert s.type in (c.TYPE_STOP_LIMIT, c.TYPE_STOP_MARKET), f"{where}: type {s.type}"
    assert s.qty > 0, f"{where}: open quantity {s.qty}"
    assert not rules.stop_holds(s.side, s.trigger, bk.last), (
        f"{where}: trigger {s.trigger} already satisfied by last trade {bk.last}"
    )


def check_invariants(
    books: Sequence[Book], live: dict[int, Order], limits: tuple[int, int, int]
) -> None:
    """Assert MR-13 invariants; ``limits`` is (next order id, max price, account count)."""
    next_oid, max_price, n_accounts = limits
    seen = 0
    for slot, bk in enumerate(books):
        if bk.status in (c.STATUS_UNLISTED, c.STATUS_EXPIRED):
            assert not (bk.bids or bk.asks or bk.stops), f"instrument {slot}: orders while closed"
        bid, ask = bk.best(c.SIDE_BUY), bk.best(c.SIDE_SELL)
        assert not (bid and ask and bid >= ask), f"instrument {slot}: crossed at rest {bid}/{ask}"
        for side in (c.SIDE_BUY, c.SIDE_SELL):
            levels = bk.side(side)
            for price in levels:
                assert rules.in_grid(price, max_price), f"instrument {slot}: level at {price}"
                _check_level(slot, side, price, levels[price], live)
                seen += len(levels[price].orders)
        previous = 0
        for oid, s in bk.stops.items():
            assert oid == s.oid and oid > previous, f"instrument {slot}: stops out of order"
            previous = oid
            _check_stop(slot, bk, s, live)
        seen += len(bk.stops)
    assert seen == len(live), f"{len(live)} live orders indexed but {seen} found in books"
    for oid, o in live.items():
        assert 1 <= oid < next_oid, f"order id {oid} outside 1 … {next_oid - 1}"
        assert 0 <= o.account < n_accounts, f"order {oid}: account {o.account} out of range"
