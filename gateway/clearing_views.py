"""Clearing mode on the wire: account summaries, margin calls, index prices, and their
channels (``user.portfolio.usd``, ``deribit_price_index.{index_name}``).

Money leaves the core here: µ$ become USD floats (``gateway.views.usd``), ns become ms.
``ClearingPublisher`` publishes

- ``deribit_price_index.{index_name}`` — ``{index_name, price, timestamp}`` each time an
  index level changes (a daily print or a shock), from the ``IndexFeed`` listener;
- ``user.portfolio.usd`` — the account summary of ``private/get_account_summary``,
  after trades, order changes, deposits, withdrawals and cycles that change it; at most
  once per ``PORTFOLIO_INTERVAL_S`` per account (``flush`` runs on a timer), and only
  when it differs from the last one sent.

``margin_calls(account)`` lists an account's calls from the house's records;
``call_listeners`` hear each change of a call (issued, paid, met, defaulted).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clearing.house import ClearingHouse
from clearing.records import CallStatus, MarginCallRecord
from clearing.risk_gate import AccountState
from gateway.channels import UserChannel
from gateway.clearing_mode import ClearedSequencer
from gateway.index_feed import IndexFeed
from gateway.session import Hub
from gateway.views import usd
from gateway.wire import subscription_frame

log = logging.getLogger("flopex.gateway")

PORTFOLIO_INTERVAL_S = 0.1
"""Least wall time between two ``user.portfolio.usd`` notifications of one account."""
PORTFOLIO_KIND = "portfolio"
"""``UserChannel.kind`` of ``user.portfolio.{currency}``."""
INDEX_CHANNEL = "deribit_price_index"


def ms(ts: int) -> int:
    """Return ns as ms (floor)."""
    return ts // 1_000_000


def requirements(house: ClearingHouse, account: int, row: np.ndarray) -> tuple[int, int]:
    """Return (initial, maintenance) margin of one row of positions, µ$."""
    if house.margin is None or row.size == 0 or not row.any():
        return 0, 0
    kinds = np.array([int(house.registry.account(account).kind)], dtype=np.int8)
    req = house.margin.requirements(row[None, :], kinds, house.market)
    return int(req.initial[0]), int(req.maintenance[0])


def account_summary_view(cleared: ClearedSequencer, account: int) -> dict[str, object]:
    """Return ``account``'s summary in Deribit's ``private/get_account_summary`` shape, USD,
    with the flopex extensions ``margin_call_outstanding`` (USD), ``margin_call_deadline``
    (ms, null without a call), ``margin_call_pending`` and ``account_state``."""
    house = cleared.house
    s = house.summary(account)
    _, maintenance = requirements(house, account, house.position_row(account))
    call = house.calls.open.get(account)
    total_pl = s.equity - cleared.transfers.get(account, 0)
    return {
        "currency": "USD",
        "balance": usd(s.cash),
        "equity": usd(s.equity),
        "margin_balance": usd(s.equity),
        "initial_margin": usd(s.required),
        "maintenance_margin": usd(maintenance),
        "open_orders_margin": usd(s.hold),
        "available_funds": usd(s.free),
        "available_withdrawal_funds": usd(max(0, s.free)),
        "session_upl": usd(s.equity - s.cash),
        "futures_pl": usd(s.equity - s.cash),
        "total_pl": usd(total_pl),
        "margin_call_pending": s.call_outstanding > 0 or s.state is AccountState.MARGIN_CALL,
        "margin_call_outstanding": usd(s.call_outstanding),
        "margin_call_deadline": ms(call.deadline_ts) if call is not None else None,
        "account_state": s.state.name.lower(),
        "id": account,
    }


@dataclass
class CallView:
    """One margin call as last seen in the house's records (µ$, ns)."""

    call_id: int
    account: int
    issued_ts: int
    deadline_ts: int
    amount: int
    equity: int
    maintenance: int
    initial: int
    paid: int = 0
    outstanding: int = 0
    state: str = "open"
    updated_ts: int = 0

    def wire(self) -> dict[str, object]:
        """Return the call on the wire (USD, ms)."""
        return {
            "call_id": self.call_id,
            "state": self.state,
            "amount": usd(self.amount),
            "paid": usd(self.paid),
            "outstanding": usd(self.outstanding),
            "timestamp": ms(self.issued_ts),
            "deadline": ms(self.deadline_ts),
            "last_update_timestamp": ms(self.updated_ts),
            "equity": usd(self.equity),
            "maintenance_margin": usd(self.maintenance),
            "initial_margin": usd(self.initial),
        }


