"""Default management: freeze, cancel, close out, cover the loss, resize the fund (CR-29 to CR-31).

``declare`` freezes an account (``AccountState.IN_DEFAULT``: the gate refuses its
commands), cancels its orders with one ``OP_MASS_CANCEL`` through the pipeline, and
closes out its portfolio:

- ``LIQUIDATION``: one market order per position through the pipeline (IOC, with the
  venue's protection), at whatever the book gives; what does not fill goes to auction;
- ``AUCTION``: each position is allocated to the surviving members' house accounts pro
  rata to their default-fund contributions, at the mark moved against the defaulter by
  ``auction_discount_bps`` (rounded to a tick against the defaulter); no fee.

Positions no one takes stay with the frozen account and are offered again after every
daily settlement. The loss is measured at the first daily settlement after the account is
flat, when variation margin has turned it into cash (``resolve``): the waterfall of
``clearing.waterfall`` covers the shortfall with ledger postings. ``resize_fund`` sizes
the default fund by Cover-2 after each daily settlement. Every step is a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from clearing.accounts import AccountType
from clearing.default_fund import contributions, cover2, member_stress, stress_scenarios
from clearing.ledger import (
    CCP,
    EXTERNAL,
    Leg,
    PostingKind,
    cash_account,
    default_fund_account,
)
from clearing.money import ceil_div
from clearing.records import (
    CloseOutTrade,
    DefaultDeclared,
    DefaultFundResized,
    DefaultResolved,
    Layer,
    OrdersCanceled,
    WaterfallStep,
)
from clearing.risk_gate import AccountState
from clearing.waterfall import allocate_pro_rata, check_strict_order, plan_waterfall
from exchange import codes as c
from exchange import commands as C

if TYPE_CHECKING:
    from clearing.house import ClearingHouse

IntArray = npt.NDArray[np.int64]


class CloseOut(StrEnum):
    """How a defaulter's portfolio is closed out (CR-29)."""

    AUCTION = "auction"
    LIQUIDATION = "liquidation"


@dataclass(frozen=True)
class DefaultParams:
    """``close_out`` method; ``auction_discount_bps``: how far from the mark, against the
    defaulter, the auction price is (basis points of the mark, 200 = 2%)."""

    close_out: CloseOut = CloseOut.AUCTION
    auction_discount_bps: int = 200

    def __post_init__(self) -> None:
        if not 0 <= self.auction_discount_bps < 10_000:
            raise ValueError("auction_discount_bps must be in 0 .. 9,999")


@dataclass
class DefaultCase:
    """A default: ``cash_at_default`` µ$ when declared; ``resolved`` once the loss is
    covered."""

    account: int
    member: int
    declared_ts: int
    cash_at_default: int
    resolved: bool = False


def defaulted_members(house: ClearingHouse) -> set[int]:
    """Return the members with an account in default."""
    return {case.member for case in house.cases.values()}


def declare(house: ClearingHouse, account: int, ts: int, reason: str) -> None:
    """Freeze ``account``, cancel its orders and close out its portfolio at ``ts`` ns."""
    if account in house.cases:
        return
    house.sync()
    member = house.registry.account(account).member_id
    case = DefaultCase(account, member, ts, house.ledger.cash(account))
    house.cases[account] = case
    house.gate.set_state(account, AccountState.IN_DEFAULT)
    call = house.calls.default(account, ts)
    if call is not None:
        house.records.append(call)
    house.records.append(DefaultDeclared(ts, account, member, case.cash_at_default, reason))
    events = house.pipeline.submit(C.mass_cancel(account, ts=ts))
    n = int(np.count_nonzero(events[:, c.E_KIND] == c.EV_CANCELED))
    house.records.append(OrdersCanceled(ts, account, n))
    close_out(house, case, ts)


def close_out(house: ClearingHouse, case: DefaultCase, ts: int) -> None:
    """Close out ``case``'s positions by the configured method, auction for the rest."""
    if house.params.defaults.close_out is CloseOut.LIQUIDATION:
        _liquidate(house, case, ts)
    _auction(house, case, ts)


