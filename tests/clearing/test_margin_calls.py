"""Margin calls: issue, payment, market recovery, deadline (docs/clearing-rules.md CR-28,
CR-25 for the intraday cycle).

Account 1, a speculator with $1,200, buys 10 December H100 at 281 from account 0 (fee
$36.50). December then settles at 251: variation margin 10 × (251 − 281) × $7.30 =
−$2,190, so cash is −$1,026.50, below maintenance ($1,000): a call for initial − equity =
$1,100 + $1,026.50 = $2,126.50.
"""

from __future__ import annotations

from datetime import date

from clearing.accounts import AccountType
from clearing.house import HouseParams
from clearing.margin_calls import CallParams
from clearing.ops import ClearingReject as R
from clearing.records import CallStatus, DefaultDeclared, MarginCallRecord, Tier
from clearing.risk_gate import AccountState
from exchange.calendar import DEFAULT_CALENDAR as CAL
from tests.clearing.house_kit import BUY, DEC, SELL, START, USD, at, build_market, rejects

CENT = 10_000
DAY2 = date(2026, 11, 17)
HOUR = 3_600 * 10**9


def called(calls: CallParams | None = None):
    m = build_market(
        [(0, AccountType.MEMBER), (1, AccountType.SPECULATOR)],
        n_members=2,
        params=HouseParams(calls=calls or CallParams()),
    )
    m.house.deposit(0, 1_000_000 * USD)
    m.house.deposit(1, 1_200 * USD)
    m.order(0, DEC, SELL, 10, 281, at(START, 10))
    m.order(1, DEC, BUY, 10, 281, at(START, 10))
    m.order(0, DEC, BUY, 1, 250, at(START, 20))
    m.order(0, DEC, SELL, 1, 252, at(START, 20))
    m.house.end_of_day(START)
    return m


def calls(m) -> list[tuple[CallStatus, int, int]]:
    return [
        (r.status, r.amount, r.outstanding)
        for r in m.house.records
        if isinstance(r, MarginCallRecord) and r.account == 1
    ]


def test_equity_below_maintenance_brings_a_call_to_restore_initial_margin() -> None:
    m = called()

    assert m.cash(1) == -1_026_50 * CENT
    assert calls(m) == [(CallStatus.ISSUED, 2_126_50 * CENT, 2_126_50 * CENT)]
    assert m.house.gate.state(1) is AccountState.MARGIN_CALL
    assert m.house.summary(1).call_outstanding == 2_126_50 * CENT
    assert m.house.calls.open[1].deadline_ts == CAL.close_ts(START) + 16 * HOUR


def test_under_a_call_only_orders_that_do_not_add_margin_are_accepted() -> None:
    m = called()

    adding = m.order(1, DEC, BUY, 1, 251, at(DAY2, 9))
    reducing = m.order(1, DEC, SELL, 2, 260, at(DAY2, 9))

    assert rejects(adding) == [R.MARGIN_CALL_PENDING]
    assert rejects(reducing) == []


def test_payments_go_towards_the_call_and_a_paid_call_restores_the_account() -> None:
    m = called()

    m.house.deposit(1, 1_000 * USD)
    assert m.house.gate.state(1) is AccountState.MARGIN_CALL
    m.house.deposit(1, 2_000 * USD)

    assert calls(m)[1:] == [
        (CallStatus.PAID, 1_000 * USD, 1_126_50 * CENT),
        (CallStatus.PAID, 1_126_50 * CENT, 0),
        (CallStatus.MET, 0, 0),
    ]
    assert m.house.gate.state(1) is AccountState.ACTIVE and 1 not in m.house.calls.open
    assert rejects(m.order(1, DEC, BUY, 1, 251, at(DAY2, 9))) == []


def test_a_call_is_met_when_a_settlement_restores_initial_margin() -> None:
    m = called()
    m.pipe.advance(at(DAY2, 9))
    m.order(0, DEC, BUY, 1, 299, at(DAY2, 20))
    m.order(0, DEC, SELL, 1, 301, at(DAY2, 20))

    m.house.end_of_day(DAY2)  # mid 300: + 10 × 49 × $7.30 = $3,577

    assert m.cash(1) == 2_550_50 * CENT
    assert calls(m)[-1][0] is CallStatus.MET
    assert m.house.gate.state(1) is AccountState.ACTIVE


def test_a_call_unpaid_at_its_deadline_makes_the_account_default() -> None:
    m = called()
    deadline = m.house.calls.open[1].deadline_ts
    m.house.deposit(1, 100 * USD)

    m.pipe.advance(deadline - 1)
    assert m.house.gate.state(1) is AccountState.MARGIN_CALL
    m.pipe.advance(deadline)

    assert m.house.gate.state(1) is AccountState.IN_DEFAULT
    assert calls(m)[-1] == (CallStatus.DEFAULTED, 2_026_50 * CENT, 2_026_50 * CENT)
    declared = [r for r in m.house.records if isinstance(r, DefaultDeclared)]
    assert [(r.account, r.ts) for r in declared] == [(1, deadline)]


def test_an_account_has_one_call_at_a_time() -> None:
    m = called(CallParams(deadline_ns=48 * HOUR))
    m.pipe.advance(at(DAY2, 9))
    m.order(0, DEC, BUY, 1, 230, at(DAY2, 20))
    m.order(0, DEC, SELL, 1, 232, at(DAY2, 20))

    m.house.end_of_day(DAY2)  # lower still, the call not yet due: no second call

    assert [s for s, *_ in calls(m)] == [CallStatus.ISSUED]
    assert m.house.gate.state(1) is AccountState.MARGIN_CALL


def test_an_intraday_cycle_pays_variation_margin_and_calls_with_a_one_hour_deadline() -> None:
    m = build_market([(0, AccountType.MEMBER), (1, AccountType.SPECULATOR)], n_members=2)
    m.house.deposit(0, 1_000_000 * USD)
    m.house.deposit(1, 1_200 * USD)
    m.order(0, DEC, SELL, 10, 281, at(START, 10))
    m.order(1, DEC, BUY, 10, 281, at(START, 10))

    quiet = m.house.intraday(at(START, 14))  # no trade in the window, no two-sided book
    m.order(1, DEC, SELL, 1, 250, at(START, 14, 10))
    m.order(0, DEC, BUY, 1, 250, at(START, 14, 20))
    cycle = m.house.intraday(at(START, 14, 30))

    assert quiet.tiers[DEC] == Tier.UNCHANGED and not quiet.variation.any()
    assert cycle.kind == "intraday" and cycle.tiers[DEC] == Tier.VWAP
    # 9 held and 1 sold, all from 281 to 250: 10 × −31 × $7.30 = −$2,263
    assert cycle.variation[1, DEC] == -2_263 * USD
    # fees $36.50 (taker) and $3.65 (maker): cash −$1,103.15; 9 contracts: initial $990
    assert m.cash(1) == -1_103_15 * CENT
    assert calls(m) == [(CallStatus.ISSUED, 2_093_15 * CENT, 2_093_15 * CENT)]
    assert m.house.calls.open[1].deadline_ts == at(START, 15, 30)
    assert m.house.cols.settles[DEC] == 2_810_000  # the daily settlement is unchanged
