"""Behaviour of both matching engines, rule by rule (``docs/matching-rules.md``, MR-n).

Every test runs against the reference engine and the numba engine (``make_engine`` /
``engine`` fixtures in ``conftest.py``). The ``engine`` fixture has slots 0 and 1
listed (commands 1 and 2), so the first test command has sequence number 3 and the
first order id is 1. Prices in price units, quantities in contracts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pytest

from exchange import codes as c
from exchange import commands as cmd
from exchange.codes import Ev
from tests.exchange.book_dsl import (
    EngineLike,
    Event,
    assert_book,
    book_from_levels,
    decode,
    kinds,
    list_instruments,
    only,
    send,
)
from tests.exchange.conftest import EngineFactory

BUY, SELL = c.SIDE_BUY, c.SIDE_SELL
MAKER, TAKER, OTHER = 1, 2, 3  # accounts
_ZERO = dict.fromkeys(Event._fields, 0)


def ev(kind: int, seq: int, **fields: int) -> Event:
    """Return the expected event row: every field not named is 0 (MR-12)."""
    return Event(**{**_ZERO, "kind": kind, "seq": seq, **fields})


def book(instr: int, side: int, price: int, total: int, count: int, seq: int) -> Event:
    """Return the expected EV_BOOK row of one level."""
    return ev(Ev.BOOK, seq, instr=instr, side=side, price=price, qty=total, remaining=count)


def rejected_code(engine: EngineLike, row: np.ndarray) -> int:
    """Process ``row``, assert it produced exactly one EV_REJECTED and return its reason."""
    out = send(engine, row)
    assert kinds(out) == ["REJECTED"], out
    return out[0].code


def stop(
    instr: int, account: int, side: int, qty: int, trigger: int, price: int = 0, **kw: int
) -> np.ndarray:
    """Return a stop order row: stop-limit at ``price``, or stop-market when ``price`` is 0."""
    typ = c.TYPE_STOP_LIMIT if price else c.TYPE_STOP_MARKET
    return cmd.new_order(instr, account, side, qty, price, type=typ, trigger=trigger, **kw)


def trade_at(engine: EngineLike, instr: int, price: int) -> None:
    """Make the last trade price of ``instr`` equal ``price`` with a 1-lot cross."""
    send(engine, cmd.limit(instr, 14, SELL, 1, price), cmd.limit(instr, 15, BUY, 1, price))


# ------------------------------------------------------------------ MR-1 identifiers
def test_every_command_gets_the_next_sequence_number_rejected_ones_included(
    make_engine: EngineFactory,
) -> None:
    """MR-1: sequence numbers 1, 2, 3 … go to every command, and every event carries one."""
    e = make_engine()
    out = [
        send(e, row)
        for row in (
            cmd.list_instrument(0),
            cmd.limit(9, 0, BUY, 1, 100),
            cmd.limit(0, 0, BUY, 1, 100),
        )
    ]
    assert [[x.seq for x in evs] for evs in out] == [[1], [2], [3, 3]]
    assert kinds(out[1]) == ["REJECTED"]
    assert e.seq == 3


def test_order_ids_count_up_across_instruments_and_a_rejected_order_gets_none(
    engine: EngineLike,
) -> None:
    """MR-1: ids 1, 2, 3 … on acceptance across instruments; a rejected new order has E_OID 0."""
    a = send(engine, cmd.limit(0, MAKER, BUY, 1, 100))
    b = send(engine, cmd.limit(1, MAKER, BUY, 1, 100))
    r = send(engine, cmd.limit(0, MAKER, BUY, 0, 100))
    d = send(engine, cmd.limit(0, MAKER, SELL, 1, 200))
    assert [a[0].oid, b[0].oid, r[0].oid, d[0].oid] == [1, 2, 0, 3]


def test_trade_ids_count_up_per_fill_across_instruments(engine: EngineLike) -> None:
    """MR-1: each fill gets the next trade id (E_CODE of EV_TRADE), engine-wide."""
    book_from_levels(engine, 0, asks=[(101, [1, 1])], account=MAKER)
    book_from_levels(engine, 1, asks=[(201, 1)], account=MAKER)
    out = send(engine, cmd.limit(0, TAKER, BUY, 2, 101), cmd.limit(1, TAKER, BUY, 1, 201))
    assert [t.code for t in only(out, Ev.TRADE)] == [1, 2, 3]


def test_events_carry_their_commands_time(engine: EngineLike) -> None:
    """MR-1: every event has E_TS equal to its command's C_TS (ns)."""
    book_from_levels(engine, 0, asks=[(101, 1)], account=MAKER)
    out = send(engine, cmd.limit(0, TAKER, BUY, 3, 101, ts=123_456))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK", "BOOK"]
    assert {x.ts for x in out} == {123_456}


# -------------------------------------------------------------------- MR-2 priority
def test_orders_at_one_price_fill_in_time_priority(engine: EngineLike) -> None:
    """MR-2: the order that joined the level first is filled first."""
    first, second = book_from_levels(engine, 0, asks=[(101, [2, 3])], account=MAKER)
    out = send(engine, cmd.limit(0, TAKER, BUY, 4, 101))
    trades = only(out, Ev.TRADE)
    assert [(t.other_oid, t.qty, t.other_remaining) for t in trades] == [
        (first, 2, 0),
        (second, 2, 1),
    ]
    assert_book(engine, 0, "bid | price | ask\n    |  101  | 1")


def test_a_better_price_fills_before_an_earlier_worse_price(engine: EngineLike) -> None:
    """MR-2: price comes before time."""
    worse, better = book_from_levels(engine, 0, asks=[(102, 1), (101, 1)], account=MAKER)
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 102))
    assert [(t.other_oid, t.price) for t in only(out, Ev.TRADE)] == [(better, 101)]
    assert engine.orders_at(0, SELL, 102) == [(worse, MAKER, 1)]


def test_a_buy_at_the_ask_trades_at_the_resting_price(engine: EngineLike) -> None:
    """MR-2: trades happen at the maker's price, even when the buyer bids more."""
    book_from_levels(engine, 0, asks=[(103, 5)], account=MAKER)
    out = send(engine, cmd.limit(0, TAKER, BUY, 5, 105))
    assert [(t.price, t.qty) for t in only(out, Ev.TRADE)] == [(103, 5)]


def test_a_sell_at_the_bid_trades_at_the_resting_price(engine: EngineLike) -> None:
    """MR-2: trades happen at the maker's price for a seller too."""
    book_from_levels(engine, 0, bids=[(103, 5)], account=MAKER)
    out = send(engine, cmd.limit(0, TAKER, SELL, 2, 99))
    assert [(t.price, t.qty, t.side) for t in only(out, Ev.TRADE)] == [(103, 2, SELL)]
    assert_book(engine, 0, "bid | price | ask\n 3  | 103 |")


def test_a_resting_order_joins_the_back_of_its_level(engine: EngineLike) -> None:
    """MR-2: a new order at an existing price queues behind the orders already there."""
    book_from_levels(engine, 0, bids=[(100, [4, 1])], account=MAKER)
    send(engine, cmd.limit(0, TAKER, BUY, 7, 100))
    assert [a for _, a, _ in engine.orders_at(0, BUY, 100)] == [MAKER, MAKER, TAKER]
    assert_book(engine, 0, "bid   | price | ask\n4 1 7 | 100 |")


# --------------------------------------------------------------- MR-3 validation
_UNLISTED = 2  # slot 2 of the 3-slot engine used by the reject table stays unlisted


def _setup_halted() -> list[np.ndarray]:
    return [cmd.set_param(0, c.PARAM_STATUS, c.STATUS_HALTED)]


def _setup_expired() -> list[np.ndarray]:
    return [cmd.set_param(0, c.PARAM_STATUS, c.STATUS_EXPIRED)]


def _setup_traded_at_100() -> list[np.ndarray]:
    return [cmd.limit(0, 14, SELL, 1, 100), cmd.limit(0, 15, BUY, 1, 100)]


def _setup_ask_105() -> list[np.ndarray]:
    return [cmd.limit(0, MAKER, SELL, 3, 105)]


def _setup(*rows: np.ndarray) -> list[np.ndarray]:
    return list(rows)