def retry_close_outs(house: ClearingHouse, ts: int) -> None:
    """Offer again what unresolved defaulters still hold (after a daily settlement)."""
    for account in sorted(house.cases):
        case = house.cases[account]
        if not case.resolved and np.any(house.position_row(account)):
            close_out(house, case, ts)


def _liquidate(house: ClearingHouse, case: DefaultCase, ts: int) -> None:
    a = case.account
    cols = house.cols
    for j in np.flatnonzero(house.position_row(a)):
        slot = int(cols.contracts.slots[j]) if cols.contracts is not None else -1
        if not 0 <= slot < cols.n_slots:
            continue  # expired before final settlement: only an auction can take it
        q = int(house.position_row(a)[j])
        side = c.SIDE_SELL if q > 0 else c.SIDE_BUY
        events = house.pipeline.submit(C.market(slot, a, side, abs(q), ts=ts))
        for t in events[(events[:, c.E_KIND] == c.EV_TRADE) & (events[:, c.E_ACCOUNT] == a)]:
            qty = int(t[c.E_QTY]) * (-1 if side == c.SIDE_SELL else 1)
            house.records.append(
                CloseOutTrade(
                    ts,
                    a,
                    cols.names[j],
                    qty,
                    int(t[c.E_PRICE]),
                    "liquidation",
                    int(t[c.E_OTHER_ACCOUNT]),
                )
            )


def auction_price_units(
    mark_micros: int, price_unit_micros: int, tick_units: int, defaulter_long: bool, bps: int
) -> int:
    """Return the auction price in price units: the mark (µ$/GPU-hour) moved against the
    defaulter by ``bps`` basis points (rounded up), then to a tick against the defaulter
    (down when bidders buy its long, up when they sell to close its short); ≥ 1 tick."""
    discount = ceil_div(mark_micros * bps, 10_000)
    tick_micros = price_unit_micros * tick_units
    if defaulter_long:
        ticks = (mark_micros - discount) // tick_micros
    else:
        ticks = ceil_div(mark_micros + discount, tick_micros)
    return max(1, ticks) * tick_units


def _bidders(house: ClearingHouse) -> tuple[list[int], list[int]]:
    """Return one active house account per surviving member, and its member's weight."""
    out: dict[int, int] = {}
    excluded = defaulted_members(house)
    for acc in house.registry.accounts:
        if (
            acc.kind is AccountType.MEMBER
            and acc.member_id not in excluded
            and acc.member_id not in out
            and house.gate.state(acc.id) is AccountState.ACTIVE
        ):
            out[acc.member_id] = acc.id
    members = sorted(out)
    weights = [house.ledger.balance(default_fund_account(m)) for m in members]
    if sum(weights) == 0:
        weights = [1] * len(members)
    return [out[m] for m in members], weights


def _auction(house: ClearingHouse, case: DefaultCase, ts: int) -> None:
    a = case.account
    pos = house.position_row(a)
    bidders, weights = _bidders(house)
    contracts = house.cols.contracts
    if not np.any(pos) or not bidders or contracts is None:
        return
    cols = house.cols
    rows = []
    for j in np.flatnonzero(pos):
        q = int(pos[j])
        price = auction_price_units(
            int(cols.marks[j]),
            int(cols.price_unit_micros[j]),
            int(cols.tick_units[j]),
            q > 0,
            house.params.defaults.auction_discount_bps,
        )
        for bidder, share in zip(bidders, allocate_pro_rata(abs(q), weights), strict=True):
            if share == 0:
                continue
            row = np.zeros(c.EV_WIDTH, dtype=np.int64)
            row[c.E_KIND], row[c.E_TS] = c.EV_TRADE, ts
            row[c.E_INSTR] = contracts.slots[j]
            row[c.E_ACCOUNT], row[c.E_OTHER_ACCOUNT] = bidder, a
            row[c.E_SIDE] = c.SIDE_BUY if q > 0 else c.SIDE_SELL
            row[c.E_PRICE], row[c.E_QTY] = price, share
            rows.append(row)
            closed = -share if q > 0 else share
            house.records.append(
                CloseOutTrade(ts, a, cols.names[j], closed, price, "auction", bidder)
            )
    house.book.book(np.vstack(rows), charge_fees=False)
    for account in {a, *bidders}:
        house.gate.invalidate(account)


