"""Settlement cycles of the clearing house: daily, intraday and final (CR-24 to CR-27, CR-32).

``plan_*`` functions are pure: they compute what a cycle would do and raise (an
``IndexNotPublished``, a ``SettlementError``) before anything changes. ``run_*`` functions
apply a cycle and return a ``Cycle`` with the variation margin per account and contract.
Variation margin of a column is the change of every position's marked value (CR-26); it
is posted as one ledger posting of cash legs that sum to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from clearing import defaults
from clearing.columns import Columns
from clearing.errors import LedgerIntegrityError, SettlementError
from clearing.index.base import IndexNotPublished
from clearing.ledger import PostingKind
from clearing.positions import PositionBook
from clearing.records import (
    CashSettlementFeeRecord,
    SettlementRecord,
    Tier,
    VariationMarginRecord,
)
from clearing.risk_gate import AccountState
from clearing.settlement import final_settlement_price, marked_value, settlement_prices
from exchange import codes as c
from exchange import commands as C
from exchange.calendar import ns_to_date
from exchange.products import Contract

if TYPE_CHECKING:
    from clearing.house import ClearingHouse

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Cycle:
    """What one settlement cycle did: ``kind`` ("daily", "intraday", "final"); per column
    of ``contracts`` the price (µ$/GPU-hour) and ``Tier``; ``variation`` (A, C) µ$ paid to
    (> 0) or by each account in each contract (0 for columns not settled)."""

    ts: int
    day: date
    kind: str
    contracts: tuple[str, ...]
    prices: IntArray
    tiers: IntArray
    variation: IntArray


@dataclass(frozen=True)
class Plan:
    """Prices a cycle would settle at (µ$/GPU-hour), their tiers, window volumes, and the
    columns it settles (``mask``) and closes (``final``)."""

    prices: IntArray
    tiers: IntArray
    volume: IntArray
    mask: BoolArray
    final: BoolArray


# -------------------------------------------------------------------- valuation
def value_at(book: PositionBook, cols: Columns, marks: IntArray) -> IntArray:
    """Return every position's marked value at ``marks``, µ$ (A, C)."""
    return value_at_rows(book, cols, marks, slice(None))


def value_at_rows(book: PositionBook, cols: Columns, marks: IntArray, rows: slice) -> IntArray:
    """Return the marked values of the accounts in ``rows`` at ``marks``, µ$."""
    return marked_value(
        book.positions[rows],
        book.cost[rows],
        book.realised[rows],
        marks,
        cols.price_unit_micros,
        cols.contract_hours,
    )


# -------------------------------------------------------------------- plans
def _market_inputs(house: ClearingHouse, end: int) -> tuple[tuple[IntArray, IntArray], ...]:
    cols = house.cols
    n = len(cols)
    window = house.tape.window(end - house.params.settlement.closing_window_ns, end)
    col = cols.slot_col[window[:, 1]] if len(window) else np.zeros(0, dtype=np.int64)
    keep = col >= 0
    value = np.zeros(n, dtype=np.int64)
    qty = np.zeros(n, dtype=np.int64)
    w = window[keep]
    np.add.at(value, col[keep], w[:, 2] * cols.price_unit_micros[col[keep]] * w[:, 3])
    np.add.at(qty, col[keep], w[:, 3])
    bid = np.zeros(n, dtype=np.int64)
    ask = np.zeros(n, dtype=np.int64)
    engine = house.venue.engine
    for slot in np.flatnonzero(cols.slot_col >= 0):
        j = int(cols.slot_col[slot])
        bid[j] = engine.best_bid(int(slot)) * cols.price_unit_micros[j]
        ask[j] = engine.best_ask(int(slot)) * cols.price_unit_micros[j]
    return (value, qty), (bid, ask)


def _require_columns(house: ClearingHouse) -> None:
    if not len(house.cols):
        raise SettlementError("no contract is cleared yet: open the venue first")


def plan_daily(house: ClearingHouse, day: date, ts: int) -> Plan:
    """Return the daily settlement of ``day`` at ``ts`` (its close); change nothing.

    Raises ``SettlementError`` for a day that is not a business day or not after the
    last settled day, and ``IndexNotPublished`` when a tier or a final settlement needs
    a print that is missing.
    """
    _require_columns(house)
    if not house.calendar.is_business_day(day):
        raise SettlementError(f"{day} is not a business day")
    if house.last_day is not None and day <= house.last_day:
        raise SettlementError(f"{day} is not after the last settled day {house.last_day}")
    cols = house.cols

    def index_change(p: int) -> tuple[int, int]:
        code = cols.codes[p]
        src = house.index.get(code)
        if src is None:
            raise IndexNotPublished(f"no index source for {code}")
        return src.units(day), house.index_ref[code]

    window, best = _market_inputs(house, ts)
    prices, tiers = settlement_prices(
        cols.product_pos,
        cols.month_index,
        cols.tick_micros,
        cols.settles,
        window,
        best,
        index_change,
    )
    assert cols.contracts is not None
    final = np.array([k.expiry_ts <= ts for k in cols.contracts.contracts], dtype=bool)
    for j in np.flatnonzero(final):
        prices[j] = _final_price(house, cols.contracts.contracts[j])
        tiers[j] = Tier.FINAL
    return Plan(prices, tiers, window[1], np.ones(len(cols), dtype=bool), final)