REJECT_CASES = {
    "slot beyond the last": ([], cmd.limit(3, 0, BUY, 1, 100), c.REJ_UNKNOWN_INSTRUMENT),
    "negative slot": ([], cmd.limit(-1, 0, BUY, 1, 100), c.REJ_UNKNOWN_INSTRUMENT),
    "unlisted slot": ([], cmd.limit(_UNLISTED, 0, BUY, 1, 100), c.REJ_UNKNOWN_INSTRUMENT),
    "expired instrument": (
        _setup_expired(),
        cmd.limit(0, 0, BUY, 1, 100),
        c.REJ_INSTRUMENT_EXPIRED,
    ),
    "halted instrument": (_setup_halted(), cmd.limit(0, 0, BUY, 1, 100), c.REJ_INSTRUMENT_HALTED),
    "negative account": ([], cmd.limit(0, -1, BUY, 1, 100), c.REJ_INVALID_ACCOUNT),
    "account beyond the last": ([], cmd.limit(0, 16, BUY, 1, 100), c.REJ_INVALID_ACCOUNT),
    "unknown side": ([], cmd.limit(0, 0, 2, 1, 100), c.REJ_INVALID_ORDER),
    "unknown type": ([], cmd.new_order(0, 0, BUY, 1, 100, type=4), c.REJ_INVALID_ORDER),
    "unknown time in force": ([], cmd.limit(0, 0, BUY, 1, 100, tif=4), c.REJ_INVALID_ORDER),
    "negative time in force": ([], cmd.limit(0, 0, BUY, 1, 100, tif=-1), c.REJ_INVALID_ORDER),
    "unknown flag bit": ([], cmd.limit(0, 0, BUY, 1, 100, flags=8), c.REJ_INVALID_ORDER),
    "negative flags": ([], cmd.limit(0, 0, BUY, 1, 100, flags=-1), c.REJ_INVALID_ORDER),
    "post-only market": (
        _setup_ask_105(),
        cmd.market(0, 0, BUY, 1, flags=1, tif=c.TIF_GTC),
        c.REJ_INVALID_ORDER,
    ),
    "post-only stop limit": ([], stop(0, 0, BUY, 1, 110, 110, flags=1), c.REJ_INVALID_ORDER),
    "post-only IOC": (
        [],
        cmd.limit(0, 0, BUY, 1, 100, tif=c.TIF_IOC, flags=1),
        c.REJ_INVALID_ORDER,
    ),
    "post-only FOK": (
        [],
        cmd.limit(0, 0, BUY, 1, 100, tif=c.TIF_FOK, flags=1),
        c.REJ_INVALID_ORDER,
    ),
    "zero quantity": ([], cmd.limit(0, 0, BUY, 0, 100), c.REJ_INVALID_QUANTITY),
    "negative quantity": ([], cmd.limit(0, 0, BUY, -5, 100), c.REJ_INVALID_QUANTITY),
    "quantity above the maximum": (
        [cmd.set_param(0, c.PARAM_MAX_QTY, 10)],
        cmd.limit(0, 0, BUY, 11, 100),
        c.REJ_INVALID_QUANTITY,
    ),
    "zero price": ([], cmd.limit(0, 0, BUY, 1, 0), c.REJ_INVALID_PRICE),
    "price above the grid": ([], cmd.limit(0, 0, SELL, 1, 1001), c.REJ_INVALID_PRICE),
    "stop limit price off the grid": ([], stop(0, 0, BUY, 1, 110, -3), c.REJ_INVALID_PRICE),
    "price off the tick": (
        [cmd.set_param(0, c.PARAM_TICK, 5)],
        cmd.limit(0, 0, BUY, 1, 101),
        c.REJ_WRONG_TICK,
    ),
    "price outside the band": (
        [cmd.set_param(0, c.PARAM_BAND, 10), cmd.set_param(0, c.PARAM_REF_PRICE, 500)],
        cmd.limit(0, 0, SELL, 1, 511),
        c.REJ_OUTSIDE_BAND,
    ),
    "GTD expiring at the command time": (
        [],
        cmd.limit(0, 0, BUY, 1, 100, tif=c.TIF_GTD, expire=50, ts=50),
        c.REJ_INVALID_EXPIRY,
    ),
    "GTD expired before the command time": (
        [],
        cmd.market(0, 0, BUY, 1, tif=c.TIF_GTD, expire=10, ts=50),
        c.REJ_INVALID_EXPIRY,
    ),
    "stop trigger zero": ([], stop(0, 0, BUY, 1, 0), c.REJ_INVALID_TRIGGER),
    "stop trigger above the grid": ([], stop(0, 0, SELL, 1, 1001, 100), c.REJ_INVALID_TRIGGER),
    "stop trigger off the tick": (
        [cmd.set_param(0, c.PARAM_TICK, 5)],
        stop(0, 0, BUY, 1, 103),
        c.REJ_INVALID_TRIGGER,
    ),
    "buy stop at the last trade": (
        _setup_traded_at_100(),
        stop(0, 0, BUY, 1, 100),
        c.REJ_INVALID_TRIGGER,
    ),
    "buy stop below the last trade": (
        _setup_traded_at_100(),
        stop(0, 0, BUY, 1, 99, 99),
        c.REJ_INVALID_TRIGGER,
    ),
    "sell stop at the last trade": (
        _setup_traded_at_100(),
        stop(0, 0, SELL, 1, 100),
        c.REJ_INVALID_TRIGGER,
    ),
    "reduce-only buy when flat": ([], cmd.limit(0, 0, BUY, 1, 100, flags=4), c.REJ_REDUCE_ONLY),
    "reduce-only buy when long": (
        [],
        cmd.limit(0, 0, BUY, 1, 100, flags=4, position=3),
        c.REJ_REDUCE_ONLY,
    ),
    "reduce-only sell when short": (
        [],
        cmd.limit(0, 0, SELL, 1, 100, flags=4, position=-3),
        c.REJ_REDUCE_ONLY,
    ),
    "market buy into no asks": (
        [cmd.limit(0, MAKER, BUY, 1, 100)],
        cmd.market(0, 0, BUY, 1),
        c.REJ_NO_LIQUIDITY,
    ),
    "market sell into no bids": (_setup_ask_105(), cmd.market(0, 0, SELL, 1), c.REJ_NO_LIQUIDITY),
    "post-only with reject flag crossing": (
        _setup_ask_105(),
        cmd.limit(0, 0, BUY, 1, 105, flags=3),
        c.REJ_POST_ONLY_WOULD_CROSS,
    ),
    "post-only repriced off the grid": (
        _setup(cmd.limit(0, MAKER, SELL, 1, 1)),
        cmd.limit(0, 0, BUY, 1, 5, flags=1),
        c.REJ_POST_ONLY_WOULD_CROSS,
    ),
    "post-only repriced outside the band": (
        _setup(
            cmd.limit(0, MAKER, SELL, 1, 500),
            cmd.set_param(0, c.PARAM_REF_PRICE, 505),
            cmd.set_param(0, c.PARAM_BAND, 5),
        ),
        cmd.limit(0, 0, BUY, 1, 505, flags=1),
        c.REJ_POST_ONLY_WOULD_CROSS,
    ),
    "FOK limit short of quantity": (
        _setup_ask_105(),
        cmd.limit(0, 0, BUY, 4, 110, tif=c.TIF_FOK),
        c.REJ_FOK_CANNOT_FILL,
    ),
    "FOK limit short within its price": (
        _setup(cmd.limit(0, MAKER, SELL, 3, 105), cmd.limit(0, MAKER, SELL, 3, 106)),
        cmd.limit(0, 0, BUY, 4, 105, tif=c.TIF_FOK),
        c.REJ_FOK_CANNOT_FILL,
    ),
    "FOK market short of quantity": (
        _setup_ask_105(),
        cmd.market(0, 0, BUY, 4, tif=c.TIF_FOK),
        c.REJ_FOK_CANNOT_FILL,
    ),
    "operation code too large": ([], np.array([6] + [0] * 13, dtype=np.int64), c.REJ_INVALID_ORDER),
    "negative operation code": ([], np.array([-1] + [0] * 13, dtype=np.int64), c.REJ_INVALID_ORDER),
}


@pytest.mark.parametrize(("setup", "row", "code"), REJECT_CASES.values(), ids=REJECT_CASES.keys())
def test_an_invalid_new_order_is_rejected_with_its_reason(
    make_engine: EngineFactory, setup: list[np.ndarray], row: np.ndarray, code: int
) -> None:
    """MR-3 steps 1-12 (and a malformed op code): each failing check has its reject code."""
    e = make_engine(n_instruments=3)
    list_instruments(e, 0, 1)
    send(e, *setup)
    assert c.Reject(rejected_code(e, row)) == c.Reject(code)


ORDER_CASES = {
    "instrument before status": (
        cmd.limit(_UNLISTED, -1, 9, 0, 0),
        c.REJ_UNKNOWN_INSTRUMENT,
        False,
    ),
    "status before account": (cmd.limit(0, -1, 9, 0, 0), c.REJ_INSTRUMENT_HALTED, True),
    "account before order shape": (cmd.limit(0, 99, 9, 0, 0), c.REJ_INVALID_ACCOUNT, False),
    "order shape before quantity": (cmd.limit(0, 0, BUY, 0, 0, tif=7), c.REJ_INVALID_ORDER, False),
    "quantity before price": (cmd.limit(0, 0, BUY, 0, 0), c.REJ_INVALID_QUANTITY, False),
    "price before tick and expiry": (
        cmd.limit(0, 0, BUY, 1, 1001, tif=c.TIF_GTD, expire=0, ts=5),
        c.REJ_INVALID_PRICE,
        False,
    ),
    "expiry before trigger": (
        stop(0, 0, BUY, 1, 0, tif=c.TIF_GTD, expire=1, ts=5),
        c.REJ_INVALID_EXPIRY,
        False,
    ),
    "trigger before reduce-only": (stop(0, 0, BUY, 1, 0, flags=4), c.REJ_INVALID_TRIGGER, False),
    "reduce-only before liquidity": (cmd.market(0, 0, BUY, 1, flags=4), c.REJ_REDUCE_ONLY, False),
    "liquidity before fill-or-kill": (
        cmd.market(0, 0, BUY, 1, tif=c.TIF_FOK),
        c.REJ_NO_LIQUIDITY,
        False,
    ),
}


@pytest.mark.parametrize(("row", "code", "halted"), ORDER_CASES.values(), ids=ORDER_CASES.keys())
def test_the_first_failing_check_decides_the_reject_code(
    make_engine: EngineFactory, row: np.ndarray, code: int, halted: bool
) -> None:
    """MR-3: checks run in the documented order; later failures do not matter."""
    e = make_engine(n_instruments=3)
    list_instruments(e, 0, 1)
    if halted:
        send(e, cmd.set_param(0, c.PARAM_STATUS, c.STATUS_HALTED))
    assert c.Reject(rejected_code(e, row)) == c.Reject(code)


def test_a_rejected_order_echoes_its_command_and_changes_nothing_but_the_sequence_number(
    engine: EngineLike,
) -> None:
    """MR-3, MR-12: EV_REJECTED carries instrument, account, side, price, quantity and reason."""
    book_from_levels(engine, 0, bids=[(99, 2)], asks=[(101, 3)], account=MAKER)
    before = engine.state_array()
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 7, 1234, ts=77))
    assert out == [
        ev(
            Ev.REJECTED,
            s,
            ts=77,
            account=TAKER,
            side=BUY,
            price=1234,
            qty=7,
            code=c.REJ_INVALID_PRICE,
        )
    ]
    after = engine.state_array()
    assert after[0] == before[0] + 1
    assert np.array_equal(after[1:], before[1:])


def test_an_accepted_limit_order_reports_its_id_price_and_quantity_then_its_level(
    engine: EngineLike,
) -> None:
    """MR-3, MR-5: EV_ACCEPTED (E_PRICE limit, E_QTY = E_REMAINING = quantity), then EV_BOOK."""
    s = engine.seq + 1
    out = send(engine, cmd.limit(1, TAKER, SELL, 4, 250, ts=9))
    assert out == [
        ev(
            Ev.ACCEPTED,
            s,
            ts=9,
            instr=1,
            oid=1,
            account=TAKER,
            side=SELL,
            price=250,
            qty=4,
            remaining=4,
        ),
        ev(Ev.BOOK, s, ts=9, instr=1, side=SELL, price=250, qty=4, remaining=1),
    ]


def test_reject_post_only_without_post_only_is_ignored(engine: EngineLike) -> None:
    """MR-3 step 4: FLAG_REJECT_POST_ONLY alone neither rejects nor prevents trading."""
    book_from_levels(engine, 0, asks=[(101, 2)], account=MAKER)
    out = send(engine, cmd.limit(0, TAKER, BUY, 2, 101, flags=c.FLAG_REJECT_POST_ONLY))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK"]


@pytest.mark.parametrize(
    ("side", "qty", "position", "cut"),
    [(SELL, 10, 4, 4), (BUY, 10, -3, 3), (SELL, 2, 5, 2), (BUY, 5, -5, 5)],
    ids=[
        "sell cut to a long",
        "buy cut to a short",
        "sell below the position",
        "buy equal to the position",
    ],
)
def test_a_reduce_only_order_is_cut_to_the_position(
    engine: EngineLike, side: int, qty: int, position: int, cut: int
) -> None:
    """MR-3 step 9: the quantity becomes min(qty, |P|) when the order reduces the position."""
    out = send(
        engine, cmd.limit(0, TAKER, side, qty, 500, flags=c.FLAG_REDUCE_ONLY, position=position)
    )
    assert (out[0].kind, out[0].qty, out[0].remaining) == (Ev.ACCEPTED, cut, cut)
    assert engine.orders_at(0, side, 500) == [(out[0].oid, TAKER, cut)]


def test_a_reduce_only_cut_applies_before_fill_or_kill(engine: EngineLike) -> None:
    """MR-3 steps 9 and 12: FOK availability is measured against the cut quantity."""
    book_from_levels(engine, 0, bids=[(100, 3)], account=MAKER)
    out = send(
        engine,
        cmd.limit(0, TAKER, SELL, 10, 100, tif=c.TIF_FOK, flags=c.FLAG_REDUCE_ONLY, position=3),
    )
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK"]
    assert out[1].qty == 3


