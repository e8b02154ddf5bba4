"""Seeded multi-day runs through the real pipeline, engine, SPAN-like margin and simulated
index, with invariants checked after every settlement (docs/clearing-rules.md CR-33).

Two products (H100 with 3 months listed, B200 with 2) trade for two weeks across the
November expiry. Four members each run a house account that quotes every contract and
two customers that trade at random around a fair price that moves about 6% a day, so
margin calls come, are paid or not, and unpaid ones end in defaults, closed out by
auction or by liquidation through the book. At the end the pipeline journal is replayed
into a fresh pipeline and clearing house, which must reach the same state hash.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date

import numpy as np
import pytest

from clearing.accounts import AccountRegistry, AccountType, Origin
from clearing.default_fund import FundParams
from clearing.defaults import CloseOut, DefaultParams
from clearing.house import ClearingHouse, HouseParams
from clearing.index.simulate import SimulatedIndex
from clearing.ledger import FEE_INCOME, PostingKind
from clearing.records import DefaultResolved, Layer, WaterfallStep
from clearing.risk_gate import AccountState
from clearing.waterfall import Step, check_strict_order
from exchange import codes as c
from exchange import commands as C
from exchange.calendar import DEFAULT_CALENDAR as CAL
from exchange.pipeline import Pipeline
from exchange.products import DEFAULT_PRODUCTS
from exchange.venue import Venue

USD = 1_000_000
PRODUCTS = {
    "H100": dataclasses.replace(DEFAULT_PRODUCTS["H100"], months_listed=3),
    "B200": dataclasses.replace(DEFAULT_PRODUCTS["B200"], months_listed=2),
}
DAYS = CAL.business_days(date(2026, 11, 23), date(2026, 12, 4))  # across the Nov expiry
MIN = 60 * 10**9
CASH_KINDS = {
    PostingKind.DEPOSIT,
    PostingKind.WITHDRAWAL,
    PostingKind.FEE,
    PostingKind.VARIATION_MARGIN,
    PostingKind.DEFAULT_LOSS,
    PostingKind.ASSESSMENT,
}


def build(seed: int, method: CloseOut, thin: bool = False) -> tuple[Pipeline, ClearingHouse]:
    """Return an unopened pipeline and its clearing house; ``thin``: a small default fund
    and CCP capital, so that losses reach the survivors' fund and assessments."""
    registry = AccountRegistry()
    for m in range(4):
        registry.add_member(f"member {m}")
        registry.open_account(m, Origin.HOUSE, AccountType.MEMBER)
        registry.open_account(m, Origin.CUSTOMER, AccountType.SPECULATOR)
        registry.open_account(m, Origin.CUSTOMER, AccountType.HEDGER)
    index = {
        code: SimulatedIndex.for_product(spec, date(2026, 10, 1), date(2027, 3, 31), seed + i)
        for i, (code, spec) in enumerate(PRODUCTS.items())
    }
    fund = FundParams(min_fund_micros=2_000 * USD, min_contribution_micros=200 * USD)
    if thin:
        fund = FundParams(stress_moves_bps=(-100, 100), min_fund_micros=400 * USD)
    params = HouseParams(
        ccp_capital_micros=(100 if thin else 3_000) * USD,
        fund=fund,
        defaults=DefaultParams(close_out=method),
    )
    pipe = Pipeline(Venue(PRODUCTS, n_accounts=16))
    return pipe, ClearingHouse(pipe, registry, index, params)


class Run:
    """One seeded run, with the test's own account of deposits and withdrawals."""

    def __init__(self, seed: int, method: CloseOut, thin: bool = False) -> None:
        self.rng = np.random.default_rng(seed)
        self.pipe, self.house = build(seed, method, thin)
        self.deposited = 0
        self.withdrawn = 0
        self.cycles = 0

    def deposit(self, account: int, amount: int) -> None:
        self.house.deposit(account, amount)
        self.deposited += amount

    def go(self) -> None:
        rng, house, pipe = self.rng, self.house, self.pipe
        pipe.open(CAL.open_ts(DAYS[0]))
        for a in range(len(house.registry)):
            rich = house.registry.account(a).kind is AccountType.MEMBER
            self.deposit(a, 300_000 * USD if rich else int(rng.integers(2_000, 12_000)) * USD)
        fair = {code: float(spec.ref_price_units) for code, spec in PRODUCTS.items()}
        for day in DAYS:
            pipe.advance(CAL.open_ts(day) + 60 * MIN)
            for code in fair:
                fair[code] *= float(np.exp(rng.normal(0.0, 0.06)))
            self.pay_some_calls(day)
            self.quote(day, fair)
            self.trade(day, fair)
            self.maybe_withdraw(day)
            cycle = house.end_of_day(day)
            self.cycles += 1
            check(house, cycle.variation, self)

    def pay_some_calls(self, day: date) -> None:
        for a, call in sorted(self.house.calls.open.items()):
            if self.rng.random() < 0.5:
                self.deposit(a, call.outstanding)

    def live(self) -> list[tuple[int, int, str]]:
        cols = self.house.cols
        return [
            (int(s), int(cols.slot_col[s]), cols.codes[int(cols.product_pos[cols.slot_col[s]])])
            for s in np.flatnonzero(cols.slot_col >= 0)
        ]

    def quote(self, day: date, fair: dict[str, float]) -> None:
        ts = CAL.open_ts(day) + 61 * MIN
        for mm in (0, 3, 6, 9):
            self.pipe.submit(C.mass_cancel(mm, ts=ts))
            for slot, _, code in self.live():
                mid = round(fair[code]) + int(self.rng.integers(-2, 3))
                self.pipe.submit(C.limit(slot, mm, c.SIDE_BUY, 4, max(1, mid - 2), ts=ts))
                self.pipe.submit(C.limit(slot, mm, c.SIDE_SELL, 4, mid + 2, ts=ts))

    def trade(self, day: date, fair: dict[str, float]) -> None:
        rng = self.rng
        close = CAL.close_ts(day)
        customers = [a for a in range(len(self.house.registry)) if a % 3]
        for i in range(50):
            ts = close - 25 * MIN + i * 20_000_000_000 if i >= 40 else close - 300 * MIN + i * MIN
            acct = int(rng.choice(customers))
            slot, _, code = self.live()[int(rng.integers(0, len(self.live())))]
            side = int(rng.integers(0, 2))
            qty = int(rng.integers(1, 6))
            if rng.random() < 0.3:
                self.pipe.submit(C.market(slot, acct, side, qty, ts=ts))
            else:
                price = round(fair[code] * (1 + rng.normal(0, 0.01)))
                self.pipe.submit(C.limit(slot, acct, side, qty, max(1, price), ts=ts))

    def maybe_withdraw(self, day: date) -> None:
        a = int(self.rng.integers(0, len(self.house.registry)))
        if self.house.gate.state(a) is not AccountState.ACTIVE:
            return
        free = self.house.summary(a).free
        if free > 2 * USD:
            amount = free // 2
            self.house.withdraw(a, amount, ts=CAL.close_ts(day) - MIN)
            self.withdrawn += amount