def _final_price(house: ClearingHouse, contract: Contract) -> int:
    src = house.index.get(contract.product)
    if src is None:
        raise IndexNotPublished(f"no index source for {contract.product}")
    spec = house.venue.products[contract.product]
    return final_settlement_price(
        contract, src, spec, house.params.settlement.final_precision_micros
    )


def plan_intraday(house: ClearingHouse, ts: int) -> Plan:
    """Return an intraday cycle at ``ts``: VWAP or mid, else the mark is kept."""
    _require_columns(house)
    cols = house.cols
    window, best = _market_inputs(house, ts)
    prices, tiers = settlement_prices(
        cols.product_pos, cols.month_index, cols.tick_micros, cols.marks, window, best, None
    )
    n = len(cols)
    return Plan(prices, tiers, window[1], np.ones(n, dtype=bool), np.zeros(n, dtype=bool))


def plan_final(house: ClearingHouse, contract: Contract, ts: int) -> Plan:
    """Return the final settlement of ``contract`` alone at ``ts``."""
    _require_columns(house)
    if ts < contract.expiry_ts:
        raise SettlementError(f"{contract.name} trades until {contract.expiry_ts} ns")
    try:
        j = house.cols.column(contract.name)
    except ValueError:
        raise SettlementError(f"{contract.name} is not cleared (settled already?)") from None
    prices = house.cols.marks.copy()
    tiers = np.full(len(prices), Tier.UNCHANGED, dtype=np.int64)
    prices[j], tiers[j] = _final_price(house, contract), Tier.FINAL
    mask = np.zeros(len(prices), dtype=bool)
    mask[j] = True
    return Plan(prices, tiers, np.zeros(len(prices), dtype=np.int64), mask, mask.copy())


# -------------------------------------------------------------------- applying
def pay_variation(house: ClearingHouse, plan: Plan, ts: int) -> IntArray:
    """Pay variation margin at ``plan.prices`` on the columns of ``plan.mask``; return it
    (A, C) µ$. Raises ``LedgerIntegrityError`` if a column does not sum to zero."""
    cols, book = house.cols, house.book
    marks = np.where(plan.mask, plan.prices, cols.marks)
    value = value_at(book, cols, marks)
    vm = np.where(plan.mask[None, :], value - cols.vm_paid, 0)
    bad = np.flatnonzero(vm.sum(axis=0))
    if bad.size:
        raise LedgerIntegrityError(f"variation margin of {cols.names[bad[0]]} does not sum to 0")
    net = vm.sum(axis=1)
    payers = np.flatnonzero(net)
    if payers.size:
        amounts = net[payers]
        ref = f"variation margin at {ts}"
        house.ledger.post_cash(PostingKind.VARIATION_MARGIN, payers, amounts, ref=ref)
        house.records.extend(
            map(VariationMarginRecord, repeat(ts), payers.tolist(), amounts.tolist())
        )
    np.copyto(cols.vm_paid, value, where=plan.mask[None, :])  # = value[:, mask], in place
    cols.marks[plan.mask] = plan.prices[plan.mask]
    return vm


def _settlement_records(house: ClearingHouse, plan: Plan, ts: int, intraday: bool) -> None:
    day = ns_to_date(ts)
    for j in np.flatnonzero(plan.mask):
        house.records.append(
            SettlementRecord(
                ts,
                day,
                house.cols.names[j],
                int(plan.prices[j]),
                Tier(int(plan.tiers[j])),
                int(plan.volume[j]),
                intraday,
            )
        )