def test_a_post_only_buy_that_would_cross_moves_one_tick_inside_the_spread(
    engine: EngineLike,
) -> None:
    """MR-3 step 11: the price becomes best ask - tick and E_CODE of EV_ACCEPTED is 1."""
    book_from_levels(engine, 0, asks=[(105, 2)], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 3, 107, flags=c.FLAG_POST_ONLY))
    assert out == [
        ev(Ev.ACCEPTED, s, oid=2, account=TAKER, side=BUY, price=104, qty=3, remaining=3, code=1),
        book(0, BUY, 104, 3, 1, s),
    ]


def test_a_post_only_sell_that_would_cross_moves_one_tick_above_the_bid(engine: EngineLike) -> None:
    """MR-3 step 11: with tick 5 a crossing post-only sell rests at best bid + 5."""
    book_from_levels(engine, 0, bids=[(100, 2)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_TICK, 5))
    out = send(engine, cmd.limit(0, TAKER, SELL, 1, 90, flags=c.FLAG_POST_ONLY))
    assert (out[0].price, out[0].code) == (105, 1)
    assert_book(engine, 0, "bid | price | ask\n    | 105 | 1\n 2  | 100 |")


def test_a_post_only_order_that_does_not_cross_rests_unchanged(engine: EngineLike) -> None:
    """MR-3 step 11: no move, E_CODE 0."""
    book_from_levels(engine, 0, asks=[(105, 2)], account=MAKER)
    out = send(
        engine, cmd.limit(0, TAKER, BUY, 3, 104, flags=c.FLAG_POST_ONLY | c.FLAG_REJECT_POST_ONLY)
    )
    assert (out[0].kind, out[0].price, out[0].code) == (Ev.ACCEPTED, 104, 0)


# ------------------------------------------------------------- MR-4 market orders
def test_a_market_buy_without_protection_sweeps_the_book_and_reports_price_zero(
    engine: EngineLike,
) -> None:
    """MR-4: no protection means no limit; E_PRICE of the order's events is 0."""
    book_from_levels(engine, 0, asks=[(101, 2), (150, 3), (900, 1)], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.market(0, TAKER, BUY, 5))
    assert out == [
        ev(Ev.ACCEPTED, s, oid=4, account=TAKER, side=BUY, price=0, qty=5, remaining=5),
        ev(
            Ev.TRADE,
            s,
            oid=4,
            account=TAKER,
            price=101,
            qty=2,
            remaining=3,
            other_oid=1,
            other_account=MAKER,
            code=1,
        ),
        book(0, SELL, 101, 0, 0, s),
        ev(
            Ev.TRADE,
            s,
            oid=4,
            account=TAKER,
            price=150,
            qty=3,
            remaining=0,
            other_oid=2,
            other_account=MAKER,
            code=2,
        ),
        book(0, SELL, 150, 0, 0, s),
    ]


def test_a_market_remainder_without_protection_is_canceled_even_when_gtc(
    engine: EngineLike,
) -> None:
    """MR-4: only a market order with a protection price may rest."""
    book_from_levels(engine, 0, asks=[(101, 2)], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.market(0, TAKER, BUY, 5, tif=c.TIF_GTC))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK", "CANCELED"]
    assert out[-1] == ev(
        Ev.CANCELED, s, oid=2, account=TAKER, side=BUY, price=0, qty=3, code=c.CXL_UNFILLED
    )
    assert engine.levels(0, BUY) == []


def test_a_market_order_stops_at_its_protection_price(engine: EngineLike) -> None:
    """MR-4: the limit is best ask + protection; an IOC remainder is canceled at that price."""
    book_from_levels(engine, 0, asks=[(101, 2), (111, 1), (112, 4)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_PROTECTION, 10))
    s = engine.seq + 1
    out = send(engine, cmd.market(0, TAKER, BUY, 5))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK", "TRADE", "BOOK", "CANCELED"]
    assert out[0].price == 111
    assert [t.price for t in only(out, Ev.TRADE)] == [101, 111]
    assert out[-1] == ev(
        Ev.CANCELED, s, oid=4, account=TAKER, side=BUY, price=111, qty=2, code=c.CXL_UNFILLED
    )
    assert_book(engine, 0, "bid | price | ask\n    | 112 | 4")


def test_a_gtc_market_remainder_rests_as_a_limit_at_the_protection_price(
    engine: EngineLike,
) -> None:
    """MR-4: the remainder rests at the protection price and is a limit order from then on."""
    book_from_levels(engine, 0, asks=[(101, 2), (111, 1), (112, 4)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_PROTECTION, 10))
    s = engine.seq + 1
    out = send(engine, cmd.market(0, TAKER, BUY, 5, tif=c.TIF_GTC))
    assert out[-1] == book(0, BUY, 111, 2, 1, s)
    assert_book(engine, 0, "bid | price | ask\n    | 112 | 4\n 2  | 111 |")
    # a limit in every respect: a replace uses the new price and trades against 112
    out = send(engine, cmd.replace(4, 112, 2, account=TAKER))
    assert kinds(out) == ["REPLACED", "BOOK", "TRADE", "BOOK"]


def test_the_protection_price_is_rounded_to_the_tick_towards_the_touch(engine: EngineLike) -> None:
    """MR-4: buy 100 + 12 = 112 rounds down to 110; sell 100 - 12 = 88 rounds up to 90."""
    book_from_levels(engine, 0, asks=[(100, 1), (110, 1), (115, 1)], account=MAKER)
    book_from_levels(engine, 1, bids=[(100, 1), (90, 1), (85, 1)], account=MAKER)
    for slot in (0, 1):
        send(
            engine,
            cmd.set_param(slot, c.PARAM_TICK, 5),
            cmd.set_param(slot, c.PARAM_PROTECTION, 12),
        )
    buy = send(engine, cmd.market(0, TAKER, BUY, 3, tif=c.TIF_GTC))
    sell = send(engine, cmd.market(1, TAKER, SELL, 3, tif=c.TIF_GTD, expire=10**9))
    assert (buy[0].price, sell[0].price) == (110, 90)
    assert_book(engine, 0, "bid | price | ask\n    | 115 | 1\n 1  | 110 |")
    assert_book(engine, 1, "bid | price | ask\n    |  90 | 1\n 1  |  85 |")


def test_the_protection_price_is_clamped_to_the_band(engine: EngineLike) -> None:
    """MR-4: with band 100 ± 20, a buy protection price of 105 + 50 is clamped to 120."""
    book_from_levels(engine, 0, asks=[(105, 1), (125, 1)], account=MAKER)
    send(
        engine,
        cmd.set_param(0, c.PARAM_REF_PRICE, 100),
        cmd.set_param(0, c.PARAM_BAND, 20),
        cmd.set_param(0, c.PARAM_PROTECTION, 50),
    )
    out = send(engine, cmd.market(0, TAKER, BUY, 2, tif=c.TIF_GTC))
    assert out[0].price == 120
    assert_book(engine, 0, "bid | price | ask\n    | 125 | 1\n 1  | 120 |")


def test_a_protection_price_below_the_band_is_raised_to_the_band_edge(engine: EngineLike) -> None:
    """MR-4: the clamp to the band works both ways: 80 + 2 = 82 becomes the band floor 90."""
    book_from_levels(engine, 0, asks=[(80, 1), (85, 1), (95, 1)], account=MAKER)
    send(
        engine,
        cmd.set_param(0, c.PARAM_REF_PRICE, 100),
        cmd.set_param(0, c.PARAM_BAND, 10),
        cmd.set_param(0, c.PARAM_PROTECTION, 2),
    )
    out = send(engine, cmd.market(0, TAKER, BUY, 3, tif=c.TIF_GTC))
    assert out[0].price == 90
    assert [t.price for t in only(out, Ev.TRADE)] == [80, 85]
    assert_book(engine, 0, "bid | price | ask\n    |  95   | 1\n 1  |  90   |")


def test_a_protection_price_rounded_off_the_grid_cannot_trade_or_rest(engine: EngineLike) -> None:
    """MR-4: with tick 100, 50 + 10 rounds down to 0: the order is canceled unfilled."""
    book_from_levels(engine, 0, asks=[(50, 1)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_TICK, 100), cmd.set_param(0, c.PARAM_PROTECTION, 10))
    s = engine.seq + 1
    out = send(engine, cmd.market(0, TAKER, BUY, 1, tif=c.TIF_GTC))
    assert out == [
        ev(Ev.ACCEPTED, s, oid=2, account=TAKER, side=BUY, price=0, qty=1, remaining=1),
        ev(Ev.CANCELED, s, oid=2, account=TAKER, side=BUY, price=0, qty=1, code=c.CXL_UNFILLED),
    ]
    assert engine.levels(0, SELL) == [(50, 1, 1)]


def test_the_protection_price_is_clamped_to_the_grid(engine: EngineLike) -> None:
    """MR-4: 995 + 50 becomes 1000 (max_price) and 3 - 10 becomes 1."""
    book_from_levels(engine, 0, asks=[(995, 1)], account=MAKER)
    book_from_levels(engine, 1, bids=[(3, 1)], account=MAKER)
    for slot in (0, 1):
        send(engine, cmd.set_param(slot, c.PARAM_PROTECTION, 50))
    buy = send(engine, cmd.market(0, TAKER, BUY, 2, tif=c.TIF_GTC))
    sell = send(engine, cmd.market(1, TAKER, SELL, 2, tif=c.TIF_GTC))
    assert (buy[0].price, sell[0].price) == (1000, 1)
    assert engine.levels(0, BUY) == [(1000, 1, 1)]
    assert engine.levels(1, SELL) == [(1, 1, 1)]


def test_without_protection_the_band_edge_limits_a_market_order(engine: EngineLike) -> None:
    """MR-4: with band 100 ± 10 and no protection a buy trades up to 110, then cancels."""
    book_from_levels(engine, 0, asks=[(105, 1), (115, 1)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_REF_PRICE, 100), cmd.set_param(0, c.PARAM_BAND, 10))
    out = send(engine, cmd.market(0, TAKER, BUY, 2, tif=c.TIF_GTC))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK", "CANCELED"]
    assert (out[0].price, out[1].price, out[3].price, out[3].qty) == (0, 105, 0, 1)


def test_a_fok_market_order_counts_only_liquidity_within_its_protection(engine: EngineLike) -> None:
    """MR-4, MR-6: a FOK market is rejected when its protection price caps availability."""
    book_from_levels(engine, 0, asks=[(101, 2), (120, 5)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_PROTECTION, 10))
    assert (
        rejected_code(engine, cmd.market(0, TAKER, BUY, 3, tif=c.TIF_FOK)) == c.REJ_FOK_CANNOT_FILL
    )
    out = send(engine, cmd.market(0, TAKER, BUY, 2, tif=c.TIF_FOK))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK"]


# ------------------------------------------------------------------- MR-5 matching
def test_a_partial_fill_leaves_the_maker_at_the_front_with_the_rest(engine: EngineLike) -> None:
    """MR-5: f = min(q, maker open); the maker keeps its place with what is left."""
    first, _ = book_from_levels(engine, 0, asks=[(101, [5, 2])], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 3, 101))
    assert out[1:] == [
        ev(Ev.TRADE, s, oid=3, account=TAKER, side=BUY, price=101, qty=3, remaining=0,
           other_oid=first, other_account=MAKER, other_remaining=2, code=1),
        book(0, SELL, 101, 4, 2, s),
    ]  # fmt: skip
    assert_book(engine, 0, "bid | price | ask\n    | 101 | 2 2")