def check(house: ClearingHouse, variation: np.ndarray, run: Run) -> None:
    """The invariants of CR-33 after one settlement."""
    # 1. long OI = short OI; ledger balances sum to zero and replay (CR-14, CR-11)
    house.check_invariants()
    # 2. variation margin sums to zero per contract (CR-26)
    assert not variation.sum(axis=0).any()
    # 3. cash changes only by deposits, withdrawals, fees and default credits
    by_kind: dict[PostingKind, int] = defaultdict(int)
    for p in house.ledger.journal:
        cash_legs = [leg.amount for leg in p.legs if leg.account.startswith("cash:")]
        if p.kind is PostingKind.VARIATION_MARGIN:
            assert sum(cash_legs) == 0
        by_kind[p.kind] += sum(cash_legs)
    assert {k for k, v in by_kind.items() if v} <= CASH_KINDS
    assert by_kind[PostingKind.DEPOSIT] == run.deposited
    assert by_kind[PostingKind.WITHDRAWAL] == -run.withdrawn
    assert by_kind[PostingKind.FEE] == -house.ledger.balance(FEE_INCOME)
    steps = [r for r in house.records if isinstance(r, WaterfallStep)]
    credited = sum(s.amount for s in steps if Layer.DEFAULTER_FUND <= s.layer <= Layer.ASSESSMENTS)
    assert by_kind[PostingKind.DEFAULT_LOSS] + by_kind[PostingKind.ASSESSMENT] == credited
    assert int(house.ledger.cash_balances().sum()) == sum(by_kind.values())
    # 4. waterfall layers strictly in order, per default (CR-30)
    for account in {s.account for s in steps}:
        mine = [s for s in steps if s.account == account]
        check_strict_order([Step(s.layer, s.payer, s.member, s.amount, s.available) for s in mine])
    # 5. recorded losses: a resolved defaulter holds exactly its surplus or uncovered loss
    for r in house.records:
        if isinstance(r, DefaultResolved):
            assert house.ledger.cash(r.account) == r.surplus - r.uncovered
    # 6. survivors' margin never touched: default postings only credit defaulters' cash
    for p in house.ledger.journal:
        if p.kind in (PostingKind.DEFAULT_LOSS, PostingKind.ASSESSMENT):
            for leg in p.legs:
                if leg.account.startswith("cash:"):
                    assert leg.amount > 0 and int(leg.account[5:]) in house.cases


@pytest.mark.parametrize(
    "seed, method, thin",
    [
        (11, CloseOut.AUCTION, False),
        (12, CloseOut.LIQUIDATION, False),
        (13, CloseOut.AUCTION, True),
    ],
)
def test_invariants_hold_after_every_settlement_and_replay_reproduces_the_state(
    seed, method, thin
) -> None:
    run = Run(seed, method, thin)

    run.go()

    house = run.house
    assert run.cycles == len(DAYS)
    assert "H100-30NOV26" not in house.cols.names and "H100-26FEB27" in house.cols.names
    fresh_pipe, fresh_house = build(seed, method, thin)
    fresh_pipe.replay(run.pipe.journal)
    assert fresh_pipe.state_hash() == run.pipe.state_hash()
    assert fresh_house.records == house.records


@pytest.mark.parametrize("seed, method", [(12, CloseOut.LIQUIDATION), (13, CloseOut.AUCTION)])
def test_the_seeded_runs_do_exercise_calls_defaults_and_every_waterfall_layer(seed, method) -> None:
    run = Run(seed, method, thin=True)
    run.go()

    kinds = {type(r).__name__ for r in run.house.records}
    used = {r.layer for r in run.house.records if isinstance(r, WaterfallStep) and r.amount}

    assert {"MarginCallRecord", "DefaultDeclared", "CloseOutTrade", "DefaultResolved"} <= kinds
    assert {Layer.DEFAULTER_FUND, Layer.CCP_CAPITAL, Layer.SURVIVORS_FUND} <= used
    assert any(r.tier == 6 for r in run.house.records if type(r).__name__ == "SettlementRecord")
