"""Readable helpers for engine tests: build books from levels, assert books as text tables.

A book table lists price levels, best ask on top, with the open quantity of each order
in time priority::

        bid | price | ask
            |  103  | 5
            |  102  | 3 2
        4   |  101  |

Rows may be in any order; a row with both sides empty asserts that the price is empty.
Prices in price units, quantities in contracts.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange import commands as cmd

Rows = dict[int, tuple[list[int], list[int]]]  # price -> (bid quantities, ask quantities)
LevelSpec = Sequence[tuple[int, int | Sequence[int]]]


class EngineLike(Protocol):
    """The interface shared by ``ReferenceEngine`` and the numba ``Engine``."""

    def process(self, cmd: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]: ...
    def process_batch(self, cmds: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]: ...
    def state_array(self) -> npt.NDArray[np.int64]: ...
    def state_hash(self) -> str: ...
    def check_invariants(self) -> None: ...
    def best_bid(self, instr: int) -> int: ...
    def best_ask(self, instr: int) -> int: ...
    def levels(self, instr: int, side: int) -> list[tuple[int, int, int]]: ...
    def orders_at(self, instr: int, side: int, price: int) -> list[tuple[int, int, int]]: ...
    @property
    def seq(self) -> int: ...


# --------------------------------------------------------------------------- events
class Event(NamedTuple):
    """One event row with named fields (``kind`` decoded to ``codes.Ev`` when known)."""

    kind: int
    seq: int
    ts: int
    instr: int
    oid: int
    account: int
    side: int
    price: int
    qty: int
    remaining: int
    other_oid: int
    other_account: int
    other_remaining: int
    code: int


def decode(events: npt.NDArray[np.int64]) -> list[Event]:
    """Return the rows of an (k, EV_WIDTH) event array as ``Event`` tuples."""
    assert events.dtype == np.int64 and events.ndim == 2 and events.shape[1] == c.EV_WIDTH, (
        f"events must be an (k, {c.EV_WIDTH}) int64 array, got {events.dtype} {events.shape}"
    )
    out = []
    for row in events.tolist():
        kind = c.Ev(row[0]) if row[0] in c.Ev._value2member_map_ else row[0]
        out.append(Event(kind, *row[1:]))
    return out


def send(engine: EngineLike, *rows: npt.NDArray[np.int64]) -> list[Event]:
    """Process ``rows`` one by one and return all their events decoded."""
    out: list[Event] = []
    for row in rows:
        out += decode(engine.process(row))
    return out


def kinds(events: Iterable[Event]) -> list[str]:
    """Return the kind names of ``events`` (e.g. ``["ACCEPTED", "TRADE", "BOOK"]``)."""
    return [c.Ev(e.kind).name if e.kind in c.Ev._value2member_map_ else str(e.kind) for e in events]


def only(events: Iterable[Event], kind: int) -> list[Event]:
    """Return the events of one kind, in order."""
    return [e for e in events if e.kind == kind]


def list_instruments(engine: EngineLike, *slots: int) -> None:
    """List instrument slots (MR-11), asserting each listing is accepted."""
    for slot in slots:
        out = send(engine, cmd.list_instrument(slot))
        assert kinds(out) == ["STATUS"], f"listing slot {slot} gave {out}"


# ---------------------------------------------------------------------------- books
def book_from_levels(
    engine: EngineLike,
    instr: int,
    bids: LevelSpec = (),
    asks: LevelSpec = (),
    account: int = 0,
    ts: int = 0,
) -> list[int]:
    """Rest one GTC limit order per quantity; return their order ids in submission order.

    Each level is ``(price, qty)`` or ``(price, [qty, qty, ...])`` (time priority). The
    orders must rest without trading; this is checked through ``orders_at`` so that it
    holds under any emission mask.
    """
    oids = []
    for side, spec in ((c.SIDE_BUY, bids), (c.SIDE_SELL, asks)):
        for price, qtys in spec:
            for qty in [qtys] if isinstance(qtys, int) else list(qtys):
                before = snapshot(engine, instr)
                engine.process(cmd.limit(instr, account, side, qty, price, ts=ts))
                after = snapshot(engine, instr)
                joined = after.get((side, price), [])
                before.setdefault((side, price), []).extend(joined[-1:])
                assert joined and after == before and joined[-1][1:] == (account, qty), (
                    f"order {qty}@{price} side {side} did not rest cleanly: {before} -> {after}"
                )
                oids.append(joined[-1][0])
    return oids


def snapshot(engine: EngineLike, instr: int) -> dict[tuple[int, int], list[tuple[int, int, int]]]:
    """Return ``{(side, price): [(oid, account, open qty), ...]}`` for every level of ``instr``."""
    return {
        (side, price): engine.orders_at(instr, side, price)
        for side in (c.SIDE_BUY, c.SIDE_SELL)
        for price, _, _ in engine.levels(instr, side)
    }


def parse_table(table: str) -> Rows:
    """Return ``{price: (bid qtys, ask qtys)}`` from a book table (empty rows dropped)."""
    rows: Rows = {}
    for line in textwrap.dedent(table).strip().splitlines():
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) != 3:
            raise ValueError(f"a book table row reads 'bid | price | ask', got {line!r}")
        if cells[1] == "price":
            continue
        price = int(cells[1])
        if price in rows:
            raise ValueError(f"price {price} appears twice in the table")
        bids, asks = ([int(q) for q in cell.split()] for cell in (cells[0], cells[2]))
        rows[price] = (bids, asks)
    return {p: sides for p, sides in rows.items() if sides[0] or sides[1]}


def book_rows(engine: EngineLike, instr: int) -> Rows:
    """Return the engine's book as table rows, checking level summaries against orders."""
    rows: Rows = {}
    for side in (c.SIDE_BUY, c.SIDE_SELL):
        for price, total, count in engine.levels(instr, side):
            qtys = [qty for _, _, qty in engine.orders_at(instr, side, price)]
            assert (sum(qtys), len(qtys)) == (total, count), (
                f"level {price} side {side} reports total {total} count {count} "
                f"but holds orders {qtys}"
            )
            rows.setdefault(price, ([], []))[side].extend(qtys)
    return rows


def render_table(rows: Rows) -> str:
    """Return ``rows`` as an aligned book table, highest price first."""
    lines = [("bid", "price", "ask")]
    for price in sorted(rows, reverse=True):
        bids, asks = rows[price]
        lines.append((" ".join(map(str, bids)), str(price), " ".join(map(str, asks))))
    w0 = max(len(r[0]) for r in lines)
    w1 = max(len(r[1]) for r in lines)
    return "\n".join(f"{b:>{w0}} | {p:^{w1}} | {a}".rstrip() for b, p, a in lines)


def assert_book(engine: EngineLike, instr: int, table: str) -> None:
    """Assert that instrument ``instr``'s book is exactly ``table`` (see module doc)."""
    expected, actual = parse_table(table), book_rows(engine, instr)
    if expected == actual:
        return
    want, got = render_table(expected), render_table(actual)
    diff = "\n".join(
        difflib.unified_diff(want.splitlines(), got.splitlines(), "expected", "actual", lineterm="")
    )
    raise AssertionError(
        f"book of instrument {instr} differs\nexpected:\n{want}\nactual:\n{got}\n{diff}"
    )
