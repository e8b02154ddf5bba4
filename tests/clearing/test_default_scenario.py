"""A scripted default, figures worked out by hand (docs/clearing-rules.md CR-26, CR-28 to
CR-31).

Members 0, 1, 2 each have a house account (0, 1, 2); member 2 also clears account 3, a
speculator with $2,000 who buys 10 December H100 at $2.81. Margin is a flat $100 a
contract ($110 initial for the speculator). The fund floor is $300, $100 a member; the
CCP brings $100 of capital; stress moves are ±1% so that Cover-2 stays under the floor.

Day 1 (16 Nov): account 3 buys 10 @ 281 from account 0 (taker fee $36.50): cash
$1,963.50. December settles at the mid 281. Each member pays $100 into the fund.
Day 2: December trades 1 @ 250 in the closing window: VWAP 250. Account 3 pays variation
margin 10 × (250 − 281) × $7.30 = $2,263: cash −$299.50 < maintenance $1,000, so it is
called for initial − equity = $1,100 + $299.50 = $1,399.50, due 16 h after the close.
Day 3, 13:00: unpaid. Account 3 defaults with cash −$299.50 (margin 0). Close-out by
auction (at the mark less 2%: 250 → 245, 5 contracts to each of members 0 and 1) or by
liquidation (a market sell filling 10 @ 246 against account 1's bid, $36.50 fee). December
settles at 250 (a mid). The loss is then measured and covered by the waterfall.
"""

from __future__ import annotations

from datetime import date

import pytest

from clearing.accounts import AccountType
from clearing.default_fund import FundParams
from clearing.defaults import CloseOut, DefaultParams
from clearing.house import HouseParams
from clearing.ledger import PostingKind, assessment_account, default_fund_account
from clearing.ops import ClearingReject as R
from clearing.records import (
    CallStatus,
    CloseOutTrade,
    DefaultDeclared,
    DefaultFundResized,
    DefaultResolved,
    Layer,
    MarginCallRecord,
    WaterfallStep,
)
from clearing.risk_gate import AccountState
from exchange import commands as C
from exchange.calendar import DEFAULT_CALENDAR as CAL
from tests.clearing.house_kit import BUY, DEC, SELL, USD, at, build_market, rejects

D1, D2, D3 = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
CENT = 10_000  # µ$


def run(method: CloseOut):
    params = HouseParams(
        ccp_capital_micros=100 * USD,
        fund=FundParams(
            stress_moves_bps=(-100, 100),
            min_fund_micros=300 * USD,
            min_contribution_micros=100 * USD,
        ),
        defaults=DefaultParams(close_out=method),
    )
    m = build_market(
        [(0, AccountType.MEMBER), (1, AccountType.MEMBER), (2, AccountType.MEMBER),
         (2, AccountType.SPECULATOR)],
        params=params,
    )  # fmt: skip
    h = m.house
    for a in range(3):
        h.deposit(a, 100_000 * USD)
    h.deposit(3, 2_000 * USD)
    # day 1
    m.order(0, DEC, SELL, 10, 281, at(D1, 10))
    m.order(3, DEC, BUY, 10, 281, at(D1, 10))
    m.order(1, DEC, BUY, 1, 280, at(D1, 20))
    m.order(1, DEC, SELL, 1, 282, at(D1, 20))
    h.end_of_day(D1)
    day1_cash = m.cash(3)
    # day 2
    m.pipe.advance(at(D2, 9))
    m.pipe.submit(C.mass_cancel(1, ts=at(D2, 9)))
    m.order(1, DEC, SELL, 1, 250, at(D2, 20, 40))
    m.order(2, DEC, BUY, 1, 250, at(D2, 20, 45))
    h.end_of_day(D2)
    day2_cash = m.cash(3)
    state_after_call = h.gate.state(3)
    # day 3
    m.pipe.advance(at(D3, 9))
    if method is CloseOut.LIQUIDATION:
        m.order(1, DEC, BUY, 10, 246, at(D3, 10))
    m.pipe.advance(at(D3, 13))
    m.order(2, DEC, BUY, 1, 249, at(D3, 20))
    m.order(2, DEC, SELL, 1, 251, at(D3, 20))
    h.end_of_day(D3)
    return m, day1_cash, day2_cash, state_after_call


def of(m, kind):
    return [r for r in m.house.records if isinstance(r, kind)]


