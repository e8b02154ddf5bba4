"""Margin calls: issue, payment, deadline (rule CR-28).

After a settlement cycle an active account whose equity (cash after variation margin) is
below its maintenance margin gets a call for ``initial − equity`` µ$, due at
``ts + deadline_ns`` (simulated ns). While the call is outstanding the account may not add
margin (``AccountState.MARGIN_CALL``). Every deposit into the account pays towards the
call; once nothing is outstanding, or a later settlement finds equity ≥ initial margin,
the call is met and the account is active again. A call still outstanding at its deadline
makes the account default (CR-29). One call per account at a time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from clearing.records import CallStatus, MarginCallRecord
from exchange.calendar import NS_PER_SECOND

HOUR_NS = 3_600 * NS_PER_SECOND


@dataclass(frozen=True)
class CallParams:
    """Deadlines, ns after the call: ``deadline_ns`` for end-of-day calls (16 h: the
    next morning for a 21:00 UTC close) and ``intraday_deadline_ns`` (1 h)."""

    deadline_ns: int = 16 * HOUR_NS
    intraday_deadline_ns: int = HOUR_NS

    def __post_init__(self) -> None:
        if self.deadline_ns <= 0 or self.intraday_deadline_ns <= 0:
            raise ValueError("margin call deadlines must be positive")


@dataclass
class MarginCall:
    """An outstanding call: ``amount`` µ$ asked at ``issued_ts``, ``paid`` so far, with
    the figures that caused it (µ$)."""

    call_id: int
    account: int
    issued_ts: int
    deadline_ts: int
    amount: int
    equity: int
    maintenance: int
    initial: int
    paid: int = 0

    @property
    def outstanding(self) -> int:
        """Return what is left to pay, µ$."""
        return max(0, self.amount - self.paid)

    def record(self, ts: int, status: CallStatus, amount: int) -> MarginCallRecord:
        """Return a record of this call at ``ts``."""
        return MarginCallRecord(
            ts,
            self.call_id,
            self.account,
            status,
            amount,
            self.outstanding,
            self.deadline_ts,
            self.equity,
            self.maintenance,
            self.initial,
        )


class MarginCalls:
    """The outstanding margin calls, one per account. Operations O(1) but ``due``."""

    def __init__(self, params: CallParams | None = None) -> None:
        self.params = params or CallParams()
        self.open: dict[int, MarginCall] = {}
        self._next_id = 1

    def issue(
        self, account: int, ts: int, equity: int, maintenance: int, initial: int, intraday: bool
    ) -> MarginCallRecord | None:
        """Call ``account`` if ``equity < maintenance`` and it has no call; return the record."""
        if account in self.open or equity >= maintenance:
            return None
        deadline = ts + (self.params.intraday_deadline_ns if intraday else self.params.deadline_ns)
        call = MarginCall(
            self._next_id, account, ts, deadline, initial - equity, equity, maintenance, initial
        )
        self._next_id += 1
        self.open[account] = call
        return call.record(ts, CallStatus.ISSUED, call.amount)

    def pay(self, account: int, amount: int, ts: int) -> list[MarginCallRecord]:
        """Apply a deposit of ``amount`` µ$ to ``account``'s call; return PAID (and MET)."""
        call = self.open.get(account)
        if call is None:
            return []
        applied = min(amount, call.outstanding)
        call.paid += applied
        out = [call.record(ts, CallStatus.PAID, applied)]
        if call.outstanding == 0:
            del self.open[account]
            out.append(call.record(ts, CallStatus.MET, 0))
        return out

    def met_by_market(
        self, account: int, ts: int, equity: int, initial: int
    ) -> MarginCallRecord | None:
        """Close ``account``'s call if a settlement left ``equity ≥ initial``; return MET."""
        call = self.open.get(account)
        if call is None or equity < initial:
            return None
        del self.open[account]
        return call.record(ts, CallStatus.MET, 0)

    def due(self, ts: int) -> list[int]:
        """Return the accounts whose call is unpaid at ``ts`` ns or later, ascending."""
        return sorted(a for a, call in self.open.items() if call.deadline_ts <= ts)

    def default(self, account: int, ts: int) -> MarginCallRecord | None:
        """Close ``account``'s call as DEFAULTED (the unpaid rest in ``amount``)."""
        call = self.open.pop(account, None)
        if call is None:
            return None
        return call.record(ts, CallStatus.DEFAULTED, call.outstanding)

    def state_hash(self) -> str:
        """Return a SHA-256 of the open calls."""
        h = hashlib.sha256(f"next={self._next_id}\n".encode())
        for a in sorted(self.open):
            h.update(repr(self.open[a]).encode())
        return h.hexdigest()
