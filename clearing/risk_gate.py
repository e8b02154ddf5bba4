"""The pre-trade gate: account state, order size, position limits, margin holds (CR-22).

The pipeline calls ``RiskGate.check`` on every engine command from outside before it
reaches the engine, and feeds the gate every event (``on_events``) so it knows each
account's open orders. Checks on a new order, in this order (the first failing one
decides the code, ``clearing.ops.ClearingReject``):

1. the account exists (``UNKNOWN_ACCOUNT``);
2. its state: in default (``ACCOUNT_IN_DEFAULT``); suspended, unless the order is
   reduce-only (``ACCOUNT_SUSPENDED``);
3. the contract is cleared (``CONTRACT_NOT_CLEARED``); the account's position in it is
   written into ``C_POSITION`` (the engine's reduce-only rule needs it);
4. quantity above ``max_order_qty`` (``MAX_ORDER_SIZE``); reduce-only orders pass here;
5. worst-case position above the contract's limit (``POSITION_LIMIT``);
6. initial margin of the worst case: if the order raises it, the account must not be
   under a margin call (``MARGIN_CALL_PENDING``) and its equity must cover it
   (``NOT_ENOUGH_FUNDS``).

The *worst case* of an account is the largest initial margin of three portfolios: every
open buy order filled, every open sell order filled, and in each contract whichever of
the two leaves the larger position. The *hold* for open orders is that margin minus the
margin of the positions alone; it falls when orders are canceled, expire or fill. Money
in µ$, quantities in contracts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

from clearing.ops import ClearingReject as R
from exchange import codes as c

IntArray = npt.NDArray[np.int64]
Row = npt.NDArray[np.int64]


class AccountState(IntEnum):
    """What an account may do (CR-22)."""

    ACTIVE = 0
    MARGIN_CALL = 1  # a call is outstanding: only orders that do not add margin
    SUSPENDED = 2  # by the administrator: reduce-only orders and cancels
    IN_DEFAULT = 3  # frozen: the clearing house alone acts for it


@dataclass(frozen=True)
class GateParams:
    """``max_order_qty``: largest order, contracts (0 = no limit); ``position_limit``:
    largest worst-case position in any one contract (0 = none); ``spot_month_limits``:
    apply each product's ``spot_month_position_limit`` to its front contract."""

    max_order_qty: int = 0
    position_limit: int = 0
    spot_month_limits: bool = True


class RiskView(Protocol):
    """What the gate reads from the clearing house."""

    def n_accounts(self) -> int:
        """Return the number of accounts in the registry."""
        ...

    def column_of_slot(self) -> IntArray:
        """Return engine slot → cleared column (−1 where none), one entry per slot."""
        ...

    def position_row(self, account: int) -> IntArray:
        """Return the account's signed positions per column, contracts."""
        ...

    def position_limit(self, column: int) -> int:
        """Return the largest worst-case position allowed in ``column`` (0 = none)."""
        ...

    def equity(self, account: int) -> int:
        """Return cash plus the value change since the last mark, µ$."""
        ...

    def initial_margin(self, account: int, rows: IntArray) -> IntArray:
        """Return the initial margin (µ$) of each row of positions for ``account``."""
        ...


