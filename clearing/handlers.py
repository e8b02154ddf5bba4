"""Clearing commands on the pipeline: validation and handlers (rules CR-22, CR-32).

Each ``check_*`` raises a ``ClearingError`` when a command must be refused and changes
nothing; the clearing house's methods call them before submitting, and the handlers call
them again for rows that arrive otherwise (the gateway, a replay), turning the error into
``Refused`` with the code of ``ERROR_CODES`` (``INVALID_COMMAND`` for any other).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from clearing import cycle
from clearing.defaults import declare
from clearing.errors import (
    AccountInDefault,
    ClearingError,
    InsufficientFreeCollateral,
    InvalidAmount,
    SettlementError,
    UnknownAccount,
)
from clearing.index.base import IndexNotPublished
from clearing.money import check_amount
from clearing.ops import ClearingOp
from clearing.ops import ClearingReject as R
from clearing.risk_gate import AccountState
from exchange import codes as c
from exchange.pipeline import Refused
from exchange.products import Contract

if TYPE_CHECKING:
    from clearing.house import ClearingHouse

IntArray = npt.NDArray[np.int64]
Handler = Callable[[IntArray], IntArray | None]

ERROR_CODES: tuple[tuple[type[Exception], int], ...] = (
    (UnknownAccount, R.UNKNOWN_ACCOUNT),
    (InvalidAmount, R.INVALID_AMOUNT),
    (InsufficientFreeCollateral, R.INSUFFICIENT_FREE_COLLATERAL),
    (IndexNotPublished, R.INDEX_NOT_PUBLISHED),
    (AccountInDefault, R.ACCOUNT_IN_DEFAULT),
)
"""The reject code of each refusal; anything else is ``INVALID_COMMAND``."""


# ------------------------------------------------------------------ validation
def check_deposit(house: ClearingHouse, account: int, amount: int) -> None:
    """Refuse a deposit into an unknown account or of a non-positive amount."""
    house.registry.account(account)
    check_amount(amount)


def check_withdraw(house: ClearingHouse, account: int, amount: int) -> None:
    """Refuse a withdrawal above free collateral (equity − required margin, CR-22)."""
    check_not_in_default(house, account)
    amount = check_amount(amount)
    free = house.ledger.free_collateral(account)
    if amount > free:
        raise InsufficientFreeCollateral(account, amount, free)


def check_not_in_default(house: ClearingHouse, account: int) -> None:
    """Refuse any command for an unknown account or one in default."""
    house.registry.account(account)
    if house.gate.state(account) is AccountState.IN_DEFAULT:
        raise AccountInDefault(f"account {account} is in default")


def check_state(house: ClearingHouse, account: int, state: int) -> None:
    """Refuse a state an administrator may not set (only ACTIVE and SUSPENDED)."""
    check_not_in_default(house, account)
    if state not in (AccountState.ACTIVE, AccountState.SUSPENDED):
        raise SettlementError(f"an administrator sets ACTIVE or SUSPENDED, not {state}")


# ------------------------------------------------------------------ handlers
def handlers(house: ClearingHouse) -> dict[int, Handler]:
    """Return the handler of every clearing op, bound to ``house``.

    Each handler validates first — a ``ClearingError`` or ``ValueError`` there becomes
    ``Refused`` with nothing changed — then applies the command; an error while applying
    (an integrity failure) propagates.
    """

    def guarded(
        check: Callable[[ClearingHouse, IntArray], object],
        apply: Callable[[ClearingHouse, IntArray], None],
    ) -> Handler:
        def run(row: IntArray) -> IntArray | None:
            try:
                check(house, row)
            except (ClearingError, ValueError) as e:
                code = next((k for t, k in ERROR_CODES if isinstance(e, t)), R.INVALID_COMMAND)
                raise Refused(int(code), str(e)) from e
            apply(house, row)
            return None

        return run

    return {
        ClearingOp.DEPOSIT: guarded(_check_deposit, _deposit),
        ClearingOp.WITHDRAW: guarded(_check_withdraw, _withdraw),
        ClearingOp.END_OF_DAY: guarded(_check_end_of_day, _end_of_day),
        ClearingOp.INTRADAY: guarded(_check_intraday, _intraday),
        ClearingOp.FINAL_SETTLE: guarded(_check_final, _final),
        ClearingOp.SET_STATE: guarded(_check_state, _set_state),
        ClearingOp.DECLARE_DEFAULT: guarded(_check_declare, _declare_default),
    }


def _day(row: IntArray) -> date:
    return date.fromordinal(int(row[c.C_PRICE]))


def _check_deposit(house: ClearingHouse, row: IntArray) -> None:
    check_deposit(house, int(row[c.C_ACCOUNT]), int(row[c.C_QTY]))


def _deposit(house: ClearingHouse, row: IntArray) -> None:
    a, amount, ts = int(row[c.C_ACCOUNT]), int(row[c.C_QTY]), int(row[c.C_TS])
    house.sync()
    house.ledger.deposit(a, amount, ref=f"seq {house.pipeline.seq}")
    paid = house.calls.pay(a, amount, ts)
    house.records.extend(paid)
    if paid and a not in house.calls.open and house.gate.state(a) is AccountState.MARGIN_CALL:
        house.gate.set_state(a, AccountState.ACTIVE)


def _check_withdraw(house: ClearingHouse, row: IntArray) -> None:
    check_withdraw(house, int(row[c.C_ACCOUNT]), int(row[c.C_QTY]))


def _withdraw(house: ClearingHouse, row: IntArray) -> None:
    a, amount = int(row[c.C_ACCOUNT]), int(row[c.C_QTY])
    house.ledger.withdraw(a, amount, ref=f"seq {house.pipeline.seq}")


def _check_state(house: ClearingHouse, row: IntArray) -> None:
    check_state(house, int(row[c.C_ACCOUNT]), int(row[c.C_TYPE]))


def _set_state(house: ClearingHouse, row: IntArray) -> None:
    a, state = int(row[c.C_ACCOUNT]), int(row[c.C_TYPE])
    if state == AccountState.ACTIVE and a in house.calls.open:
        state = AccountState.MARGIN_CALL  # lifting a suspension does not lift a call
    house.gate.set_state(a, AccountState(state))


def _check_declare(house: ClearingHouse, row: IntArray) -> None:
    check_not_in_default(house, int(row[c.C_ACCOUNT]))


def _declare_default(house: ClearingHouse, row: IntArray) -> None:
    declare(house, int(row[c.C_ACCOUNT]), int(row[c.C_TS]), "declared by the administrator")


def _check_end_of_day(house: ClearingHouse, row: IntArray) -> None:
    cycle.plan_daily(house, _day(row), int(row[c.C_TS]))


def _end_of_day(house: ClearingHouse, row: IntArray) -> None:
    house.last_cycle = cycle.run_daily(house, _day(row), int(row[c.C_TS]))


def _check_intraday(house: ClearingHouse, row: IntArray) -> None:
    cycle.plan_intraday(house, int(row[c.C_TS]))


def _intraday(house: ClearingHouse, row: IntArray) -> None:
    house.last_cycle = cycle.run_intraday(house, int(row[c.C_TS]))


def _contract(house: ClearingHouse, row: IntArray) -> Contract:
    pos, month = int(row[c.C_INSTR]), int(row[c.C_OID])
    if not 0 <= pos < len(house.cols.codes):
        raise SettlementError(f"no product at position {pos}")
    code = house.cols.codes[pos]
    carried = house.cols.contracts.contracts if house.cols.contracts else ()
    match = [k for k in carried if k.product == code and k.month_index == month]
    if not match:
        raise SettlementError(f"no carried {code} contract for month index {month}")
    return match[0]


def _check_final(house: ClearingHouse, row: IntArray) -> None:
    cycle.plan_final(house, _contract(house, row), int(row[c.C_TS]))


def _final(house: ClearingHouse, row: IntArray) -> None:
    house.last_cycle = cycle.run_final(house, _contract(house, row), int(row[c.C_TS]))
