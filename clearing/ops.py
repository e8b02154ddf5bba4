"""Clearing commands and reject codes on the pipeline (rules CR-21, CR-22, CR-32).

Clearing commands are ordinary ``CMD_WIDTH`` int64 rows with ``C_OP`` ≥ 100, so they are
sequenced and journaled like orders and a replay reproduces them. Fields used:

| op | fields |
|---|---|
| ``DEPOSIT``, ``WITHDRAW`` | ``C_ACCOUNT``; ``C_QTY`` = amount, µ$ (> 0) |
| ``END_OF_DAY`` | ``C_PRICE`` = the settlement date's ordinal (``date.toordinal``) |
| ``INTRADAY`` | ``C_TS`` = the settlement time, ns |
| ``FINAL_SETTLE`` | ``C_INSTR`` = product position in the venue, ``C_OID`` = month index |
| ``SET_STATE`` | ``C_ACCOUNT``; ``C_TYPE`` = ``AccountState`` (suspend / reinstate) |
| ``DECLARE_DEFAULT`` | ``C_ACCOUNT`` |

Reject codes: the pipeline owns 19000–19009, the clearing house 19010–19049, and the
gateway's own errors (game not found, …) are left 19050–19099. ``WIRE_CODES`` maps those
that have a Deribit v2 equivalent (``not_enough_funds`` 10009, …); the others go on the
wire as themselves.
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange import commands

Row = npt.NDArray[np.int64]


class ClearingOp(IntEnum):
    """Pipeline ops of the clearing house (``C_OP``)."""

    DEPOSIT = 100
    WITHDRAW = 101
    END_OF_DAY = 102
    INTRADAY = 103
    FINAL_SETTLE = 104
    SET_STATE = 105
    DECLARE_DEFAULT = 106


class ClearingReject(IntEnum):
    """Reject codes of the clearing house (``E_CODE`` of ``EV_REJECTED``)."""

    UNKNOWN_ACCOUNT = 19_010
    ACCOUNT_SUSPENDED = 19_011
    ACCOUNT_IN_DEFAULT = 19_012
    MARGIN_CALL_PENDING = 19_013
    MAX_ORDER_SIZE = 19_014
    POSITION_LIMIT = 19_015
    NOT_ENOUGH_FUNDS = 19_016
    CONTRACT_NOT_CLEARED = 19_017
    INVALID_AMOUNT = 19_020
    INSUFFICIENT_FREE_COLLATERAL = 19_021
    INDEX_NOT_PUBLISHED = 19_022
    INVALID_COMMAND = 19_023


WIRE_CODES: dict[ClearingReject, int] = {
    ClearingReject.NOT_ENOUGH_FUNDS: 10_009,
    ClearingReject.INSUFFICIENT_FREE_COLLATERAL: 10_009,
    ClearingReject.POSITION_LIMIT: 10_018,
    ClearingReject.ACCOUNT_SUSPENDED: 10_019,
    ClearingReject.MAX_ORDER_SIZE: 10_021,
    ClearingReject.INVALID_AMOUNT: 10_021,
    ClearingReject.CONTRACT_NOT_CLEARED: 10_020,
}
"""Deribit v2 error code of each clearing reject that has one (PROTOCOL.md, Errors)."""


def wire_code(code: int) -> int:
    """Return the code the gateway should send for reject ``code``."""
    try:
        return WIRE_CODES.get(ClearingReject(code), code)
    except ValueError:
        return code


def _row(op: ClearingOp, ts: int, account: int = 0) -> Row:
    return commands.row(int(op), ts, 0, account)


def deposit_row(account: int, amount: int, ts: int = 0) -> Row:
    """Return a DEPOSIT of ``amount`` µ$ into ``account``."""
    r = _row(ClearingOp.DEPOSIT, ts, account)
    r[c.C_QTY] = amount
    return r


def withdraw_row(account: int, amount: int, ts: int = 0) -> Row:
    """Return a WITHDRAW of ``amount`` µ$ from ``account``."""
    r = _row(ClearingOp.WITHDRAW, ts, account)
    r[c.C_QTY] = amount
    return r


def end_of_day_row(day: date, ts: int) -> Row:
    """Return the END_OF_DAY settlement of ``day`` at ``ts`` ns (its close)."""
    r = _row(ClearingOp.END_OF_DAY, ts)
    r[c.C_PRICE] = day.toordinal()
    return r


def intraday_row(ts: int) -> Row:
    """Return an INTRADAY settlement cycle at ``ts`` ns."""
    return _row(ClearingOp.INTRADAY, ts)


def final_settle_row(product_pos: int, month_index: int, ts: int) -> Row:
    """Return the FINAL_SETTLE of the contract ``month_index`` of product ``product_pos``."""
    r = _row(ClearingOp.FINAL_SETTLE, ts)
    r[c.C_INSTR] = product_pos
    r[c.C_OID] = month_index
    return r


def set_state_row(account: int, state: int, ts: int = 0) -> Row:
    """Return a SET_STATE of ``account`` to ``state`` (an ``AccountState``)."""
    r = _row(ClearingOp.SET_STATE, ts, account)
    r[c.C_TYPE] = state
    return r


def declare_default_row(account: int, ts: int) -> Row:
    """Return the administrator's DECLARE_DEFAULT of ``account`` at ``ts`` ns."""
    return _row(ClearingOp.DECLARE_DEFAULT, ts, account)