def test_an_aggressor_sweeps_levels_with_one_book_event_per_level(engine: EngineLike) -> None:
    """MR-5: trades level by level; one EV_BOOK when the aggressor is done with each level."""
    book_from_levels(engine, 0, asks=[(101, 2), (102, [1, 4]), (103, 5)], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 5, 102))

    def trade(price: int, qty: int, rem: int, maker: int, maker_rem: int, tid: int) -> Event:
        return ev(Ev.TRADE, s, oid=5, account=TAKER, side=BUY, price=price, qty=qty, remaining=rem,
                  other_oid=maker, other_account=MAKER, other_remaining=maker_rem, code=tid)  # fmt: skip

    assert out == [
        ev(Ev.ACCEPTED, s, oid=5, account=TAKER, side=BUY, price=102, qty=5, remaining=5),
        trade(101, 2, 3, 1, 0, 1),
        book(0, SELL, 101, 0, 0, s),
        trade(102, 1, 2, 2, 0, 2),
        trade(102, 2, 0, 3, 2, 3),
        book(0, SELL, 102, 2, 1, s),
    ]
    assert_book(engine, 0, "bid | price | ask\n    | 103 | 5\n    | 102 | 2")


def test_a_remainder_rests_at_its_limit_after_matching(engine: EngineLike) -> None:
    """MR-5: a GTC remainder rests at L with one EV_BOOK after the sweep."""
    book_from_levels(engine, 0, asks=[(101, 2), (102, 3), (103, 5)], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 7, 102))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK", "TRADE", "BOOK", "BOOK"]
    assert out[-1] == book(0, BUY, 102, 2, 1, s)
    assert_book(engine, 0, "bid | price | ask\n    | 103 | 5\n 2  | 102 |")


def test_an_ioc_remainder_is_canceled_unfilled(engine: EngineLike) -> None:
    """MR-5: an IOC remainder gets EV_CANCELED with CXL_UNFILLED and the canceled quantity."""
    book_from_levels(engine, 0, asks=[(101, 2)], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 7, 102, tif=c.TIF_IOC))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK", "CANCELED"]
    assert out[-1] == ev(
        Ev.CANCELED, s, oid=2, account=TAKER, side=BUY, price=102, qty=5, code=c.CXL_UNFILLED
    )
    assert engine.levels(0, BUY) == []


def test_an_ioc_that_does_not_cross_is_canceled_without_trading(engine: EngineLike) -> None:
    """MR-5: nothing crosses, so the whole IOC quantity is canceled."""
    book_from_levels(engine, 0, asks=[(101, 2)], account=MAKER)
    out = send(engine, cmd.limit(0, TAKER, BUY, 7, 100, tif=c.TIF_IOC))
    assert kinds(out) == ["ACCEPTED", "CANCELED"]
    assert (out[1].qty, out[1].code) == (7, c.CXL_UNFILLED)


def test_a_gtd_remainder_rests_like_gtc(engine: EngineLike) -> None:
    """MR-5: GTD rests too."""
    out = send(engine, cmd.limit(0, TAKER, SELL, 2, 300, tif=c.TIF_GTD, expire=50, ts=10))
    assert kinds(out) == ["ACCEPTED", "BOOK"]
    assert engine.levels(0, SELL) == [(300, 2, 1)]


# -------------------------------------------------------------- MR-6 fill or kill
def test_a_fok_that_can_fill_sweeps_like_a_limit_order(engine: EngineLike) -> None:
    """MR-6: available quantity within the limit suffices, so it trades completely."""
    book_from_levels(engine, 0, asks=[(101, 2), (102, 2), (103, 9)], account=MAKER)
    out = send(engine, cmd.limit(0, TAKER, BUY, 4, 102, tif=c.TIF_FOK))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK", "TRADE", "BOOK"]
    assert_book(engine, 0, "bid | price | ask\n    | 103 | 9")


def test_fok_availability_skips_own_orders_under_cancel_resting(make_engine: EngineFactory) -> None:
    """MR-6, MR-7: own orders do not count; during matching they are canceled."""
    e = make_engine(smp=c.SMP_CANCEL_RESTING)
    list_instruments(e, 0)
    book_from_levels(e, 0, asks=[(101, 2)], account=TAKER)
    book_from_levels(e, 0, asks=[(101, 3)], account=MAKER)
    assert (
        rejected_code(e, cmd.limit(0, TAKER, BUY, 4, 101, tif=c.TIF_FOK)) == c.REJ_FOK_CANNOT_FILL
    )
    out = send(e, cmd.limit(0, TAKER, BUY, 3, 101, tif=c.TIF_FOK))
    assert kinds(out) == ["ACCEPTED", "CANCELED", "TRADE", "BOOK"]
    assert (out[1].oid, out[1].code, out[2].qty) == (1, c.CXL_SELF_MATCH, 3)


@pytest.mark.parametrize("smp", [c.SMP_CANCEL_AGGRESSOR, c.SMP_CANCEL_BOTH])
def test_fok_availability_ends_at_an_own_order_when_smp_stops_the_aggressor(
    make_engine: EngineFactory, smp: int
) -> None:
    """MR-6: under SMP_CANCEL_AGGRESSOR/BOTH the walk ends at the first own order."""
    e = make_engine(smp=smp)
    list_instruments(e, 0)
    book_from_levels(e, 0, asks=[(101, 2)], account=MAKER)
    book_from_levels(e, 0, asks=[(101, 1)], account=TAKER)
    book_from_levels(e, 0, asks=[(101, 5)], account=MAKER)
    assert (
        rejected_code(e, cmd.limit(0, TAKER, BUY, 3, 101, tif=c.TIF_FOK)) == c.REJ_FOK_CANNOT_FILL
    )
    out = send(e, cmd.limit(0, TAKER, BUY, 2, 101, tif=c.TIF_FOK))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK"]


def test_fok_availability_counts_own_orders_without_smp(make_engine: EngineFactory) -> None:
    """MR-6: with SMP_NONE own orders count in full (and trade)."""
    e = make_engine(smp=c.SMP_NONE)
    list_instruments(e, 0)
    book_from_levels(e, 0, asks=[(101, 3)], account=TAKER)
    out = send(e, cmd.limit(0, TAKER, BUY, 3, 101, tif=c.TIF_FOK))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK"]
    assert (out[1].account, out[1].other_account) == (TAKER, TAKER)


# ------------------------------------------------------ MR-7 self-match prevention
def _smp_session(e: EngineLike) -> list[Event]:
    """Asks at 101: MAKER 1, TAKER 2, MAKER 3, and 102: MAKER 4; TAKER buys 4 at 102."""
    list_instruments(e, 0)
    book_from_levels(e, 0, asks=[(101, 1)], account=MAKER)
    book_from_levels(e, 0, asks=[(101, 2)], account=TAKER)
    book_from_levels(e, 0, asks=[(101, 3), (102, 4)], account=MAKER)
    return send(e, cmd.limit(0, TAKER, BUY, 4, 102))


def _t(s: int, qty: int, rem: int, maker: int, account: int, maker_rem: int, tid: int) -> Event:
    return ev(Ev.TRADE, s, oid=5, account=TAKER, side=BUY, price=101, qty=qty, remaining=rem,
              other_oid=maker, other_account=account, other_remaining=maker_rem, code=tid)  # fmt: skip


def _own_canceled(s: int) -> Event:
    return ev(
        Ev.CANCELED, s, oid=2, account=TAKER, side=SELL, price=101, qty=2, code=c.CXL_SELF_MATCH
    )


def _aggressor_canceled(s: int) -> Event:
    return ev(
        Ev.CANCELED, s, oid=5, account=TAKER, side=BUY, price=102, qty=3, code=c.CXL_SELF_MATCH
    )


SMP_CASES = {
    "cancel resting": (
        c.SMP_CANCEL_RESTING,
        lambda s: [
            _t(s, 1, 3, 1, MAKER, 0, 1),
            _own_canceled(s),
            _t(s, 3, 0, 3, MAKER, 0, 2),
            book(0, SELL, 101, 0, 0, s),
        ],
    ),
    "cancel aggressor": (
        c.SMP_CANCEL_AGGRESSOR,
        lambda s: [
            _t(s, 1, 3, 1, MAKER, 0, 1),
            book(0, SELL, 101, 5, 2, s),
            _aggressor_canceled(s),
        ],
    ),
    "cancel both": (
        c.SMP_CANCEL_BOTH,
        lambda s: [
            _t(s, 1, 3, 1, MAKER, 0, 1),
            _own_canceled(s),
            book(0, SELL, 101, 3, 1, s),
            _aggressor_canceled(s),
        ],
    ),
    "none": (
        c.SMP_NONE,
        lambda s: [
            _t(s, 1, 3, 1, MAKER, 0, 1),
            _t(s, 2, 1, 2, TAKER, 0, 2),
            _t(s, 1, 0, 3, MAKER, 2, 3),
            book(0, SELL, 101, 2, 1, s),
        ],
    ),
}


@pytest.mark.parametrize(("smp", "expected"), SMP_CASES.values(), ids=SMP_CASES.keys())
def test_self_match_prevention_modes(
    make_engine: EngineFactory, smp: int, expected: Callable[[int], list[Event]]
) -> None:
    """MR-7: each mode's events; the level's EV_BOOK precedes the aggressor's EV_CANCELED."""
    e = make_engine(smp=smp)
    out = _smp_session(e)
    s = e.seq
    assert out[0] == ev(
        Ev.ACCEPTED, s, oid=5, account=TAKER, side=BUY, price=102, qty=4, remaining=4
    )
    assert out[1:] == expected(s)
    e.check_invariants()


def test_cancel_aggressor_on_the_first_order_of_a_level_emits_no_book_event(
    make_engine: EngineFactory,
) -> None:
    """MR-5, MR-7: the level did not change, so only the aggressor's EV_CANCELED follows."""
    e = make_engine(smp=c.SMP_CANCEL_AGGRESSOR)
    list_instruments(e, 0)
    book_from_levels(e, 0, asks=[(101, 2)], account=TAKER)
    out = send(e, cmd.limit(0, TAKER, BUY, 4, 101))
    assert kinds(out) == ["ACCEPTED", "CANCELED"]
    assert (out[1].oid, out[1].qty, out[1].code) == (2, 4, c.CXL_SELF_MATCH)
    assert engine_levels(e) == ([], [(101, 2, 1)])


