"""Bad inputs are refused with clear errors and change nothing (docs/clearing-rules.md
CR-9, CR-22, CR-32); the same commands arriving as rows are rejected with their codes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from clearing.accounts import AccountRegistry, AccountType, Origin
from clearing.errors import (
    AccountInDefault,
    InsufficientFreeCollateral,
    InvalidAmount,
    SettlementError,
    UnknownAccount,
)
from clearing.house import ClearingHouse
from clearing.index.base import IndexNotPublished, PublishedSeries
from clearing.ops import ClearingReject as R
from clearing.ops import deposit_row, end_of_day_row, withdraw_row
from exchange import codes as c
from exchange import commands as C
from exchange.calendar import DEFAULT_CALENDAR as CAL
from exchange.pipeline import Pipeline
from exchange.venue import Venue
from tests.clearing.house_kit import (
    BUY,
    DEC,
    H100,
    SELL,
    START,
    USD,
    at,
    build_market,
    constant_index,
    rejects,
)

SATURDAY = date(2026, 11, 21)


def trading_market():
    m = build_market([(0, AccountType.MEMBER), (1, AccountType.SPECULATOR)], n_members=2)
    m.house.deposit(0, 1_000_000 * USD)
    m.house.deposit(1, 5_000 * USD)
    m.order(0, DEC, SELL, 10, 281, at(START, 10))
    m.order(1, DEC, BUY, 10, 281, at(START, 10))  # initial margin $1,100
    m.order(1, DEC, BUY, 5, 270, at(START, 10))  # with orders: 15 × $110 = $1,650
    return m


def snapshot(m) -> tuple[int, int, str, str]:
    return m.pipe.seq, len(m.pipe.journal), m.pipe.state_hash(), m.house.ledger.state_hash()


@pytest.mark.parametrize("amount", [-5 * USD, 0, 2.5, True])
def test_a_deposit_that_is_not_a_positive_integer_is_refused(amount) -> None:
    m = trading_market()
    before = snapshot(m)

    with pytest.raises(InvalidAmount):
        m.house.deposit(1, amount)

    assert snapshot(m) == before


def test_unknown_accounts_are_refused_for_deposits_and_withdrawals() -> None:
    m = trading_market()
    before = snapshot(m)

    with pytest.raises(UnknownAccount, match="7"):
        m.house.deposit(7, USD)
    with pytest.raises(UnknownAccount):
        m.house.withdraw(-1, USD)

    assert snapshot(m) == before


def test_a_withdrawal_beyond_free_collateral_is_refused_naming_what_is_available() -> None:
    m = trading_market()
    free = m.house.summary(1).free  # $5,000 − $36.50 fee − $1,650 required
    before = snapshot(m)

    with pytest.raises(InsufficientFreeCollateral) as err:
        m.house.withdraw(1, free + 1)

    assert free == 3_313_500_000
    assert err.value.available == free and err.value.requested == free + 1
    assert snapshot(m) == before
    m.house.withdraw(1, free)
    assert m.cash(1) == 1_650 * USD


def test_an_account_in_default_cannot_withdraw() -> None:
    m = trading_market()
    m.house.declare_default(1)
    before = snapshot(m)

    with pytest.raises(AccountInDefault):
        m.house.withdraw(1, USD)
    with pytest.raises(AccountInDefault):
        m.house.declare_default(1)

    assert snapshot(m) == before


def test_a_settlement_that_needs_a_missing_index_print_is_refused() -> None:
    days = CAL.business_days(date(2026, 9, 1), START)  # nothing published after START
    index = PublishedSeries("h100_usd", days, np.full(len(days), 281.0))
    m = build_market(index={"H100": index})
    m.house.end_of_day(START)  # no prices at all: every contract by the index
    before = snapshot(m)

    with pytest.raises(IndexNotPublished, match="2026-11-17"):
        m.house.end_of_day(date(2026, 11, 17))

    assert snapshot(m) == before


def test_settlement_days_must_be_business_days_in_order() -> None:
    m = trading_market()
    m.house.end_of_day(date(2026, 11, 17))
    before = snapshot(m)

    with pytest.raises(SettlementError, match="not a business day"):
        m.house.end_of_day(SATURDAY)
    with pytest.raises(SettlementError, match="not after"):
        m.house.end_of_day(START)

    assert snapshot(m) == before


def test_the_same_bad_commands_as_rows_are_rejected_with_codes_and_journaled() -> None:
    m = trading_market()
    balances = m.house.ledger.balances()
    seq = m.pipe.seq

    got = [
        rejects(m.pipe.submit(deposit_row(1, -5)))[0],
        rejects(m.pipe.submit(deposit_row(9, 5)))[0],
        rejects(m.pipe.submit(withdraw_row(1, 10**12)))[0],
        rejects(m.pipe.submit(end_of_day_row(SATURDAY, CAL.close_ts(SATURDAY))))[0],
    ]

    assert got == [
        R.INVALID_AMOUNT,
        R.UNKNOWN_ACCOUNT,
        R.INSUFFICIENT_FREE_COLLATERAL,
        R.INVALID_COMMAND,
    ]
    assert m.house.ledger.balances() == balances
    assert m.pipe.seq == seq + 4 and len(m.pipe.journal) == seq + 4
    assert m.pipe.journal[seq].cmd[c.C_QTY] == -5


def test_before_the_venue_opens_nothing_is_cleared_and_nothing_settles() -> None:
    registry = AccountRegistry()
    registry.add_member("m")
    registry.open_account(0, Origin.HOUSE, AccountType.MEMBER)
    pipe = Pipeline(Venue({"H100": H100}, n_accounts=4))
    house = ClearingHouse(pipe, registry, {"H100": constant_index()})
    house.deposit(0, USD)

    events = pipe.submit(C.limit(0, 0, BUY, 1, 281))

    assert rejects(events) == [R.CONTRACT_NOT_CLEARED]
    with pytest.raises(SettlementError, match="open the venue"):
        house.end_of_day(START)
    assert house.summary(0).equity == USD
