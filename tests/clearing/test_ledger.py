"""Members, accounts and the double-entry cash ledger (docs/clearing-rules.md CR-7 to CR-11)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearing.accounts import AccountRegistry, AccountType, Origin
from clearing.errors import (
    InsufficientFreeCollateral,
    InvalidAccount,
    InvalidAmount,
    LedgerIntegrityError,
    UnbalancedPosting,
    UnknownAccount,
)
from clearing.ledger import (
    CCP,
    EXTERNAL,
    FEE_INCOME,
    Ledger,
    Leg,
    PostingKind,
    cash_account,
    default_fund_account,
)
from clearing.money import usd_to_micros

USD = 1_000_000


def registry_with_accounts() -> AccountRegistry:
    reg = AccountRegistry()
    alpha = reg.add_member("Alpha Clearing")
    beta = reg.add_member("Beta Futures")
    reg.open_account(alpha.id, Origin.HOUSE, AccountType.MEMBER, "alpha house")  # 0
    reg.open_account(alpha.id, Origin.CUSTOMER, AccountType.HEDGER, "neocloud")  # 1
    reg.open_account(beta.id, Origin.CUSTOMER, AccountType.SPECULATOR, "fund")  # 2
    return reg


def snapshot(ledger: Ledger) -> tuple[dict[str, int], int, str]:
    return ledger.balances(), len(ledger.journal), ledger.state_hash()


# ------------------------------------------------------------------ CR-7 accounts
def test_accounts_get_engine_ids_in_opening_order_with_their_types() -> None:
    reg = registry_with_accounts()

    assert [a.id for a in reg.accounts] == [0, 1, 2]
    assert reg.account(2).kind is AccountType.SPECULATOR
    assert reg.account(1).origin is Origin.CUSTOMER and reg.account(1).member_id == 0
    assert reg.kinds().tolist() == [2, 0, 1] and reg.kinds().dtype == np.int8


def test_a_member_type_account_must_be_a_house_account() -> None:
    reg = AccountRegistry()
    m = reg.add_member("Alpha")

    with pytest.raises(InvalidAccount, match="HOUSE"):
        reg.open_account(m.id, Origin.CUSTOMER, AccountType.MEMBER)
    assert len(reg) == 0


def test_member_names_are_unique_and_unknown_ids_are_refused() -> None:
    reg = registry_with_accounts()

    with pytest.raises(InvalidAccount):
        reg.add_member("Alpha Clearing")
    with pytest.raises(UnknownAccount):
        reg.open_account(7, Origin.HOUSE, AccountType.MEMBER)
    with pytest.raises(UnknownAccount):
        reg.account(3)
    with pytest.raises(UnknownAccount):
        reg.account(True)


# --------------------------------------------------------- CR-8, CR-9 postings
def test_a_deposit_moves_money_from_outside_into_the_account() -> None:
    ledger = Ledger(registry_with_accounts())

    posting = ledger.deposit(1, 50_000 * USD, ref="wire 17")

    assert ledger.cash(1) == 50_000 * USD
    assert ledger.balance(EXTERNAL) == -50_000 * USD
    assert posting.kind is PostingKind.DEPOSIT and posting.seq == 1 and posting.ref == "wire 17"
    assert sum(leg.amount for leg in posting.legs) == 0


def test_a_withdrawal_is_limited_to_free_collateral_from_the_margin_callback() -> None:
    margin = {1: 30_000 * USD}
    ledger = Ledger(registry_with_accounts(), required_margin=lambda a: margin.get(a, 0))
    ledger.deposit(1, 50_000 * USD)

    ledger.withdraw(1, 20_000 * USD)

    assert ledger.cash(1) == 30_000 * USD
    assert ledger.free_collateral(1) == 0
    with pytest.raises(InsufficientFreeCollateral) as info:
        ledger.withdraw(1, 1)
    assert info.value.available == 0 and info.value.requested == 1


def test_a_refused_withdrawal_changes_nothing() -> None:
    ledger = Ledger(registry_with_accounts())
    ledger.deposit(2, 10 * USD)
    before = snapshot(ledger)

    with pytest.raises(InsufficientFreeCollateral, match="exceeds free collateral of 4000000"):
        ledger.withdraw(2, 5 * USD, required_margin=6 * USD)

    assert snapshot(ledger) == before


def test_the_per_call_margin_overrides_the_callback() -> None:
    ledger = Ledger(registry_with_accounts(), required_margin=lambda a: 10**12)
    ledger.deposit(2, 10 * USD)

    ledger.withdraw(2, 10 * USD, required_margin=0)

    assert ledger.cash(2) == 0


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "10", None])
def test_amounts_must_be_positive_integers_and_failures_change_nothing(amount: object) -> None:
    ledger = Ledger(registry_with_accounts())
    ledger.deposit(0, 100 * USD)
    before = snapshot(ledger)

    for operation in (ledger.deposit, ledger.withdraw, ledger.charge_fee):
        with pytest.raises(InvalidAmount):
            operation(0, amount)  # type: ignore[operator]
    with pytest.raises(InvalidAmount):
        ledger.fund_ccp(amount)  # type: ignore[arg-type]

    assert snapshot(ledger) == before


def test_unknown_accounts_are_refused_and_change_nothing() -> None:
    ledger = Ledger(registry_with_accounts())
    before = snapshot(ledger)

    with pytest.raises(UnknownAccount):
        ledger.deposit(3, USD)
    with pytest.raises(UnknownAccount):
        ledger.withdraw(-1, USD)
    with pytest.raises(UnknownAccount):
        ledger.balance("cash:9")
    with pytest.raises(UnknownAccount):
        ledger.balance("petty_cash")

    assert snapshot(ledger) == before


def test_numpy_integers_are_accepted_as_amounts() -> None:
    ledger = Ledger(registry_with_accounts())

    ledger.deposit(np.int64(1), np.int64(7 * USD))

    assert ledger.cash(1) == 7 * USD


# --------------------------------------------------------------- CR-10 fees
def test_a_fee_moves_cash_to_fee_income_and_may_leave_a_debt() -> None:
    ledger = Ledger(registry_with_accounts())
    ledger.deposit(2, USD)

    ledger.charge_fee(2, usd_to_micros("3.65"))

    assert ledger.cash(2) == USD - 3_650_000
    assert ledger.balance(FEE_INCOME) == 3_650_000


def test_fees_for_many_accounts_post_as_one_balanced_posting() -> None:
    ledger = Ledger(registry_with_accounts())

    posting = ledger.charge_fees(np.array([0, 3_650_000, 7_300_000], dtype=np.int64), ref="day 1")

    assert posting is not None and len(posting.legs) == 3
    assert ledger.cash(1) == -3_650_000 and ledger.cash(2) == -7_300_000
    assert ledger.balance(FEE_INCOME) == 10_950_000
    assert ledger.charge_fees(np.zeros(3, dtype=np.int64)) is None


def test_net_rebates_are_paid_out_of_fee_income() -> None:
    ledger = Ledger(registry_with_accounts())

    ledger.charge_fees(np.array([-1_000_000, 5_500_000]))
    ledger.charge_fees(np.array([-2, 2]))

    assert ledger.cash(0) == 1_000_002 and ledger.cash(1) == -5_500_002
    assert ledger.balance(FEE_INCOME) == 4_500_000
    ledger.check_conservation()


def test_malformed_fee_arrays_are_refused() -> None:
    ledger = Ledger(registry_with_accounts())

    with pytest.raises(UnbalancedPosting, match="integer array"):
        ledger.charge_fees(np.array([0.5, 1.0]))
    with pytest.raises(UnknownAccount):
        ledger.charge_fees(np.ones(4, dtype=np.int64))
    assert ledger.journal == ()


# ------------------------------------------------- default fund and CCP capital
def test_a_house_account_funds_its_members_default_fund_share() -> None:
    ledger = Ledger(registry_with_accounts())
    ledger.deposit(0, 1_000 * USD)

    ledger.contribute_to_default_fund(0, 400 * USD)
    ledger.fund_ccp(100 * USD)

    assert ledger.balance(default_fund_account(0)) == 400 * USD
    assert ledger.cash(0) == 600 * USD
    assert ledger.balance(CCP) == 100 * USD
    with pytest.raises(InvalidAccount, match="customer account"):
        ledger.contribute_to_default_fund(1, USD)
    with pytest.raises(InsufficientFreeCollateral):
        ledger.contribute_to_default_fund(0, 700 * USD)


# ------------------------------------------------------ general postings
def test_an_unbalanced_posting_is_refused() -> None:
    ledger = Ledger(registry_with_accounts())

    with pytest.raises(UnbalancedPosting, match="sum to 1"):
        ledger.post(PostingKind.FEE, [Leg(cash_account(0), -5), Leg(FEE_INCOME, 6)])
    with pytest.raises(UnbalancedPosting, match="twice"):
        ledger.post(PostingKind.FEE, [Leg(FEE_INCOME, -5), Leg(FEE_INCOME, 5)])
    with pytest.raises(UnbalancedPosting, match="two legs"):
        ledger.post(PostingKind.FEE, [Leg(FEE_INCOME, 0)])
    with pytest.raises(UnbalancedPosting, match="non-zero int"):
        ledger.post(PostingKind.FEE, [Leg(FEE_INCOME, 0), Leg(CCP, 0)])
    with pytest.raises(UnknownAccount):
        ledger.post(PostingKind.FEE, [Leg("cash:01", -5), Leg(FEE_INCOME, 5)])
    assert ledger.journal == ()


def test_a_cash_posting_from_arrays_is_the_posting_of_its_legs() -> None:
    # Ledger.post_cash (variation margin, CR-26): the same journal entry and balances as
    # Ledger.post with one cash leg per account, amounts as Python ints.
    reg = registry_with_accounts()
    by_arrays, by_legs = Ledger(reg), Ledger(reg)
    ids, amounts = np.array([2, 0, 1]), np.array([-7, 5, 2], dtype=np.int64)

    posting = by_arrays.post_cash(PostingKind.VARIATION_MARGIN, ids, amounts, ref="vm")
    legs = [Leg(cash_account(2), -7), Leg(cash_account(0), 5), Leg(cash_account(1), 2)]
    expected = by_legs.post(PostingKind.VARIATION_MARGIN, legs, ref="vm")

    assert posting == expected and by_arrays.journal == by_legs.journal
    assert all(type(leg.amount) is int for leg in posting.legs)
    assert by_arrays.cash_balances().tolist() == [5, 2, -7]
    by_arrays.check_conservation()


def test_a_cash_posting_breaking_a_rule_changes_nothing() -> None:
    ledger = Ledger(registry_with_accounts())
    vm = PostingKind.VARIATION_MARGIN
    cases = [
        (UnbalancedPosting, "sum to 1", [0, 1], [-5, 6]),
        (UnbalancedPosting, "'cash:1' appears twice", [1, 1], [-5, 5]),
        (UnbalancedPosting, "two legs", [1], [5]),
        (UnbalancedPosting, "non-zero int", [0, 1, 2], [-5, 0, 5]),
        (UnbalancedPosting, "integer arrays", [0, 1], [-0.5, 0.5]),
        (UnknownAccount, "'cash:3'", [0, 3], [-5, 5]),
        (UnknownAccount, "'cash:-1'", [-1, 0], [-5, 5]),
    ]
    for error, match, ids, amounts in cases:
        with pytest.raises(error, match=match):
            ledger.post_cash(vm, np.array(ids), np.array(amounts))
    assert ledger.journal == () and ledger.balances() == {}


# ------------------------------------------------------ CR-11 journal, replay
def test_replaying_the_journal_reproduces_every_balance() -> None:
    reg = registry_with_accounts()
    ledger = Ledger(reg)
    ledger.deposit(0, 900 * USD)
    ledger.deposit(2, 50 * USD)
    ledger.charge_fees(np.array([0, 0, 3_650_000]))
    ledger.withdraw(0, 100 * USD)
    ledger.contribute_to_default_fund(0, 300 * USD)

    replayed = Ledger.replay(reg, ledger.journal)

    assert replayed.balances() == ledger.balances()
    assert replayed.state_hash() == ledger.state_hash()
    ledger.check_conservation()


def test_a_journal_out_of_order_is_refused() -> None:
    reg = registry_with_accounts()
    ledger = Ledger(reg)
    ledger.deposit(0, USD)
    ledger.deposit(1, USD)

    with pytest.raises(LedgerIntegrityError, match="seq 2, expected 1"):
        Ledger.replay(reg, list(reversed(ledger.journal)))


def test_the_conservation_check_catches_a_balance_changed_behind_the_journal() -> None:
    ledger = Ledger(registry_with_accounts())
    ledger.deposit(1, USD)
    ledger._balances[cash_account(1)] += 1  # corrupt on purpose

    with pytest.raises(LedgerIntegrityError, match="sum to 1"):
        ledger.check_conservation()
    ledger._balances[EXTERNAL] -= 1
    with pytest.raises(LedgerIntegrityError, match="differ from journal replay"):
        ledger.check_conservation()


operations = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "withdraw", "fee", "default_fund", "ccp"]),
        st.integers(min_value=0, max_value=3),  # account 3 does not exist
        st.integers(min_value=-5, max_value=10**9),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_any_sequence_of_operations_conserves_money(ops: list[tuple[str, int, int]]) -> None:
    # CR-11: balances sum to zero; each account's cash is its deposits minus its
    # withdrawals, fees and default-fund contributions; failed operations do nothing.
    reg = registry_with_accounts()
    ledger = Ledger(reg, required_margin=lambda a: 1_000 * a)
    expected = [0, 0, 0]
    for op, account, amount in ops:
        try:
            if op == "deposit":
                ledger.deposit(account, amount)
                expected[account] += amount
            elif op == "withdraw":
                ledger.withdraw(account, amount)
                expected[account] -= amount
            elif op == "fee":
                ledger.charge_fee(account, amount)
                expected[account] -= amount
            elif op == "default_fund":
                ledger.contribute_to_default_fund(account, amount)
                expected[account] -= amount
            else:
                ledger.fund_ccp(amount)
        except (InvalidAmount, UnknownAccount, InsufficientFreeCollateral, InvalidAccount):
            pass
    ledger.check_conservation()
    assert ledger.cash_balances().tolist() == expected
    assert sum(ledger.balances().values()) == 0