def close_final(house: ClearingHouse, final: BoolArray, ts: int) -> None:
    """Cancel the orders left in finally settled contracts, charge the cash-settlement fee
    on positions held to final settlement and drop the columns (positions settled in
    cash)."""
    cols = house.cols
    assert cols.contracts is not None
    for j in np.flatnonzero(final):
        slot = int(cols.contracts.slots[j])
        if slot < cols.n_slots:
            house.pipeline.submit(C.mass_cancel(-1, slot, ts=ts))
    book = house.book
    fees = np.zeros(book.n_accounts, dtype=np.int64)
    for j in np.flatnonzero(final):
        k = cols.contracts.contracts[j]
        fee = house.venue.products[k.product].cash_settlement_fee_micros
        qty = np.abs(book.positions[:, j])
        for a in np.flatnonzero(qty):
            house.records.append(
                CashSettlementFeeRecord(ts, int(a), k.name, int(qty[a]), int(qty[a]) * fee)
            )
        fees += qty * fee
        house.settled.add(k.name)
    house.ledger.charge_fees(fees, ref=f"cash settlement at {ts}")
    house.reconcile(ts)


def _margin_and_calls(house: ClearingHouse, day: date, ts: int, intraday: bool) -> None:
    """Recompute margin at the new marks and issue or close margin calls (CR-28)."""
    house.set_market(day)
    house.sync()
    kinds = house.registry.kinds()
    if house.margin is None or len(kinds) == 0:
        return
    req = house.margin.requirements(house.book.positions, kinds, house.market)
    house.initial, house.maintenance = req.initial.copy(), req.maintenance.copy()
    cash = house.ledger.cash_balances()
    equity = cash + house.unsettled()
    gate, calls = house.gate, house.calls
    for aa in np.flatnonzero((equity < req.maintenance) | (gate.states[: len(kinds)] > 0)):
        a = int(aa)
        state = gate.state(a)
        eq, mm, im = int(equity[a]), int(req.maintenance[a]), int(req.initial[a])
        if state is AccountState.IN_DEFAULT:
            continue
        if a in calls.open:
            met = calls.met_by_market(a, ts, eq, im)
            if met is not None:
                house.records.append(met)
                if state is AccountState.MARGIN_CALL:
                    gate.set_state(a, AccountState.ACTIVE)
            continue
        issued = calls.issue(a, ts, eq, mm, im, intraday)
        if issued is not None:
            house.records.append(issued)
            if state is AccountState.ACTIVE:
                gate.set_state(a, AccountState.MARGIN_CALL)


def _update_references(house: ClearingHouse, ts: int) -> None:
    """Move each traded contract's price-band reference to its settlement price."""
    cols = house.cols
    units = cols.mark_units()
    for slot in np.flatnonzero(cols.slot_col >= 0):
        j = int(cols.slot_col[slot])
        house.pipeline.submit(C.set_param(int(slot), c.PARAM_REF_PRICE, int(units[j]), ts=ts))


def run_daily(house: ClearingHouse, day: date, ts: int) -> Cycle:
    """Apply the daily cycle of ``day`` (order of CR-32); return it."""
    plan = plan_daily(house, day, ts)
    names = tuple(house.cols.names)
    vm = pay_variation(house, plan, ts)
    house.cols.settles[:] = plan.prices
    _settlement_records(house, plan, ts, intraday=False)
    for code in house.cols.codes:
        src = house.index.get(code)
        if src is not None and day in src.days:
            house.index_ref[code] = src.units(day)
    house.last_day = day
    if plan.final.any():
        close_final(house, plan.final, ts)
    defaults.resolve(house, ts)
    _margin_and_calls(house, day, ts, intraday=False)
    for account in house.calls.due(ts):
        defaults.declare(house, account, ts, "margin call unpaid at its deadline")
    defaults.retry_close_outs(house, ts)
    defaults.resize_fund(house, day, ts)
    if house.params.update_reference_prices:
        _update_references(house, ts)
    house.tape.prune(ts)
    return Cycle(ts, day, "daily", names, plan.prices, plan.tiers, vm)


def run_intraday(house: ClearingHouse, ts: int) -> Cycle:
    """Apply an intraday cycle at ``ts``: variation margin, margin, calls (CR-25)."""
    plan = plan_intraday(house, ts)
    names = tuple(house.cols.names)
    vm = pay_variation(house, plan, ts)
    _settlement_records(house, plan, ts, intraday=True)
    _margin_and_calls(house, house.last_day or ns_to_date(ts), ts, intraday=True)
    return Cycle(ts, ns_to_date(ts), "intraday", names, plan.prices, plan.tiers, vm)


def run_final(house: ClearingHouse, contract: Contract, ts: int) -> Cycle:
    """Apply the final settlement of ``contract`` at ``ts`` (CR-27); return it."""
    plan = plan_final(house, contract, ts)
    names = tuple(house.cols.names)
    vm = pay_variation(house, plan, ts)
    _settlement_records(house, plan, ts, intraday=False)
    close_final(house, plan.final, ts)
    return Cycle(ts, ns_to_date(ts), "final", names, plan.prices, plan.tiers, vm)