class ClearingPublisher:
    """Margin-call history, index and portfolio notifications of one clearing gateway."""

    def __init__(
        self,
        hub: Hub,
        cleared: ClearedSequencer,
        feed: IndexFeed,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hub = hub
        self.cleared = cleared
        self.feed = feed
        self.wall = wall
        self.calls: dict[int, dict[int, CallView]] = {}
        """Margin calls by account, then call id."""
        self._scanned = 0
        self.dirty: set[int] = set()
        self.last_sent: dict[int, float] = {}
        self.last_view: dict[int, dict[str, object]] = {}
        self.call_listeners: list[Callable[[int, dict[str, object]], None]] = []
        """Called with (account, the call on the wire) on the event loop whenever a margin
        call is issued, paid, met or defaulted (within one ``flush`` period)."""
        feed.listeners.append(self.publish_index)

    # ------------------------------------------------------------------ index
    def index_view(self, product: str) -> dict[str, object]:
        """Return ``public/get_index_price``'s answer for ``product`` (USD per GPU-hour):
        ``index_price`` the current level and ``estimated_delivery_price`` the front
        month's expected final settlement: the mean of the month's prints so far with
        the current level for the days still to come."""
        level = self.feed.level(product)
        spec = self.feed.products[product]
        front = self.feed.calendar.trading_day(self.feed.clock_ns())
        prints, n = self.feed.month_prints(product, front.year, front.month)
        scale = spec.price_unit_micros / 1e6
        known = sum(prints) * scale
        estimate = (known + level * (n - len(prints))) / n if n else level
        return {"index_price": level, "estimated_delivery_price": round(estimate, 6)}

    def publish_index(self, product: str, level: float, ts: int) -> None:
        """Publish ``level`` (USD per GPU-hour) on ``deribit_price_index.{index_name}``."""
        name = self.feed.products[product].index_name
        channel = f"{INDEX_CHANNEL}.{name}"
        if self.hub.has(channel):
            self.hub.fan_out(channel, {"index_name": name, "price": level, "timestamp": ms(ts)})

    # ------------------------------------------------------------------ margin calls
    def _scan(self) -> None:
        records = self.cleared.house.records
        changed: list[CallView] = []
        for i in range(self._scanned, len(records)):
            rec = records[i]
            if isinstance(rec, MarginCallRecord):
                changed.append(self._apply(rec))
        self._scanned = len(records)
        for view in changed:
            for listener in list(self.call_listeners):
                try:
                    listener(view.account, view.wire())
                except Exception:
                    log.exception("margin call listener failed")

    def _apply(self, rec: MarginCallRecord) -> CallView:
        by_id = self.calls.setdefault(rec.account, {})
        view = by_id.get(rec.call_id)
        if view is None:
            view = CallView(
                rec.call_id, rec.account, rec.ts, rec.deadline_ts, rec.amount if
                rec.status is CallStatus.ISSUED else rec.outstanding, rec.equity,
                rec.maintenance, rec.initial,
            )  # fmt: skip
            by_id[rec.call_id] = view
        view.updated_ts = rec.ts
        view.outstanding = rec.outstanding
        view.deadline_ts = rec.deadline_ts
        if rec.status is CallStatus.PAID:
            view.paid += rec.amount
        elif rec.status is CallStatus.MET:
            view.state = "met"
        elif rec.status is CallStatus.DEFAULTED:
            view.state = "defaulted"
        return view

    def margin_calls(self, account: int) -> list[dict[str, object]]:
        """Return ``account``'s margin calls on the wire, newest first."""
        self._scan()
        calls = self.calls.get(account, {})
        return [calls[k].wire() for k in sorted(calls, reverse=True)]

    # ------------------------------------------------------------------ portfolio
    def flush(self) -> int:
        """Publish ``user.portfolio.*`` for the accounts that changed and that someone
        listens to, unless published less than ``PORTFOLIO_INTERVAL_S`` ago (those stay
        pending). Return how many notifications were queued."""
        self._scan()
        tap = self.cleared.tap
        self.dirty |= tap.touched
        tap.touched = set()
        users = self.hub.users
        now = self.wall()
        sent = 0
        for account in sorted(self.dirty):
            sessions = users.get(account)
            if not sessions:
                self.dirty.discard(account)
                continue
            targets = [
                (session, name)
                for session in list(sessions)
                for name, ch in session.channels.items()
                if isinstance(ch, UserChannel) and ch.kind == PORTFOLIO_KIND
            ]
            if not targets:
                self.dirty.discard(account)
                continue
            if now - self.last_sent.get(account, -1e9) < PORTFOLIO_INTERVAL_S:
                continue
            self.dirty.discard(account)
            view = account_summary_view(self.cleared, account)
            if self.last_view.get(account) == view:
                continue
            self.last_view[account] = view
            self.last_sent[account] = now
            for session, name in targets:
                session.push(subscription_frame(name, view))
                sent += 1
        return sent