def engine_levels(
    e: EngineLike, instr: int = 0
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """Return (bid levels, ask levels) of ``instr``."""
    return e.levels(instr, BUY), e.levels(instr, SELL)


def test_cancel_resting_goes_on_through_a_level_of_own_orders(make_engine: EngineFactory) -> None:
    """MR-7: a level holding only own orders is emptied, then matching continues."""
    e = make_engine(smp=c.SMP_CANCEL_RESTING)
    list_instruments(e, 0)
    book_from_levels(e, 0, asks=[(101, [1, 1])], account=TAKER)
    book_from_levels(e, 0, asks=[(102, 1)], account=MAKER)
    out = send(e, cmd.limit(0, TAKER, BUY, 1, 102))
    assert kinds(out) == ["ACCEPTED", "CANCELED", "CANCELED", "BOOK", "TRADE", "BOOK"]
    assert out[3] == book(0, SELL, 101, 0, 0, e.seq)


# ----------------------------------------------------------------------- MR-8 stops
def test_a_buy_stop_limit_triggers_when_the_last_trade_reaches_its_trigger(
    engine: EngineLike,
) -> None:
    """MR-8: EV_TRIGGERED (E_PRICE = limit) then matching, all under the triggering seq."""
    book_from_levels(engine, 0, asks=[(100, 1), (105, 5)], account=MAKER)
    accepted = send(engine, stop(0, OTHER, BUY, 2, 100, 105))
    assert accepted[0] == ev(
        Ev.ACCEPTED, engine.seq, oid=3, account=OTHER, side=BUY, price=105, qty=2, remaining=2
    )
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 100, ts=42))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK", "TRIGGERED", "TRADE", "BOOK"]
    assert out[3] == ev(
        Ev.TRIGGERED, s, ts=42, oid=3, account=OTHER, side=BUY, price=105, qty=2, remaining=2
    )
    assert out[4] == ev(Ev.TRADE, s, ts=42, oid=3, account=OTHER, side=BUY, price=105, qty=2,
                        other_oid=2, other_account=MAKER, other_remaining=3, code=2)  # fmt: skip


def test_a_buy_stop_waits_while_the_last_trade_is_below_its_trigger(engine: EngineLike) -> None:
    """MR-8: a buy stop needs last >= trigger; stops sit outside the book."""
    book_from_levels(engine, 0, asks=[(99, 1), (105, 5)], account=MAKER)
    send(engine, stop(0, OTHER, BUY, 2, 100, 105))
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 99))
    assert "TRIGGERED" not in kinds(out)
    assert engine.levels(0, BUY) == []


def test_a_sell_stop_market_triggers_at_or_below_its_trigger_with_price_zero(
    engine: EngineLike,
) -> None:
    """MR-8: a sell stop triggers when last <= trigger; a stop market reports E_PRICE 0."""
    book_from_levels(engine, 0, bids=[(100, 1), (95, 3)], account=MAKER)
    send(engine, stop(0, OTHER, SELL, 2, 100))
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, SELL, 1, 100))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK", "TRIGGERED", "TRADE", "BOOK"]
    assert out[3] == ev(
        Ev.TRIGGERED, s, oid=3, account=OTHER, side=SELL, price=0, qty=2, remaining=2
    )
    assert (out[4].price, out[4].qty) == (95, 2)
    assert_book(engine, 0, "bid | price | ask\n 1  |  95 |")


def test_satisfied_stops_trigger_in_acceptance_order(engine: EngineLike) -> None:
    """MR-8: among stops that hold, the first accepted triggers first."""
    book_from_levels(engine, 0, asks=[(100, 1), (110, 10)], account=MAKER)
    send(engine, stop(0, OTHER, BUY, 1, 100, 110), stop(0, 4, BUY, 1, 99, 110))
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 100))
    assert [x.oid for x in only(out, Ev.TRIGGERED)] == [3, 4]


def test_stops_cascade_and_the_search_restarts_from_the_first_stop(engine: EngineLike) -> None:
    """MR-8: a triggered stop's trade can satisfy an earlier stop, which triggers next."""
    book_from_levels(engine, 0, asks=[(100, 1), (101, 1), (102, 1)], account=MAKER)
    send(engine, stop(0, OTHER, BUY, 1, 101, 102))  # oid 4: needs a trade at 101
    send(engine, stop(0, 4, BUY, 1, 100, 101))  # oid 5: triggered by the trade at 100
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 100))
    assert kinds(out) == [
        "ACCEPTED",
        "TRADE",
        "BOOK",
        "TRIGGERED",
        "TRADE",
        "BOOK",
        "TRIGGERED",
        "TRADE",
        "BOOK",
    ]
    assert [(x.oid, x.price) for x in only(out, Ev.TRIGGERED)] == [(5, 101), (4, 102)]
    assert [t.price for t in only(out, Ev.TRADE)] == [100, 101, 102]
    assert engine.levels(0, SELL) == []


def test_a_triggered_stop_market_without_liquidity_is_canceled(engine: EngineLike) -> None:
    """MR-8: CXL_NO_LIQUIDITY when nothing is left on the opposite side."""
    book_from_levels(engine, 0, asks=[(100, 1)], account=MAKER)
    send(engine, stop(0, OTHER, BUY, 3, 100))
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 100))
    assert out[-2:] == [
        ev(Ev.TRIGGERED, s, oid=2, account=OTHER, side=BUY, qty=3, remaining=3),
        ev(Ev.CANCELED, s, oid=2, account=OTHER, side=BUY, qty=3, code=c.CXL_NO_LIQUIDITY),
    ]


def test_a_triggered_fok_stop_that_cannot_fill_is_canceled_unfilled(engine: EngineLike) -> None:
    """MR-8: FOK availability is checked at trigger time; CXL_UNFILLED if short."""
    book_from_levels(engine, 0, asks=[(100, 1), (101, 1)], account=MAKER)
    send(engine, stop(0, OTHER, BUY, 5, 100, 101, tif=c.TIF_FOK))
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 100))
    assert out[-1] == ev(
        Ev.CANCELED, s, oid=3, account=OTHER, side=BUY, price=101, qty=5, code=c.CXL_UNFILLED
    )
    assert engine.levels(0, SELL) == [(101, 1, 1)]


def test_a_triggered_stop_limit_keeps_its_id_and_rests_at_the_back_of_its_level(
    engine: EngineLike,
) -> None:
    """MR-2, MR-8: the triggered order joins its level when it triggers."""
    book_from_levels(engine, 0, bids=[(99, 4)], asks=[(100, 1)], account=MAKER)
    send(engine, stop(0, OTHER, BUY, 2, 100, 99))
    s = engine.seq + 1
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 100))
    assert out[-1] == book(0, BUY, 99, 6, 2, s)
    assert engine.orders_at(0, BUY, 99) == [(1, MAKER, 4), (3, OTHER, 2)]


def test_a_gtc_stop_market_with_protection_rests_its_remainder(engine: EngineLike) -> None:
    """MR-4, MR-8: the protection price comes from the book at trigger time."""
    book_from_levels(engine, 0, asks=[(100, 1), (103, 1), (110, 1)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_PROTECTION, 5), stop(0, OTHER, BUY, 3, 100))
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 100))
    assert kinds(out)[3:] == ["TRIGGERED", "TRADE", "BOOK", "BOOK"]
    assert out[3].price == 0 and out[4].price == 103
    assert_book(engine, 0, "bid | price | ask\n    | 110 | 1\n 2  | 108 |")


def test_a_stop_is_accepted_with_no_trade_yet_whatever_its_trigger(engine: EngineLike) -> None:
    """MR-3 step 8: no trigger check against the last trade before the first trade."""
    out = send(engine, stop(0, OTHER, BUY, 1, 1), stop(0, OTHER, SELL, 1, 1000))
    assert kinds(out) == ["ACCEPTED", "ACCEPTED"]
    assert engine.levels(0, BUY) == engine.levels(0, SELL) == []


# --------------------------------------------------------------------- MR-9 replace
def test_reducing_quantity_at_the_same_price_keeps_priority(engine: EngineLike) -> None:
    """MR-9: EV_REPLACED with E_CODE 0 then EV_BOOK; the order stays first."""
    first, second = book_from_levels(engine, 0, bids=[(100, [5, 3])], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.replace(first, 100, 2, account=MAKER))
    assert out == [
        ev(
            Ev.REPLACED,
            s,
            oid=first,
            account=MAKER,
            side=BUY,
            price=100,
            qty=2,
            remaining=2,
            code=0,
        ),
        book(0, BUY, 100, 5, 2, s),
    ]
    assert [o for o, _, _ in engine.orders_at(0, BUY, 100)] == [first, second]


def test_replacing_with_the_same_price_and_quantity_emits_no_book_event(engine: EngineLike) -> None:
    """MR-9: EV_BOOK only if the quantity changed."""
    (oid,) = book_from_levels(engine, 0, bids=[(100, 5)], account=MAKER)
    out = send(engine, cmd.replace(oid, 100, 5, account=MAKER))
    assert kinds(out) == ["REPLACED"] and out[0].code == 0


def test_increasing_quantity_loses_priority(engine: EngineLike) -> None:
    """MR-9: E_CODE 1, EV_BOOK for the level it left, then EV_BOOK when it rests at the back."""
    first, second = book_from_levels(engine, 0, bids=[(100, [5, 3])], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.replace(first, 100, 6, account=MAKER))
    assert out == [
        ev(
            Ev.REPLACED,
            s,
            oid=first,
            account=MAKER,
            side=BUY,
            price=100,
            qty=6,
            remaining=6,
            code=1,
        ),
        book(0, BUY, 100, 3, 1, s),
        book(0, BUY, 100, 9, 2, s),
    ]
    assert [o for o, _, _ in engine.orders_at(0, BUY, 100)] == [second, first]


def test_moving_the_price_loses_priority_and_joins_the_back_of_the_new_level(
    engine: EngineLike,
) -> None:
    """MR-9: a new price always loses priority."""
    moved, stayed = book_from_levels(engine, 0, bids=[(100, 4), (99, 2)], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.replace(moved, 99, 1, account=MAKER))
    assert out == [
        ev(
            Ev.REPLACED, s, oid=moved, account=MAKER, side=BUY, price=99, qty=1, remaining=1, code=1
        ),
        book(0, BUY, 100, 0, 0, s),
        book(0, BUY, 99, 3, 2, s),
    ]
    assert_book(engine, 0, "bid | price | ask\n2 1 |  99 |")
    assert engine.orders_at(0, BUY, 99)[0][0] == stayed


def test_a_replace_that_crosses_trades_as_an_aggressor_then_rests(engine: EngineLike) -> None:
    """MR-9: after EV_REPLACED and the left level's EV_BOOK it matches (MR-5) and rests."""
    (bid,) = book_from_levels(engine, 0, bids=[(100, 5)], account=TAKER)
    (ask,) = book_from_levels(engine, 0, asks=[(102, 2)], account=MAKER)
    s = engine.seq + 1
    out = send(engine, cmd.replace(bid, 103, 5))
    assert out == [
        ev(Ev.REPLACED, s, oid=bid, account=TAKER, side=BUY, price=103, qty=5, remaining=5, code=1),
        book(0, BUY, 100, 0, 0, s),
        ev(Ev.TRADE, s, oid=bid, account=TAKER, side=BUY, price=102, qty=2, remaining=3,
           other_oid=ask, other_account=MAKER, code=1),
        book(0, SELL, 102, 0, 0, s),
        book(0, BUY, 103, 3, 1, s),
    ]  # fmt: skip