class RiskGate:
    """Pre-trade risk for every account; open orders tracked from engine events."""

    def __init__(self, view: RiskView, n_slots: int, params: GateParams | None = None) -> None:
        self.view = view
        self.params = params or GateParams()
        self.n_slots = n_slots
        self.states = np.zeros(0, dtype=np.int8)
        self._open = np.zeros((0, n_slots, 2), dtype=np.int64)
        self._orders: dict[int, list[int]] = {}  # oid -> [account, slot, side, open qty]
        self._required: dict[int, int] = {}

    # ------------------------------------------------------------------ state
    def ensure(self, n: int) -> None:
        """Make room for ``n`` accounts."""
        extra = n - len(self.states)
        if extra > 0:
            self.states = np.concatenate([self.states, np.zeros(extra, dtype=np.int8)])
            pad = np.zeros((extra, self.n_slots, 2), dtype=np.int64)
            self._open = np.concatenate([self._open, pad])

    def state(self, account: int) -> AccountState:
        """Return ``account``'s state."""
        self.ensure(account + 1)
        return AccountState(int(self.states[account]))

    def set_state(self, account: int, state: AccountState) -> None:
        """Set ``account``'s state."""
        self.ensure(account + 1)
        self.states[account] = int(state)

    def invalidate(self, account: int | None = None) -> None:
        """Forget cached requirements (of one account, or all when marks changed)."""
        if account is None:
            self._required.clear()
        else:
            self._required.pop(int(account), None)

    def open_quantity(self, account: int, slot: int, side: int) -> int:
        """Return the open order quantity of ``account`` on one side of a slot."""
        self.ensure(account + 1)
        return int(self._open[account, slot, side])

    # ------------------------------------------------------------------ margin
    def _open_columns(self, account: int, n_cols: int) -> tuple[IntArray, IntArray]:
        col = self.view.column_of_slot()
        mask = col >= 0
        buys = np.zeros(n_cols, dtype=np.int64)
        sells = np.zeros(n_cols, dtype=np.int64)
        buys[col[mask]] = self._open[account, : len(col), c.SIDE_BUY][mask]
        sells[col[mask]] = self._open[account, : len(col), c.SIDE_SELL][mask]
        return buys, sells

    @staticmethod
    def _rows(pos: IntArray, buys: IntArray, sells: IntArray) -> IntArray:
        """Return the three worst-case portfolios: all buys, all sells, the larger side."""
        up, down = pos + buys, pos - sells
        return np.stack([up, down, np.where(np.abs(up) >= np.abs(down), up, down)])

    def _worst(self, account: int, pos: IntArray, buys: IntArray, sells: IntArray) -> int:
        return int(self.view.initial_margin(account, self._rows(pos, buys, sells)).max())

    def required(self, account: int) -> int:
        """Return the initial margin of ``account``'s worst case (positions and open
        orders), µ$. Cached until the account's orders or positions or the marks change."""
        a = int(account)
        got = self._required.get(a)
        if got is None:
            self.ensure(a + 1)
            pos = self.view.position_row(a)
            buys, sells = self._open_columns(a, len(pos))
            got = self._required[a] = self._worst(a, pos, buys, sells)
        return got

    def hold(self, account: int) -> int:
        """Return the margin held for ``account``'s open orders, µ$ (≥ 0)."""
        pos = self.view.position_row(account)
        alone = int(self.view.initial_margin(account, pos[None, :]).max())
        return max(0, self.required(account) - alone)

    # ------------------------------------------------------------------ checks
    def check(self, cmd: Row) -> int:
        """Return 0 if ``cmd`` may go to the engine, else a ``ClearingReject`` code."""
        op = int(cmd[c.C_OP])
        if op == c.OP_NEW:
            return self._check_new(cmd)
        if op == c.OP_REPLACE:
            return self._check_replace(cmd)
        return 0

    def _check_account(self, a: int, reduce_only: bool) -> int:
        if not 0 <= a < self.view.n_accounts():
            return R.UNKNOWN_ACCOUNT
        st = self.state(a)
        if st is AccountState.IN_DEFAULT:
            return R.ACCOUNT_IN_DEFAULT
        if st is AccountState.SUSPENDED and not reduce_only:
            return R.ACCOUNT_SUSPENDED
        return 0

    def _check_new(self, cmd: Row) -> int:
        a = int(cmd[c.C_ACCOUNT])
        reduce_only = bool(int(cmd[c.C_FLAGS]) & c.FLAG_REDUCE_ONLY)
        code = self._check_account(a, reduce_only)
        if code:
            return code
        slot = int(cmd[c.C_INSTR])
        cols = self.view.column_of_slot()
        col = int(cols[slot]) if 0 <= slot < len(cols) else -1
        if col < 0:
            return R.CONTRACT_NOT_CLEARED
        pos = self.view.position_row(a)
        cmd[c.C_POSITION] = pos[col]
        qty, side = int(cmd[c.C_QTY]), int(cmd[c.C_SIDE])
        if qty <= 0 or side not in (c.SIDE_BUY, c.SIDE_SELL):
            return 0  # the engine rejects it (MR-3)
        if self.params.max_order_qty and qty > self.params.max_order_qty:
            return R.MAX_ORDER_SIZE
        if reduce_only:
            return 0  # it can only reduce the position (MR-3 step 9)
        return self._check_exposure(a, pos, col, side, qty)

    def _check_replace(self, cmd: Row) -> int:
        order = self._orders.get(int(cmd[c.C_OID]))
        a = int(cmd[c.C_ACCOUNT])
        if order is None or a != order[0]:
            return 0  # unknown order, administrator, or not the owner: the engine decides
        code = self._check_account(a, reduce_only=False)
        if code:
            return code
        col = int(self.view.column_of_slot()[order[1]])
        if col < 0:
            return R.CONTRACT_NOT_CLEARED  # finally settled: it must not trade again
        qty = int(cmd[c.C_QTY])
        if self.params.max_order_qty and qty > self.params.max_order_qty:
            return R.MAX_ORDER_SIZE
        if qty <= order[3]:
            return 0
        pos = self.view.position_row(a)
        return self._check_exposure(a, pos, col, order[2], qty - order[3])

    def _check_exposure(self, a: int, pos: IntArray, col: int, side: int, qty: int) -> int:
        buys, sells = self._open_columns(a, len(pos))
        limit = self.view.position_limit(col)
        if side == c.SIDE_BUY:
            worst = int(pos[col] + buys[col]) + qty
        else:
            worst = int(sells[col] - pos[col]) + qty
        if limit and worst > limit:
            return R.POSITION_LIMIT
        rows = self._rows(pos, buys, sells)
        (buys if side == c.SIDE_BUY else sells)[col] += qty
        new_rows = self._rows(pos, buys, sells)
        before = self._required.get(a)
        if before is None:  # one margin run for both: the scan costs the same for 6 rows
            im = self.view.initial_margin(a, np.vstack([rows, new_rows]))
            before = self._required[a] = int(im[:3].max())
            after = int(im[3:].max())
        else:
            after = int(self.view.initial_margin(a, new_rows).max())
        if after <= before:
            return 0
        if self.state(a) is AccountState.MARGIN_CALL:
            return R.MARGIN_CALL_PENDING
        if self.view.equity(a) < after:
            return R.NOT_ENOUGH_FUNDS
        return 0

    # ------------------------------------------------------------------ events
    def on_events(self, events: IntArray) -> None:
        """Track open orders from engine events (accepted, traded, canceled, expired,
        replaced) and forget the requirements of every account they touch."""
        kinds = events[:, c.E_KIND]
        for r in events[(kinds != c.EV_BOOK) & (kinds != c.EV_STATUS)]:
            k = int(r[c.E_KIND])
            if k == c.EV_ACCEPTED:
                a, slot = int(r[c.E_ACCOUNT]), int(r[c.E_INSTR])
                self.ensure(a + 1)
                self._orders[int(r[c.E_OID])] = [a, slot, int(r[c.E_SIDE]), 0]
                self._set_open(int(r[c.E_OID]), int(r[c.E_REMAINING]))
            elif k == c.EV_TRADE:
                self._set_open(int(r[c.E_OID]), int(r[c.E_REMAINING]))
                self._set_open(int(r[c.E_OTHER_OID]), int(r[c.E_OTHER_REMAINING]))
                self.invalidate(int(r[c.E_ACCOUNT]))
                self.invalidate(int(r[c.E_OTHER_ACCOUNT]))
            elif k in (c.EV_CANCELED, c.EV_EXPIRED):
                self._set_open(int(r[c.E_OID]), 0)
            elif k == c.EV_REPLACED:
                self._set_open(int(r[c.E_OID]), int(r[c.E_REMAINING]))

    def _set_open(self, oid: int, open_qty: int) -> None:
        order = self._orders.get(oid)
        if order is None:
            return
        a, slot, side, old = order
        self._open[a, slot, side] += open_qty - old
        order[3] = open_qty
        if open_qty == 0:
            del self._orders[oid]
        self.invalidate(a)

    def state_hash(self) -> str:
        """Return a SHA-256 of account states and open orders."""
        h = hashlib.sha256(self.states.tobytes())
        for oid in sorted(self._orders):
            h.update(f"{oid}:{self._orders[oid]}\n".encode())
        return h.hexdigest()