@pytest.mark.parametrize("method", [CloseOut.AUCTION, CloseOut.LIQUIDATION])
def test_the_call_the_default_and_the_close_out_match_the_hand_figures(method) -> None:
    m, day1_cash, day2_cash, state_after_call = run(method)

    assert day1_cash == 1_963_50 * CENT
    assert day2_cash == -299_50 * CENT
    assert state_after_call is AccountState.MARGIN_CALL
    calls = [r for r in of(m, MarginCallRecord) if r.account == 3]
    assert [(r.status, r.amount) for r in calls] == [
        (CallStatus.ISSUED, 1_399_50 * CENT),
        (CallStatus.DEFAULTED, 1_399_50 * CENT),
    ]
    assert calls[0].deadline_ts == CAL.close_ts(D2) + 16 * 3_600 * 10**9
    assert calls[0].equity == -299_50 * CENT and calls[0].maintenance == 1_000 * USD
    (declared,) = of(m, DefaultDeclared)
    assert (declared.account, declared.member, declared.cash) == (3, 2, -299_50 * CENT)
    assert declared.ts == at(D3, 13)
    trades = [(r.qty, r.price_units, r.method, r.counterparty) for r in of(m, CloseOutTrade)]
    if method is CloseOut.AUCTION:
        assert trades == [(-5, 245, "auction", 0), (-5, 245, "auction", 1)]
    else:
        assert trades == [(-10, 246, "liquidation", 1)]
    assert m.house.gate.state(3) is AccountState.IN_DEFAULT
    assert rejects(m.order(3, DEC, BUY, 1, 250, at(D3, 20))) == [R.ACCOUNT_IN_DEFAULT]


@pytest.mark.parametrize(
    "method, loss, assessed",
    [
        # auction: 10 × (250 − 245) × $7.30 = $365 more: −$299.50 − $365 = −$664.50
        (CloseOut.AUCTION, 664_50 * CENT, 132_25 * CENT),
        # liquidation: 10 × (250 − 246) × $7.30 + $36.50 fee = $328.50: −$628.00
        (CloseOut.LIQUIDATION, 628 * USD, 114 * USD),
    ],
)
def test_the_loss_is_covered_layer_by_layer_in_order(method, loss, assessed) -> None:
    m, *_ = run(method)
    ledger = m.house.ledger

    steps = [(s.layer, s.payer, s.amount, s.available) for s in of(m, WaterfallStep)]

    # $0 margin, $100 own fund, $100 CCP, 2 × $100 survivors' fund, the rest assessed
    # on members 0 and 1 equally (caps 275% × $100 = $275 each).
    assert steps == [
        (Layer.DEFAULTER_MARGIN, "cash:3", 0, 0),
        (Layer.DEFAULTER_FUND, "default_fund:2", 100 * USD, 100 * USD),
        (Layer.CCP_CAPITAL, "ccp", 100 * USD, 100 * USD),
        (Layer.SURVIVORS_FUND, "default_fund:0", 100 * USD, 100 * USD),
        (Layer.SURVIVORS_FUND, "default_fund:1", 100 * USD, 100 * USD),
        (Layer.ASSESSMENTS, "assessment:0", assessed, 275 * USD),
        (Layer.ASSESSMENTS, "assessment:1", assessed, 275 * USD),
    ]
    (resolved,) = of(m, DefaultResolved)
    assert (resolved.loss, resolved.covered, resolved.uncovered) == (loss, loss, 0)
    assert m.cash(3) == 0
    assert ledger.balance("ccp") == 0 and ledger.balance(default_fund_account(2)) == 0
    assert ledger.balance(assessment_account(0)) == -assessed
    kinds = [p.kind for p in ledger.journal if p.ref == "default of account 3"]
    assert kinds == [PostingKind.DEFAULT_LOSS] * 3 + [PostingKind.ASSESSMENT]
    m.house.check_invariants()


@pytest.mark.parametrize(
    "method, required",
    [
        # Fund $300 = 2 × $100 floor + $100 shared by initial margin: member 0 short 5
        # ($500), member 1 long 4 ($400): 55,555,555.6 / 44,444,444.4 µ$.
        (CloseOut.AUCTION, (155_555_556, 144_444_444)),
        # member 0 short 10 ($1,000), member 1 long 9 ($900).
        (CloseOut.LIQUIDATION, (152_631_579, 147_368_421)),
    ],
)
def test_the_fund_is_replenished_without_the_defaulting_member(method, required) -> None:
    m, *_ = run(method)
    ledger = m.house.ledger

    last = [r for r in of(m, DefaultFundResized) if r.day == D3]

    assert [(r.member, r.required, r.change) for r in last] == [
        (0, required[0], required[0]),
        (1, required[1], required[1]),
    ]
    assert [ledger.balance(default_fund_account(i)) for i in range(3)] == [*required, 0]
    assert {r.fund_size for r in last} == {300 * USD}


def test_survivors_margin_is_never_touched_by_the_waterfall() -> None:
    m, *_ = run(CloseOut.AUCTION)

    for p in m.house.ledger.journal:
        if p.kind in (PostingKind.DEFAULT_LOSS, PostingKind.ASSESSMENT):
            cash_legs = [leg for leg in p.legs if leg.account.startswith("cash:")]
            assert [(leg.account, leg.amount > 0) for leg in cash_legs] == [("cash:3", True)]