def test_a_replace_that_crosses_an_own_order_applies_self_match_prevention(
    make_engine: EngineFactory,
) -> None:
    """MR-9, MR-7: the replaced order is an aggressor like any other."""
    e = make_engine(smp=c.SMP_CANCEL_AGGRESSOR)
    list_instruments(e, 0)
    (bid,) = book_from_levels(e, 0, bids=[(100, 5)], account=TAKER)
    book_from_levels(e, 0, asks=[(102, 2)], account=TAKER)
    out = send(e, cmd.replace(bid, 102, 5, account=TAKER))
    assert kinds(out) == ["REPLACED", "BOOK", "CANCELED"]
    assert (out[2].oid, out[2].code, out[2].price) == (bid, c.CXL_SELF_MATCH, 102)
    assert engine_levels(e) == ([], [(102, 2, 1)])


def test_a_replace_that_trades_triggers_stops(engine: EngineLike) -> None:
    """MR-9: the replace is followed by MR-8."""
    (bid,) = book_from_levels(engine, 0, bids=[(100, 1)], account=TAKER)
    book_from_levels(engine, 0, asks=[(102, 1), (104, 1)], account=MAKER)
    send(engine, stop(0, OTHER, BUY, 1, 102))
    out = send(engine, cmd.replace(bid, 102, 1, account=TAKER))
    assert kinds(out) == ["REPLACED", "BOOK", "TRADE", "BOOK", "TRIGGERED", "TRADE", "BOOK"]
    assert out[5].price == 104


def test_a_replaced_stop_keeps_its_place_among_the_stops(engine: EngineLike) -> None:
    """MR-9: E_CODE 0; a new trigger is taken; its place stays before later stops."""
    book_from_levels(engine, 0, asks=[(105, 1), (120, 10)], account=MAKER)
    send(engine, stop(0, OTHER, BUY, 1, 110, 120), stop(0, 4, BUY, 1, 105, 120))  # oids 3, 4
    s = engine.seq + 1
    out = send(engine, cmd.replace(3, 119, 2, account=OTHER, trigger=105))
    assert out == [
        ev(Ev.REPLACED, s, oid=3, account=OTHER, side=BUY, price=119, qty=2, remaining=2, code=0)
    ]
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 105))
    assert [(x.oid, x.price, x.qty) for x in only(out, Ev.TRIGGERED)] == [(3, 119, 2), (4, 120, 1)]


def test_a_stop_replace_with_trigger_zero_keeps_the_trigger(engine: EngineLike) -> None:
    """MR-9: trigger 0 = keep; a stop market ignores the new price."""
    book_from_levels(engine, 0, asks=[(105, 1), (120, 10)], account=MAKER)
    send(engine, stop(0, OTHER, BUY, 1, 105))  # oid 3, stop market
    out = send(engine, cmd.replace(3, 777, 4, account=OTHER))
    assert (out[0].kind, out[0].price, out[0].qty) == (Ev.REPLACED, 0, 4)
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 105))
    assert [(x.oid, x.qty) for x in only(out, Ev.TRIGGERED)] == [(3, 4)]


def _replace_setup(e: EngineLike) -> None:
    """Resting bid oid 1 (MAKER 5 @ 100), post-only bid oid 2 (MAKER 1 @ 98, reject flag),
    ask oid 3 (OTHER 1 @ 103), stop oid 4 (MAKER buy trigger 110), trade at 103 via oids 5-6."""
    list_instruments(e, 0, 1)
    send(
        e,
        cmd.limit(0, MAKER, BUY, 5, 100),
        cmd.limit(0, MAKER, BUY, 1, 98, flags=3),
        cmd.limit(0, OTHER, SELL, 1, 103),
        stop(0, MAKER, BUY, 1, 110),
        cmd.limit(0, 14, SELL, 1, 103),
        cmd.limit(0, 15, BUY, 2, 103),
        cmd.limit(0, OTHER, SELL, 1, 105),
        cmd.set_param(0, c.PARAM_MAX_QTY, 50),
        cmd.set_param(0, c.PARAM_TICK, 2),
        cmd.set_param(0, c.PARAM_REF_PRICE, 100),
        cmd.set_param(0, c.PARAM_BAND, 20),
    )


REPLACE_REJECTS = {
    "account out of range": (cmd.replace(1, 100, 1, account=16), c.REJ_INVALID_ACCOUNT),
    "account out of range before unknown order": (
        cmd.replace(999, 100, 1, account=-2),
        c.REJ_INVALID_ACCOUNT,
    ),
    "unknown order": (cmd.replace(999, 100, 1), c.REJ_UNKNOWN_ORDER),
    "filled order": (cmd.replace(3, 104, 1), c.REJ_UNKNOWN_ORDER),
    "not the owner": (cmd.replace(1, 100, 1, account=OTHER), c.REJ_NOT_OWNER),
    "zero quantity": (cmd.replace(1, 100, 0), c.REJ_INVALID_QUANTITY),
    "quantity above the maximum": (cmd.replace(1, 100, 51), c.REJ_INVALID_QUANTITY),
    "price off the grid": (cmd.replace(1, 0, 1), c.REJ_INVALID_PRICE),
    "price off the tick": (cmd.replace(1, 101, 1), c.REJ_WRONG_TICK),
    "same price now off the tick": (cmd.replace(7, 105, 1), c.REJ_WRONG_TICK),
    "price outside the band": (cmd.replace(1, 122, 1), c.REJ_OUTSIDE_BAND),
    "trigger already satisfied": (cmd.replace(4, 0, 1, trigger=102), c.REJ_INVALID_TRIGGER),
    "trigger off the tick": (cmd.replace(4, 0, 1, trigger=111), c.REJ_INVALID_TRIGGER),
    "post-only crossing with reject flag": (cmd.replace(2, 106, 1), c.REJ_POST_ONLY_WOULD_CROSS),
}


@pytest.mark.parametrize(("row", "code"), REPLACE_REJECTS.values(), ids=REPLACE_REJECTS.keys())
def test_an_invalid_replace_is_rejected_and_leaves_the_order_as_it_was(
    make_engine: EngineFactory, row: np.ndarray, code: int
) -> None:
    """MR-9: checks in order; EV_REJECTED carries the target id; state unchanged."""
    e = make_engine()
    _replace_setup(e)
    before = e.state_array()
    out = send(e, row)
    assert [(x.kind, c.Reject(x.code), x.oid) for x in out] == [
        (Ev.REJECTED, c.Reject(code), row[c.C_OID])
    ]
    assert np.array_equal(e.state_array()[1:], before[1:])


def test_a_replace_is_rejected_while_halted(engine: EngineLike) -> None:
    """MR-9: halted comes after the owner check."""
    (oid,) = book_from_levels(engine, 0, bids=[(100, 5)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_STATUS, c.STATUS_HALTED))
    assert rejected_code(engine, cmd.replace(oid, 100, 1, account=OTHER)) == c.REJ_NOT_OWNER
    assert rejected_code(engine, cmd.replace(oid, 100, 0, account=MAKER)) == c.REJ_INSTRUMENT_HALTED


def test_a_post_only_replace_that_would_cross_is_repriced(engine: EngineLike) -> None:
    """MR-9, MR-3 step 11: the new price moves one tick inside the spread."""
    out = send(engine, cmd.limit(0, MAKER, BUY, 2, 100, flags=c.FLAG_POST_ONLY))
    book_from_levels(engine, 0, asks=[(105, 1)], account=OTHER)
    s = engine.seq + 1
    out = send(engine, cmd.replace(1, 106, 2, account=MAKER))
    assert out == [
        ev(Ev.REPLACED, s, oid=1, account=MAKER, side=BUY, price=104, qty=2, remaining=2, code=1),
        book(0, BUY, 100, 0, 0, s),
        book(0, BUY, 104, 2, 1, s),
    ]


def test_an_administrator_may_replace_and_cancel_any_order(engine: EngineLike) -> None:
    """MR-1, MR-9, MR-10: account -1 acts for any owner."""
    (oid,) = book_from_levels(engine, 0, bids=[(100, 5)], account=MAKER)
    out = send(engine, cmd.replace(oid, 100, 4, account=-1), cmd.cancel(oid, account=-1))
    assert kinds(out) == ["REPLACED", "BOOK", "CANCELED", "BOOK"]
    assert out[2].account == MAKER


# -------------------------------------------------------- MR-10 cancel, mass, expiry
def test_a_cancel_reports_the_open_quantity_then_the_level(engine: EngineLike) -> None:
    """MR-10: EV_CANCELED (CXL_USER, E_QTY = open quantity, E_PRICE = price), then EV_BOOK."""
    (oid,) = book_from_levels(engine, 0, asks=[(101, 5)], account=MAKER)
    send(engine, cmd.limit(0, TAKER, BUY, 2, 101))
    s = engine.seq + 1
    out = send(engine, cmd.cancel(oid, account=MAKER, ts=5))
    assert out == [
        ev(
            Ev.CANCELED,
            s,
            ts=5,
            oid=oid,
            account=MAKER,
            side=SELL,
            price=101,
            qty=3,
            code=c.CXL_USER,
        ),
        ev(Ev.BOOK, s, ts=5, side=SELL, price=101),
    ]


def test_canceling_an_untriggered_stop_market_reports_price_zero_and_no_level(
    engine: EngineLike,
) -> None:
    """MR-10, MR-12: stops are not in the book; a stop market's price is 0."""
    send(engine, stop(1, MAKER, SELL, 3, 90))
    s = engine.seq + 1
    out = send(engine, cmd.cancel(1, account=MAKER))
    assert out == [
        ev(Ev.CANCELED, s, instr=1, oid=1, account=MAKER, side=SELL, qty=3, code=c.CXL_USER)
    ]


def test_cancel_checks_account_then_liveness_then_owner(engine: EngineLike) -> None:
    """MR-10: REJ_INVALID_ACCOUNT, REJ_UNKNOWN_ORDER, REJ_NOT_OWNER, echoing the target id."""
    (oid,) = book_from_levels(engine, 0, bids=[(100, 5)], account=MAKER)
    out = send(
        engine,
        cmd.cancel(999, account=16),
        cmd.cancel(999, account=MAKER),
        cmd.cancel(oid, account=OTHER),
        cmd.cancel(oid, account=MAKER),
        cmd.cancel(oid, account=MAKER),
    )
    assert [(x.kind, x.oid, x.code) for x in out if x.kind != Ev.BOOK] == [
        (Ev.REJECTED, 999, c.REJ_INVALID_ACCOUNT),
        (Ev.REJECTED, 999, c.REJ_UNKNOWN_ORDER),
        (Ev.REJECTED, oid, c.REJ_NOT_OWNER),
        (Ev.CANCELED, oid, c.CXL_USER),
        (Ev.REJECTED, oid, c.REJ_UNKNOWN_ORDER),
    ]


def test_cancel_is_allowed_while_halted(engine: EngineLike) -> None:
    """MR-10: cancels need no open instrument."""
    (oid,) = book_from_levels(engine, 0, bids=[(100, 5)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_STATUS, c.STATUS_HALTED))
    assert kinds(send(engine, cmd.cancel(oid, account=MAKER))) == ["CANCELED", "BOOK"]