def resolve(house: ClearingHouse, ts: int) -> None:
    """Cover the loss of every flat, unresolved defaulter by the waterfall (CR-30)."""
    ledger = house.ledger
    for account in sorted(house.cases):
        case = house.cases[account]
        if case.resolved or np.any(house.position_row(account)):
            continue
        cash = ledger.cash(account)
        margin = max(case.cash_at_default, 0)
        loss = max(0, margin - cash)
        excluded = defaulted_members(house)
        survivors = {
            m.id: ledger.balance(default_fund_account(m.id))
            for m in house.registry.members
            if m.id not in excluded
        }
        steps = plan_waterfall(
            account,
            case.member,
            loss,
            margin,
            ledger.balance(default_fund_account(case.member)),
            max(0, ledger.balance(CCP)),
            survivors,
            house.params.fund.assessment_percent,
        )
        check_strict_order(steps)
        for layer in (Layer.DEFAULTER_FUND, Layer.CCP_CAPITAL, Layer.SURVIVORS_FUND):
            _post_layer(house, account, [s for s in steps if s.layer is layer], False)
        _post_layer(house, account, [s for s in steps if s.layer is Layer.ASSESSMENTS], True)
        for s in steps:
            house.records.append(
                WaterfallStep(ts, account, s.layer, s.payer, s.member, s.amount, s.available)
            )
        uncovered = sum(s.amount for s in steps if s.layer is Layer.UNCOVERED)
        house.records.append(
            DefaultResolved(ts, account, loss, loss - uncovered, uncovered, max(cash, 0))
        )
        case.resolved = True


def _post_layer(house: ClearingHouse, account: int, steps: list, assessment: bool) -> None:
    legs = [Leg(s.payer, -s.amount) for s in steps if s.amount > 0]
    if legs:
        total = -sum(leg.amount for leg in legs)
        legs.append(Leg(cash_account(account), total))
        kind = PostingKind.ASSESSMENT if assessment else PostingKind.DEFAULT_LOSS
        house.ledger.post(kind, legs, ref=f"default of account {account}")


def resize_fund(house: ClearingHouse, day: date, ts: int) -> None:
    """Size the default fund by Cover-2 and bring each contribution to its share (CR-31)."""
    registry, ledger, params = house.registry, house.ledger, house.params.fund
    n_members = len(registry.members)
    if n_members == 0 or not len(house.cols):
        return
    house.sync()
    excluded = defaulted_members(house)
    eligible = np.array([m.id not in excluded for m in registry.members], dtype=bool)
    member_of = registry.member_ids()
    positions = np.array(house.book.positions)
    positions[~eligible[member_of]] = 0
    cols = house.cols
    values = cols.marks * cols.contract_hours
    scenarios = stress_scenarios(cols.product_pos, params.stress_moves_bps)
    cash = ledger.cash_balances()
    stress = member_stress(positions, values, scenarios, cash, member_of, n_members)
    stress[~eligible] = 0
    fund = cover2(stress, params.min_fund_micros)
    weights = np.zeros(n_members, dtype=np.int64)
    np.add.at(weights, member_of, house.initial[: len(member_of)])
    required = contributions(fund, weights, eligible, params.min_contribution_micros)
    for m in np.flatnonzero(eligible):
        name = default_fund_account(int(m))
        change = int(required[m]) - ledger.balance(name)
        if change > 0:
            legs = (Leg(EXTERNAL, -change), Leg(name, change))
            ledger.post(PostingKind.DEFAULT_FUND_CONTRIBUTION, legs, ref=f"Cover-2 {day}")
        elif change < 0:
            legs = (Leg(name, change), Leg(EXTERNAL, -change))
            ledger.post(PostingKind.DEFAULT_FUND_REFUND, legs, ref=f"Cover-2 {day}")
        if change:
            house.records.append(
                DefaultFundResized(ts, day, int(m), int(required[m]), change, fund)
            )
