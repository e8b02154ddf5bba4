"""The pre-trade gate through the real pipeline and engine (docs/clearing-rules.md CR-22).

Margin here is the flat $100 a contract of ``house_kit.FlatMargin``: a speculator's
initial margin is $110 a contract.
"""

from __future__ import annotations

import dataclasses

import pytest

from clearing.accounts import AccountType
from clearing.house import HouseParams
from clearing.ops import ClearingReject as R
from clearing.ops import wire_code
from clearing.risk_gate import AccountState, GateParams
from exchange import codes as c
from exchange import commands as C
from tests.clearing.house_kit import BUY, DEC, H100, SELL, START, USD, at, build_market, rejects

T = at(START, 10)
SPEC = AccountType.SPECULATOR


def market_with_trader(cash_usd: int = 1_000, **params: object):
    """Member 0's house account 0 (rich) and a speculator, account 1, with ``cash_usd``."""
    m = build_market(
        [(0, AccountType.MEMBER), (1, SPEC)], n_members=2, params=HouseParams(**params)
    )
    m.house.deposit(0, 1_000_000 * USD)
    m.house.deposit(1, cash_usd * USD)
    return m


# ------------------------------------------------------------------ margin holds
def test_an_order_whose_worst_case_margin_exceeds_equity_is_rejected_not_enough_funds() -> None:
    m = market_with_trader(1_000)

    ok = m.order(1, DEC, BUY, 9, 280, T)  # 9 × $110 = $990 ≤ $1,000
    too_much = m.order(1, DEC, BUY, 1, 279, T)  # 10 × $110 = $1,100 > $1,000

    assert rejects(ok) == []
    assert rejects(too_much) == [R.NOT_ENOUGH_FUNDS]
    assert wire_code(R.NOT_ENOUGH_FUNDS) == 10_009
    assert m.house.gate.hold(1) == 990 * USD
    assert m.house.summary(1).free == 10 * USD


def test_a_cancel_releases_the_hold() -> None:
    m = market_with_trader(1_000)
    oid = int(m.order(1, DEC, BUY, 9, 280, T)[0, c.E_OID])

    m.pipe.submit(C.cancel(oid, 1, ts=T))

    assert m.house.gate.hold(1) == 0
    assert rejects(m.order(1, DEC, BUY, 9, 280, T)) == []


def test_a_fill_turns_the_hold_into_position_margin() -> None:
    m = market_with_trader(1_000)
    m.order(1, DEC, BUY, 9, 280, T)

    m.order(0, DEC, SELL, 4, 280, T)

    s = m.house.summary(1)
    assert m.house.position_row(1)[DEC] == 4
    assert s.required == 990 * USD and s.hold == 5 * 110 * USD


def test_an_expiring_day_order_releases_its_hold() -> None:
    m = market_with_trader(1_000)
    m.order(1, DEC, BUY, 9, 280, T, tif=c.TIF_GTD, expire=at(START, 12))

    m.pipe.advance(at(START, 13))

    assert m.house.gate.hold(1) == 0 and m.house.gate.open_quantity(1, m.slot(DEC), BUY) == 0


def test_the_worst_case_is_the_side_that_leaves_the_larger_position() -> None:
    m = market_with_trader(10_000)
    m.order(0, DEC, SELL, 5, 280, T)
    m.order(1, DEC, BUY, 5, 280, T)  # long 5

    m.order(1, DEC, SELL, 12, 290, T)  # all sells filled: short 7
    m.order(1, DEC, BUY, 1, 270, T)  # all buys filled: long 6

    assert m.house.summary(1).required == 7 * 110 * USD
    assert m.house.gate.hold(1) == 2 * 110 * USD


def test_an_increase_by_replace_is_gated_and_a_decrease_is_not() -> None:
    m = market_with_trader(1_000)
    oid = int(m.order(1, DEC, BUY, 9, 280, T)[0, c.E_OID])

    bigger = m.pipe.submit(C.replace(oid, 280, 10, 1, ts=T))
    smaller = m.pipe.submit(C.replace(oid, 280, 5, 1, ts=T))

    assert rejects(bigger) == [R.NOT_ENOUGH_FUNDS]
    assert rejects(smaller) == [] and m.house.gate.hold(1) == 5 * 110 * USD


# ------------------------------------------------------------------ states
def test_a_suspended_account_may_only_reduce() -> None:
    m = market_with_trader(10_000)
    m.order(0, DEC, SELL, 3, 280, T)
    m.order(1, DEC, BUY, 3, 280, T)
    m.order(0, DEC, BUY, 10, 279, T)
    m.house.suspend(1)

    adding = m.order(1, DEC, BUY, 1, 279, T)
    reducing = m.order(1, DEC, SELL, 5, 279, T, flags=c.FLAG_REDUCE_ONLY)

    assert rejects(adding) == [R.ACCOUNT_SUSPENDED]
    assert rejects(reducing) == []
    accepted = reducing[reducing[:, c.E_KIND] == c.EV_ACCEPTED][0]
    assert accepted[c.E_QTY] == 3  # cut to the position the gate supplied (MR-3 step 9)
    assert m.house.position_row(1)[DEC] == 0
    m.house.reinstate(1)
    assert m.house.gate.state(1) is AccountState.ACTIVE


def test_an_account_in_default_is_refused_everything() -> None:
    m = market_with_trader(1_000)
    m.house.declare_default(1)

    assert rejects(m.order(1, DEC, BUY, 1, 280, T)) == [R.ACCOUNT_IN_DEFAULT]


def test_unknown_accounts_and_uncleared_contracts_are_refused() -> None:
    m = market_with_trader(1_000)
    unlisted = max(m.venue.contract_of) + 1

    assert rejects(m.order(9, DEC, BUY, 1, 280, T)) == [R.UNKNOWN_ACCOUNT]
    assert rejects(m.pipe.submit(C.limit(unlisted, 1, BUY, 1, 280, ts=T))) == [
        R.CONTRACT_NOT_CLEARED
    ]


# ------------------------------------------------------------------ limits
def test_orders_above_the_maximum_size_are_refused() -> None:
    m = market_with_trader(1_000_000, gate=GateParams(max_order_qty=50))

    assert rejects(m.order(1, DEC, BUY, 51, 280, T)) == [R.MAX_ORDER_SIZE]
    assert rejects(m.order(1, DEC, BUY, 50, 280, T)) == []


@pytest.mark.parametrize("column, refused", [(0, True), (DEC, False)])
def test_the_spot_month_limit_applies_to_the_front_contract_only(column, refused) -> None:
    small = dataclasses.replace(H100, spot_month_position_limit=10)
    m = build_market([(0, AccountType.MEMBER), (1, SPEC)], n_members=2, products={"H100": small})
    m.house.deposit(1, 1_000_000 * USD)
    m.order(1, column, BUY, 6, 280, T)

    second = m.order(1, column, BUY, 5, 279, T)  # worst-case long 11 > 10

    assert rejects(second) == ([R.POSITION_LIMIT] if refused else [])
    assert rejects(m.order(1, column, SELL, 15, 290, T)) == ([R.POSITION_LIMIT] if refused else [])


def test_a_general_position_limit_applies_to_every_contract() -> None:
    m = market_with_trader(1_000_000, gate=GateParams(position_limit=8))
    m.order(1, DEC, SELL, 8, 290, T)

    assert rejects(m.order(1, DEC, SELL, 1, 291, T)) == [R.POSITION_LIMIT]
    assert rejects(m.order(1, DEC, BUY, 8, 280, T)) == []