def _mass_setup(e: EngineLike) -> None:
    """oid 1 OTHER bid 0@100, 2 MAKER ask 0@105, 3 OTHER stop 0, 4 MAKER bid 1@50, 5 TAKER ask 1@60."""
    list_instruments(e, 0, 1)
    send(
        e,
        cmd.limit(0, OTHER, BUY, 1, 100),
        cmd.limit(0, MAKER, SELL, 2, 105),
        stop(0, OTHER, SELL, 3, 90, 90),
        cmd.limit(1, MAKER, BUY, 4, 50),
        cmd.limit(1, TAKER, SELL, 5, 60),
    )


MASS_CASES = {
    "everything": ((-1, -1, -1), [2, 4, 5, 1, 3]),
    "one account": ((OTHER, -1, -1), [1, 3]),
    "one instrument": ((-1, 1, -1), [4, 5]),
    "one side": ((-1, -1, SELL), [2, 5, 3]),
    "account and side": ((MAKER, -1, BUY), [4]),
    "nothing matches": ((9, -1, -1), []),
}


@pytest.mark.parametrize(("filters", "order"), MASS_CASES.values(), ids=MASS_CASES.keys())
def test_mass_cancel_removes_matching_orders_in_account_then_id_order(
    make_engine: EngineFactory, filters: tuple[int, int, int], order: list[int]
) -> None:
    """MR-10: resting orders and stops, ascending (account, oid), EV_BOOK after resting ones."""
    e = make_engine()
    _mass_setup(e)
    account, instr, side = filters
    out = send(e, cmd.mass_cancel(account, instr, side))
    assert [x.oid for x in only(out, Ev.CANCELED)] == order
    assert {x.code for x in only(out, Ev.CANCELED)} <= {c.CXL_MASS}
    expected_kinds = [
        k for oid in order for k in (["CANCELED"] if oid == 3 else ["CANCELED", "BOOK"])
    ]
    assert kinds(out) == expected_kinds
    e.check_invariants()


@pytest.mark.parametrize(
    ("filters", "code"),
    [((-1, 2, -1), c.REJ_UNKNOWN_INSTRUMENT), ((-1, -2, -1), c.REJ_UNKNOWN_INSTRUMENT),
     ((16, -1, -1), c.REJ_INVALID_ACCOUNT), ((-1, -1, 2), c.REJ_INVALID_ORDER),
     ((99, 7, 5), c.REJ_UNKNOWN_INSTRUMENT), ((99, 0, 5), c.REJ_INVALID_ACCOUNT)],
    ids=["slot beyond", "negative slot", "account beyond", "side", "instrument first", "account second"],
)  # fmt: skip
def test_mass_cancel_checks_instrument_then_account_then_side(
    engine: EngineLike, filters: tuple[int, int, int], code: int
) -> None:
    """MR-10: REJ_UNKNOWN_INSTRUMENT, REJ_INVALID_ACCOUNT, REJ_INVALID_ORDER in that order."""
    account, instr, side = filters
    out = send(engine, cmd.mass_cancel(account, instr, side))
    assert [(x.kind, x.code, x.instr, x.account, x.side, x.oid) for x in out] == [
        (Ev.REJECTED, code, instr, account, side, 0)
    ]


def test_mass_cancel_of_an_unlisted_slot_is_rejected(make_engine: EngineFactory) -> None:
    """MR-10: a slot that is not listed is an unknown instrument."""
    e = make_engine()
    list_instruments(e, 0)
    assert rejected_code(e, cmd.mass_cancel(-1, 1, -1)) == c.REJ_UNKNOWN_INSTRUMENT


def test_expire_removes_due_gtd_orders_in_account_then_id_order(engine: EngineLike) -> None:
    """MR-10: every GTD order (resting or stop) with expiry <= t; EV_EXPIRED then EV_BOOK."""
    gtd = {"tif": c.TIF_GTD}
    send(
        engine,
        cmd.limit(0, OTHER, BUY, 1, 100, expire=200, **gtd),  # 1: due
        cmd.limit(0, MAKER, BUY, 2, 100, expire=300, **gtd),  # 2: not due
        cmd.limit(0, MAKER, SELL, 3, 110, expire=150, **gtd),  # 3: due
        stop(1, MAKER, BUY, 4, 500, expire=100, **gtd),  # 4: due stop
        cmd.limit(1, TAKER, BUY, 5, 100),  # 5: GTC
    )
    s = engine.seq + 1
    out = send(engine, cmd.expire(200))
    assert out == [
        ev(Ev.EXPIRED, s, ts=200, oid=3, account=MAKER, side=SELL, price=110, qty=3),
        ev(Ev.BOOK, s, ts=200, side=SELL, price=110),
        ev(Ev.EXPIRED, s, ts=200, instr=1, oid=4, account=MAKER, side=BUY, qty=4),
        ev(Ev.EXPIRED, s, ts=200, oid=1, account=OTHER, side=BUY, price=100, qty=1),
        ev(Ev.BOOK, s, ts=200, side=BUY, price=100, qty=2, remaining=1),
    ]
    assert kinds(send(engine, cmd.expire(299))) == []
    assert kinds(send(engine, cmd.expire(300))) == ["EXPIRED", "BOOK"]


def test_gtd_orders_do_not_expire_by_themselves(engine: EngineLike) -> None:
    """MR-10: past its expiry a GTD order still trades until OP_EXPIRE removes it."""
    send(engine, cmd.limit(0, MAKER, SELL, 1, 101, tif=c.TIF_GTD, expire=100, ts=1))
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 101, ts=1_000))
    assert kinds(out) == ["ACCEPTED", "TRADE", "BOOK"]


# ---------------------------------------------------------------- MR-11 parameters
def test_listing_a_slot_opens_it_with_default_parameters(make_engine: EngineFactory) -> None:
    """MR-11: EV_STATUS (E_SIDE = parameter, E_PRICE = value); defaults in the state."""
    e = make_engine()
    out = send(e, cmd.list_instrument(1, ts=8))
    assert out == [ev(Ev.STATUS, 1, ts=8, instr=1, side=c.PARAM_STATUS, price=c.STATUS_OPEN)]
    assert e.state_array().tolist() == [1, 1, 1, 2, 1, c.STATUS_OPEN, 1, 0, 0, 0, 0, 0, -1, -1, -1]


def test_setting_a_parameter_reports_it(engine: EngineLike) -> None:
    """MR-11: every accepted OP_SET emits EV_STATUS, even when the value is unchanged."""
    out = send(engine, cmd.set_param(1, c.PARAM_BAND, 25), cmd.set_param(1, c.PARAM_TICK, 1))
    assert [(x.kind, x.instr, x.side, x.price) for x in out] == [
        (Ev.STATUS, 1, c.PARAM_BAND, 25),
        (Ev.STATUS, 1, c.PARAM_TICK, 1),
    ]


def test_halting_blocks_new_orders_and_reopening_allows_them(engine: EngineLike) -> None:
    """MR-11: OPEN -> HALTED -> OPEN."""
    send(engine, cmd.set_param(0, c.PARAM_STATUS, c.STATUS_HALTED))
    assert rejected_code(engine, cmd.limit(0, MAKER, BUY, 1, 100)) == c.REJ_INSTRUMENT_HALTED
    send(engine, cmd.set_param(0, c.PARAM_STATUS, c.STATUS_OPEN))
    assert kinds(send(engine, cmd.limit(0, MAKER, BUY, 1, 100))) == ["ACCEPTED", "BOOK"]


def test_expiring_an_instrument_cancels_every_order_then_reports_the_status(
    engine: EngineLike,
) -> None:
    """MR-11: CXL_EXPIRED in ascending (account, oid), EV_BOOK for resting ones, then EV_STATUS."""
    send(
        engine,
        cmd.limit(0, OTHER, BUY, 1, 100),  # 1
        stop(0, MAKER, BUY, 2, 300, 300),  # 2
        cmd.limit(0, MAKER, SELL, 3, 200),  # 3
        cmd.limit(1, MAKER, SELL, 4, 200),  # 4: other instrument, untouched
    )
    s = engine.seq + 1
    out = send(engine, cmd.set_param(0, c.PARAM_STATUS, c.STATUS_EXPIRED))
    assert out == [
        ev(Ev.CANCELED, s, oid=2, account=MAKER, side=BUY, price=300, qty=2, code=c.CXL_EXPIRED),
        ev(Ev.CANCELED, s, oid=3, account=MAKER, side=SELL, price=200, qty=3, code=c.CXL_EXPIRED),
        ev(Ev.BOOK, s, side=SELL, price=200),
        ev(Ev.CANCELED, s, oid=1, account=OTHER, side=BUY, price=100, qty=1, code=c.CXL_EXPIRED),
        ev(Ev.BOOK, s, side=BUY, price=100),
        ev(Ev.STATUS, s, side=c.PARAM_STATUS, price=c.STATUS_EXPIRED),
    ]
    assert rejected_code(engine, cmd.limit(0, MAKER, BUY, 1, 100)) == c.REJ_INSTRUMENT_EXPIRED
    assert engine.levels(1, SELL) == [(200, 4, 1)]


def test_a_relisted_slot_starts_with_fresh_parameters_and_no_last_trade(engine: EngineLike) -> None:
    """MR-11: EXPIRED -> UNLISTED frees the slot; listing again resets its parameters."""
    trade_at(engine, 0, 500)
    send(engine, cmd.set_param(0, c.PARAM_TICK, 5), cmd.set_param(0, c.PARAM_MAX_QTY, 3))
    send(
        engine,
        cmd.set_param(0, c.PARAM_STATUS, c.STATUS_EXPIRED),
        cmd.set_param(0, c.PARAM_STATUS, 0),
    )
    assert rejected_code(engine, cmd.limit(0, MAKER, BUY, 1, 100)) == c.REJ_UNKNOWN_INSTRUMENT
    list_instruments(engine, 0)
    out = send(engine, cmd.limit(0, MAKER, BUY, 9, 101), stop(0, MAKER, BUY, 1, 400))
    assert kinds(out) == ["ACCEPTED", "BOOK", "ACCEPTED"]


STATUS_CASES = {
    "open to open": ([], c.STATUS_OPEN),
    "open to unlisted": ([], c.STATUS_UNLISTED),
    "halted to halted": ([c.STATUS_HALTED], c.STATUS_HALTED),
    "halted to unlisted": ([c.STATUS_HALTED], c.STATUS_UNLISTED),
    "expired to open": ([c.STATUS_EXPIRED], c.STATUS_OPEN),
    "expired to halted": ([c.STATUS_EXPIRED], c.STATUS_HALTED),
    "expired to expired": ([c.STATUS_EXPIRED], c.STATUS_EXPIRED),
    "unlisted to halted": ([c.STATUS_EXPIRED, c.STATUS_UNLISTED], c.STATUS_HALTED),
    "unlisted to expired": ([c.STATUS_EXPIRED, c.STATUS_UNLISTED], c.STATUS_EXPIRED),
    "unlisted to unlisted": ([c.STATUS_EXPIRED, c.STATUS_UNLISTED], c.STATUS_UNLISTED),
    "unknown status": ([], 4),
    "negative status": ([], -1),
}


