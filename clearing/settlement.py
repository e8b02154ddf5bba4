"""Settlement prices, final settlement and variation margin (rules CR-24 to CR-27).

Settlement prices are integers of **µ$ per GPU-hour** (``price_micros_per_hour``): a
trade price of ``p`` price units is ``p × price_unit_micros``. Daily prices are rounded
half to even to a whole tick; final prices to ``final_precision_micros``. A position's
value at a mark is then an exact integer of µ$, so variation margin needs no rounding and
sums to exactly zero over accounts (CR-26).

Daily tiers per contract (CR-24): VWAP of the trades in the closing window; else the mid
of the best bid and ask when both exist; else the prior settlement moved by the change of
the nearest month of the same product that has a VWAP or mid price today; else the prior
settlement moved by the index change since the last settlement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clearing.index.base import IndexSource
from clearing.money import div_round_half_even
from clearing.records import Tier
from exchange import codes as c
from exchange.calendar import NS_PER_SECOND
from exchange.products import Contract, ProductSpec

IntArray = npt.NDArray[np.int64]
IndexChange = Callable[[int], tuple[int, int]]
"""Return (index print now, index print at the last settlement) of product ``p``, price
units; raises ``IndexNotPublished`` when a print is missing."""


@dataclass(frozen=True)
class SettlementParams:
    """``closing_window_ns``: the VWAP window before the close (30 minutes);
    ``final_precision_micros``: final settlement prices are whole multiples of this many
    µ$ per GPU-hour (100 = $0.0001); ``intraday_call_deadline_ns`` and
    ``call_deadline_ns`` (CR-28) are in ``CallParams``."""

    closing_window_ns: int = 30 * 60 * NS_PER_SECOND
    final_precision_micros: int = 100

    def __post_init__(self) -> None:
        if self.closing_window_ns <= 0 or self.final_precision_micros <= 0:
            raise ValueError("closing window and final precision must be positive")


class TradeTape:
    """The trades since the last daily settlement, for closing-window VWAPs.

    Rows are (ts ns, engine slot, price units, qty contracts). ``add`` is O(trades).
    """

    def __init__(self) -> None:
        self._chunks: list[IntArray] = []

    def add(self, trades: IntArray) -> None:
        """Keep the ``EV_TRADE`` rows of ``trades`` (engine events)."""
        t = trades[trades[:, c.E_KIND] == c.EV_TRADE]
        if len(t):
            cols = [c.E_TS, c.E_INSTR, c.E_PRICE, c.E_QTY]
            self._chunks.append(np.ascontiguousarray(t[:, cols]))

    def rows(self) -> IntArray:
        """Return every kept trade as an (n, 4) array."""
        if not self._chunks:
            return np.zeros((0, 4), dtype=np.int64)
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0]

    def window(self, start: int, end: int) -> IntArray:
        """Return the trades with ``start <= ts < end`` (ns)."""
        r = self.rows()
        return r[(r[:, 0] >= start) & (r[:, 0] < end)]

    def prune(self, before: int) -> None:
        """Forget the trades with ts < ``before`` ns."""
        r = self.rows()
        self._chunks = [r[r[:, 0] >= before]]

    def state(self) -> IntArray:
        """Return the kept trades (for state hashes)."""
        return self.rows()


def round_to_tick(num: int, den: int, tick: int) -> int:
    """Return num/den rounded half to even to a multiple of ``tick``, at least one tick."""
    return max(tick, div_round_half_even(num, den * tick) * tick)


def settlement_prices(
    product_index: IntArray,
    month_index: IntArray,
    tick_micros: IntArray,
    prior: IntArray,
    window: tuple[IntArray, IntArray],
    best: tuple[IntArray, IntArray],
    index_change: IndexChange | None,
) -> tuple[IntArray, IntArray]:
    """Return (prices µ$ per GPU-hour, tiers) for every column by the tiers of CR-24.

    Per column: ``tick_micros`` the tick in µ$/GPU-hour; ``prior`` the last settlement
    (µ$/GPU-hour); ``window`` = (Σ price·qty in µ$/GPU-hour × contracts, Σ qty) of the
    trades in the closing window; ``best`` = (bid, ask) in µ$/GPU-hour, 0 when absent.
    ``index_change`` None is an intraday cycle: columns without a VWAP or mid keep their
    prior (``UNCHANGED``). Pure: raises before anything is changed. O(C²) at worst.
    """
    n = len(prior)
    prices = np.zeros(n, dtype=np.int64)
    tiers = np.zeros(n, dtype=np.int64)
    value, qty = window
    bid, ask = best
    for j in range(n):
        tick = int(tick_micros[j])
        if qty[j] > 0:
            prices[j], tiers[j] = round_to_tick(int(value[j]), int(qty[j]), tick), Tier.VWAP
        elif bid[j] > 0 and ask[j] > 0:
            prices[j], tiers[j] = round_to_tick(int(bid[j] + ask[j]), 2, tick), Tier.MID
    anchored = tiers > 0
    for jj in np.flatnonzero(~anchored):
        j = int(jj)
        tick = int(tick_micros[j])
        p = int(product_index[j])
        if index_change is None:
            prices[j], tiers[j] = prior[j], Tier.UNCHANGED
            continue
        peers = np.flatnonzero(anchored & (product_index == p))
        if peers.size:
            distance = np.abs(month_index[peers] - month_index[j])
            n_ = int(peers[np.lexsort((month_index[peers], distance))[0]])
            moved = int(prior[j]) + int(prices[n_]) - int(prior[n_])
            prices[j], tiers[j] = round_to_tick(moved, 1, tick), Tier.NEIGHBOUR
        else:
            now, before = index_change(p)
            prices[j] = round_to_tick(int(prior[j]) * now, before, tick)
            tiers[j] = Tier.INDEX
    return prices, tiers


def final_settlement_price(
    contract: Contract, index: IndexSource, spec: ProductSpec, precision_micros: int
) -> int:
    """Return the final settlement price of ``contract``, µ$ per GPU-hour (CR-27).

    The arithmetic mean of the integer index prints (CR-3) over ``contract.business_days``,
    rounded half to even to a multiple of ``precision_micros``. Raises
    ``IndexNotPublished`` naming the first missing day.
    """
    prints = [index.units(d) for d in contract.business_days]
    total = sum(prints) * spec.price_unit_micros
    return div_round_half_even(total, len(prints) * precision_micros) * precision_micros


def marked_value(
    qty: IntArray,
    cost: IntArray,
    realised: IntArray,
    marks: IntArray,
    price_unit_micros: IntArray,
    contract_hours: IntArray,
) -> IntArray:
    """Return every position's cumulative trading result at ``marks``, µ$ (A, C).

    ``(qty × mark − (cost − realised) × price_unit_micros) × contract_hours``: the value
    of the open position at the mark plus the cash flow of every fill (CR-13). Variation
    margin paid to date is this at the last mark, so the next payment is the difference.
    """
    out: IntArray = (qty * marks - (cost - realised) * price_unit_micros) * contract_hours
    return out