@pytest.mark.parametrize(("path", "target"), STATUS_CASES.values(), ids=STATUS_CASES.keys())
def test_status_changes_outside_the_table_are_rejected(
    engine: EngineLike, path: list[int], target: int
) -> None:
    """MR-11: anything but the listed transitions is REJ_INVALID_PARAM and changes nothing."""
    for status in path:
        assert kinds(send(engine, cmd.set_param(0, c.PARAM_STATUS, status))) == ["STATUS"]
    before = engine.state_array()
    assert rejected_code(engine, cmd.set_param(0, c.PARAM_STATUS, target)) == c.REJ_INVALID_PARAM
    assert np.array_equal(engine.state_array()[1:], before[1:])


PARAM_CASES = {
    "tick zero": (c.PARAM_TICK, 0, c.REJ_INVALID_PARAM),
    "tick above the grid": (c.PARAM_TICK, 1001, c.REJ_INVALID_PARAM),
    "negative maximum quantity": (c.PARAM_MAX_QTY, -1, c.REJ_INVALID_PARAM),
    "negative protection": (c.PARAM_PROTECTION, -1, c.REJ_INVALID_PARAM),
    "negative band": (c.PARAM_BAND, -5, c.REJ_INVALID_PARAM),
    "negative reference": (c.PARAM_REF_PRICE, -1, c.REJ_INVALID_PARAM),
    "reference above the grid": (c.PARAM_REF_PRICE, 1001, c.REJ_INVALID_PARAM),
    "unknown parameter": (c.N_PARAMS, 1, c.REJ_INVALID_PARAM),
    "negative parameter": (-1, 1, c.REJ_INVALID_PARAM),
}


@pytest.mark.parametrize(("param", "value", "code"), PARAM_CASES.values(), ids=PARAM_CASES.keys())
def test_parameter_values_outside_their_range_are_rejected(
    engine: EngineLike, param: int, value: int, code: int
) -> None:
    """MR-11: tick 1…max_price, max qty/protection/band >= 0, reference 0…max_price."""
    out = send(engine, cmd.set_param(0, param, value))
    assert [(x.kind, x.code, x.price) for x in out] == [(Ev.REJECTED, code, value)]


@pytest.mark.parametrize(
    ("param", "value"),
    [(c.PARAM_TICK, 1), (c.PARAM_MAX_QTY, 10**18), (c.PARAM_PROTECTION, 2**63 - 1), (c.PARAM_BAND, 2**63 - 1),
     (c.PARAM_REF_PRICE, 0), (c.PARAM_REF_PRICE, 1000), (c.PARAM_TICK, 1000)],
)  # fmt: skip
def test_parameter_values_at_the_edges_of_their_range_are_accepted(
    engine: EngineLike, param: int, value: int
) -> None:
    """MR-11: the range ends are valid values."""
    assert kinds(send(engine, cmd.set_param(0, param, value))) == ["STATUS"]


def test_parameters_need_a_listed_slot(make_engine: EngineFactory) -> None:
    """MR-11: REJ_UNKNOWN_INSTRUMENT for an unlisted or out-of-range slot."""
    e = make_engine()
    assert rejected_code(e, cmd.set_param(0, c.PARAM_TICK, 5)) == c.REJ_UNKNOWN_INSTRUMENT
    assert (
        rejected_code(e, cmd.set_param(2, c.PARAM_STATUS, c.STATUS_OPEN))
        == c.REJ_UNKNOWN_INSTRUMENT
    )
    assert rejected_code(e, cmd.set_param(-1, c.PARAM_TICK, 5)) == c.REJ_UNKNOWN_INSTRUMENT


def test_a_new_tick_applies_to_new_prices_only(engine: EngineLike) -> None:
    """MR-11: orders resting off the new tick stay and trade; new prices must fit it."""
    book_from_levels(engine, 0, asks=[(101, 2)], account=MAKER)
    send(engine, cmd.set_param(0, c.PARAM_TICK, 5))
    assert rejected_code(engine, cmd.limit(0, TAKER, BUY, 1, 101)) == c.REJ_WRONG_TICK
    out = send(engine, cmd.limit(0, TAKER, BUY, 1, 105))
    assert [(t.price, t.qty) for t in only(out, Ev.TRADE)] == [(101, 1)]
    assert_book(engine, 0, "bid | price | ask\n    | 101 | 1")


# ---------------------------------------------------------------- MR-12 emission
def test_the_emission_mask_filters_events_but_not_processing(make_engine: EngineFactory) -> None:
    """MR-12: with trades only, the trades (ids, seqs) and the final state are unchanged."""
    rows = [
        cmd.list_instrument(0),
        cmd.limit(0, MAKER, SELL, 2, 101),
        cmd.limit(0, MAKER, SELL, 2, 102),
        cmd.limit(0, TAKER, BUY, 0, 101),
        cmd.limit(0, TAKER, BUY, 3, 102),
        cmd.cancel(2),
        cmd.limit(0, MAKER, BUY, 5, 90),
        cmd.limit(0, TAKER, SELL, 2, 90),
    ]
    full, trades_only = make_engine(), make_engine(emit=c.EMIT_TRADES)
    all_events = send(full, *rows)
    some_events = send(trades_only, *rows)
    assert some_events == only(all_events, Ev.TRADE)
    assert [t.code for t in some_events] == [1, 2, 3]
    assert full.state_hash() == trades_only.state_hash()


def test_an_empty_emission_mask_returns_no_events(make_engine: EngineFactory) -> None:
    """MR-12: events are (0, EV_WIDTH) int64 arrays when nothing is emitted."""
    e = make_engine(emit=0)
    out = e.process(cmd.list_instrument(0))
    assert out.shape == (0, c.EV_WIDTH) and out.dtype == np.int64
    assert e.process_batch(
        cmd.stack([cmd.limit(0, 0, BUY, 1, 5), cmd.limit(0, 1, SELL, 1, 5)])
    ).shape == (0, c.EV_WIDTH)
    assert e.seq == 3


@pytest.mark.parametrize("kind", [Ev.REJECTED, Ev.BOOK, Ev.STATUS])
def test_a_single_kind_mask_emits_only_that_kind(make_engine: EngineFactory, kind: int) -> None:
    """MR-12: bit k of the mask selects kind k."""
    e = make_engine(emit=1 << kind)
    out = send(e, cmd.list_instrument(0), cmd.limit(0, 0, BUY, 1, 5), cmd.limit(0, 0, BUY, 0, 5))
    assert out and {x.kind for x in out} == {kind}


# -------------------------------------------------------------- MR-13 state hash
def test_the_state_array_follows_the_canonical_layout(engine: EngineLike) -> None:
    """MR-13: header, per listed slot parameters, bids, asks and stops with -1 ends."""
    send(
        engine,
        cmd.limit(0, MAKER, BUY, 2, 99, tif=c.TIF_GTD, expire=500, ts=1),  # 1
        cmd.limit(0, OTHER, BUY, 3, 100, flags=c.FLAG_POST_ONLY),  # 2
        cmd.limit(0, MAKER, SELL, 5, 103),  # 3
        cmd.limit(0, TAKER, BUY, 1, 103),  # 4 trades 1 @ 103
        stop(0, TAKER, SELL, 4, 95, 94, tif=c.TIF_GTD, expire=900),  # 5
        cmd.set_param(1, c.PARAM_BAND, 7),
    )
    assert engine.state_array().tolist() == [
        8, 6, 2, 2,
        0, c.STATUS_OPEN, 1, 0, 0, 0, 0, 103,
        100, 2, OTHER, 3, c.TIF_GTC, 0, c.FLAG_POST_ONLY,
        99, 1, MAKER, 2, c.TIF_GTD, 500, 0,
        -1,
        103, 3, MAKER, 4, c.TIF_GTC, 0, 0,
        -1,
        5, TAKER, SELL, c.TYPE_STOP_LIMIT, 94, 95, 4, c.TIF_GTD, 900, 0,
        -1,
        1, c.STATUS_OPEN, 1, 0, 0, 7, 0, 0,
        -1, -1, -1,
    ]  # fmt: skip


def test_the_state_hash_is_the_sha256_of_the_little_endian_state_array(engine: EngineLike) -> None:
    """MR-13: state_hash() = sha256(state_array() as '<i8' bytes)."""
    book_from_levels(engine, 0, bids=[(100, 1)], asks=[(101, 2)], account=MAKER)
    expected = hashlib.sha256(engine.state_array().astype("<i8").tobytes()).hexdigest()
    assert engine.state_hash() == expected


def _history(e: EngineLike, swap: bool = False) -> None:
    list_instruments(e, 0, 1)
    first, second = cmd.limit(0, MAKER, BUY, 2, 100), cmd.limit(0, OTHER, BUY, 2, 100)
    send(e, *((second, first) if swap else (first, second)), cmd.limit(1, TAKER, SELL, 1, 50))


def test_equal_histories_give_equal_state_hashes(make_engine: EngineFactory) -> None:
    """MR-13: the state is a function of the command history."""
    a, b = make_engine(), make_engine()
    _history(a)
    _history(b)
    assert a.state_hash() == b.state_hash()
    assert np.array_equal(a.state_array(), b.state_array())


def test_different_histories_give_different_state_hashes(make_engine: EngineFactory) -> None:
    """MR-13: time priority is part of the state, and so is the sequence number."""
    a, b, c_ = make_engine(), make_engine(), make_engine()
    _history(a)
    _history(b, swap=True)
    _history(c_)
    send(c_, cmd.limit(5, 0, BUY, 1, 1))  # a rejected command still moves seq
    assert len({a.state_hash(), b.state_hash(), c_.state_hash()}) == 3


def test_process_batch_gives_the_events_and_state_of_one_by_one_processing(
    make_engine: EngineFactory,
) -> None:
    """MR-1, MR-13: batching is only a calling convention."""
    rows = [
        cmd.list_instrument(0),
        cmd.limit(0, 1, SELL, 3, 10),
        stop(0, 2, BUY, 1, 10),
        cmd.market(0, 3, BUY, 2),
    ]
    one, batch = make_engine(), make_engine()
    singles = [one.process(r) for r in rows]
    together = batch.process_batch(cmd.stack(rows))
    assert np.array_equal(np.concatenate(singles), together)
    assert one.state_hash() == batch.state_hash()
    assert batch.process_batch(cmd.stack([])).shape == (0, c.EV_WIDTH)


def test_invariants_hold_on_a_busy_book(engine: EngineLike) -> None:
    """MR-13: check_invariants passes after trades, cancels, replaces and stops."""
    book_from_levels(
        engine, 0, bids=[(99, [1, 2]), (98, 3)], asks=[(101, [4, 1]), (103, 2)], account=MAKER
    )
    send(
        engine,
        stop(0, OTHER, BUY, 1, 101, 103),
        cmd.limit(0, TAKER, BUY, 5, 101),
        cmd.replace(3, 97, 3),
        cmd.cancel(2),
    )
    engine.check_invariants()
    assert_book(
        engine,
        0,
        """
        bid | price | ask
            |  103  | 1
            |  101  |
        1   |   99  |
        3   |   97  |
        """,
    )


def test_decode_gives_named_events(engine: EngineLike) -> None:
    """Helper sanity: decode() maps rows to named fields in column order."""
    row = engine.process(cmd.limit(0, 7, SELL, 3, 250, ts=11))[0]
    (decoded,) = decode(row.reshape(1, -1))
    assert decoded == ev(
        Ev.ACCEPTED, engine.seq, ts=11, oid=1, account=7, side=SELL, price=250, qty=3, remaining=3
    )
