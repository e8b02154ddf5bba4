"""Clearing mode: the gateway's sequencer is the pipeline with the clearing house, on a clock.

With ``Settings.clearing`` (``FLOPEX_CLEARING=1``) the gateway sequences every command
through an ``exchange.pipeline.Pipeline`` whose pre-trade gate and post-trade consumer
are a ``clearing.house.ClearingHouse``: orders the account cannot margin are refused
before matching (10009 ``not_enough_funds``, … see ``gateway/errors.py``), trades are
booked into positions and cash. Each account the gateway creates is opened in the
house's registry under the same id and receives ``Settings.clearing_deposit_micros``.
Account 0 is the house's own placeholder (the gateway hands out ids from 1).

**Index.** The house marks to the gateway's ``IndexFeed`` (gateway/index_feed.py), set
with ``use_index`` before the venue opens: first marks are the latest index prints.

**Daily cycle on the venue clock.** Every move of the venue clock (``advance``, run by
the pipeline task for each ``ClockTick``, so sequenced like any command) first handles
each business-day close it passes, in order. For business day ``D`` with close ``T``:

1. the venue clock moves to ``T`` (expiries and listings of that close, good-til-day
   orders expire);
2. the index prints of ``D`` are published;
3. the house's daily cycle ``end_of_day(D)`` runs (CR-32: settlement prices, variation
   margin, final settlements of contracts expired at ``T``, defaults, margin, calls,
   default fund, band references);
4. contracts whose trading ended at or before ``T`` and still not finally settled (a
   refused cycle) are settled one by one with ``expire(contract)`` (CR-27).

A cycle the house refuses (a ``ClearingError``: nothing changed) is logged and recorded
in ``refusals``; any other failure is logged too; the clock carries on either way. The
events of all of it are returned with those of the clock move, so the pipeline task
folds and publishes them (orders cancelled by a default, book changes, …).

With the game clock (gateway/clock.py), which skips nights and weekends, the deadline
of a margin call issued at a close skips the non-business days the clock skips: a call
issued at Friday's close with the 16 h deadline is due at 13:00 on Monday, not on
Saturday (which the clock never shows). Money in µ$, times in ns.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from clearing.accounts import AccountRegistry, AccountType, Origin
from clearing.cycle import Cycle
from clearing.errors import ClearingError
from clearing.house import ClearingHouse
from clearing.records import CallStatus, MarginCallRecord
from exchange import codes as c
from exchange.calendar import NS_PER_DAY, ns_to_date
from exchange.pipeline import Pipeline
from exchange.venue import Venue
from gateway.index_feed import IndexFeed
from gateway.sequencer import Events, Row

log = logging.getLogger("flopex.gateway")

MEMBER_NAME = "flopex gateway"

_NO_EVENTS = np.zeros((0, c.EV_WIDTH), dtype=np.int64)


@dataclass(frozen=True)
class Refusal:
    """A cycle that did not run: the business ``day``, its ``kind`` (``daily``; ``final``
    with the contract name in ``what``; ``close`` when the close itself failed) and why."""

    day: date
    kind: str
    what: str
    reason: str


class _Tap:
    """A pipeline consumer that remembers which accounts events touched, and collects
    the events while ``collecting``."""

    def __init__(self) -> None:
        self.collecting: list[Events] | None = None
        self.touched: set[int] = set()

    def on_events(self, events: Events) -> None:
        if self.collecting is not None:
            self.collecting.append(events)
        accounts = events[:, c.E_ACCOUNT]
        trades = events[:, c.E_KIND] == c.EV_TRADE
        self.touched.update(accounts[accounts > 0].tolist())
        others = events[trades, c.E_OTHER_ACCOUNT]
        self.touched.update(others[others > 0].tolist())


class ClearedSequencer:
    """A ``Sequencer`` (gateway/sequencer.py): a pipeline gated and consumed by a house,
    whose clock moves run the daily cycles of the closes they pass."""

    def __init__(self, venue: Venue) -> None:
        self.registry = AccountRegistry()
        member = self.registry.add_member(MEMBER_NAME)
        self.registry.open_account(member.id, Origin.HOUSE, AccountType.MEMBER, "house")
        self.pipeline = Pipeline(venue)
        self.house = ClearingHouse(self.pipeline, self.registry, {})
        self.calendar = venue.calendar
        self.tap = _Tap()
        self.pipeline.consumers.append(self.tap)
        self.index_feed: IndexFeed | None = None
        self.next_close: date | None = None
        """The business day whose close the clock passes next (set at ``open``)."""
        self.skip_non_business_deadlines = False
        """Move margin-call deadlines past skipped days (set with the game clock)."""
        self.transfers: dict[int, int] = {}
        """Deposits minus withdrawals per account, µ$ (for total P&L)."""
        self.cycles: list[Cycle] = []
        """Every cycle run (daily and final), oldest first."""
        self.refusals: list[Refusal] = []
        """Every cycle refused or failed, oldest first."""
        self.cycle_listeners: list[Callable[[Cycle], None]] = []
        """Called after each cycle, inside the pipeline task."""

    # ------------------------------------------------------------------ wiring
    def use_index(self, feed: IndexFeed) -> None:
        """Mark to ``feed``'s sources (call before ``open``)."""
        self.index_feed = feed
        self.house.index.update(feed.sources)

    # ------------------------------------------------------------------ sequencer
    def open(self, ts: int) -> Events:
        """Open the venue at ``ts`` ns (journaled)."""
        events = self.pipeline.open(ts)
        self.next_close = self.calendar.trading_day(ts)
        return events

    def submit(self, cmd: Row) -> Events:
        """Sequence ``cmd`` through the gate, the engine and the house."""
        return self.pipeline.submit(cmd)

    def advance(self, ts: int) -> Events:
        """Move the venue clock to ``ts`` ns, first running the cycle of every business-day
        close up to ``ts`` (see the module); return every event caused."""
        out: list[Events] = []
        day = self.next_close
        while day is not None and self.calendar.close_ts(day) <= ts:
            try:
                self._close(day, out)
            except Exception as exc:  # the clock must carry on whatever a close does
                log.exception("clearing: the close of %s failed", day)
                self.refusals.append(Refusal(day, "close", day.isoformat(), repr(exc)))
            day = self.next_close = self.calendar.next_business_day(day)
        out.append(self.pipeline.advance(ts))
        out = [e for e in out if len(e)]
        if not out:
            return _NO_EVENTS.copy()
        return np.concatenate(out) if len(out) > 1 else out[0]

    def state_hash(self) -> str:
        """Return the pipeline's state hash (engine and house)."""
        return self.pipeline.state_hash()

    # ------------------------------------------------------------------ accounts
    def open_account(self, account: int, name: str, deposit: int) -> None:
        """Open gateway account ``account`` in the house and deposit ``deposit`` µ$."""
        opened = self.registry.open_account(
            self.registry.members[0].id, Origin.CUSTOMER, AccountType.SPECULATOR, name
        )
        if opened.id != account:
            raise RuntimeError(f"clearing account {opened.id} is not gateway account {account}")
        self.house.sync()
        self.transfers[account] = 0
        if deposit > 0:
            self.deposit(account, deposit)

    def deposit(self, account: int, amount: int) -> None:
        """Deposit ``amount`` µ$ into ``account`` (pays towards its margin call).
        Raises a ``ClearingError`` with nothing changed when the house refuses."""
        self.house.deposit(account, amount)
        self.transfers[account] = self.transfers.get(account, 0) + amount
        self.tap.touched.add(account)

    def withdraw(self, account: int, amount: int) -> None:
        """Withdraw ``amount`` µ$ of ``account``'s free collateral. Raises a
        ``ClearingError`` with nothing changed when the house refuses."""
        self.house.withdraw(account, amount)
        self.transfers[account] = self.transfers.get(account, 0) - amount
        self.tap.touched.add(account)

    # ------------------------------------------------------------------ cycles
    def _close(self, day: date, out: list[Events]) -> None:
        close = self.calendar.close_ts(day)
        now = self.pipeline.venue.now
        if now is not None and now < close:
            out.append(self.pipeline.advance(close))
        if self.index_feed is not None:
            self.index_feed.publish_through(day, close)
        self._run(day, "daily", day.isoformat(), lambda: self.house.end_of_day(day), out)
        cleared = self.house.cols.contracts
        for k in cleared.contracts if cleared is not None else ():
            if k.expiry_ts <= close and k.name not in self.house.settled:
                self._run(day, "final", k.name, functools.partial(self.house.expire, k, close), out)

    def _run(
        self, day: date, kind: str, what: str, fn: Callable[[], Cycle], out: list[Events]
    ) -> None:
        collected: list[Events] = []
        self.tap.collecting = collected
        n_records = len(self.house.records)
        try:
            cycle = fn()
        except ClearingError as exc:
            log.warning("clearing: %s cycle %s of %s refused: %s", kind, what, day, exc)
            self.refusals.append(Refusal(day, kind, what, str(exc)))
            return
        except Exception as exc:
            log.exception("clearing: %s cycle %s of %s failed", kind, what, day)
            self.refusals.append(Refusal(day, kind, what, f"{type(exc).__name__}: {exc}"))
            return
        finally:
            self.tap.collecting = None
            out.extend(collected)
        self.cycles.append(cycle)
        self.tap.touched.update(range(1, len(self.registry)))
        if self.skip_non_business_deadlines:
            self._move_deadlines(n_records)
        for listener in list(self.cycle_listeners):
            try:
                listener(cycle)
            except Exception:
                log.exception("clearing: cycle listener failed")

    def _move_deadlines(self, since: int) -> None:
        """Push the deadline of each call issued since record ``since`` past the
        non-business days between its issue and its deadline (game clock only)."""
        records = self.house.records
        for i in range(since, len(records)):
            rec = records[i]
            if not isinstance(rec, MarginCallRecord) or rec.status is not CallStatus.ISSUED:
                continue
            call = self.house.calls.open.get(rec.account)
            if call is None or call.call_id != rec.call_id:
                continue
            skipped = self._non_business_days(call.issued_ts, call.deadline_ts)
            if skipped:
                call.deadline_ts += skipped * NS_PER_DAY
                records[i] = dataclasses.replace(rec, deadline_ts=call.deadline_ts)

    def _non_business_days(self, start_ts: int, end_ts: int) -> int:
        """Return the non-business days from the day after ``start_ts``'s date through the
        date the deadline lands on once those days are skipped."""
        d, end = ns_to_date(start_ts), ns_to_date(end_ts)
        skipped = 0
        for _ in range(366):
            d += timedelta(days=1)
            if d > end:
                break
            if not self.calendar.is_business_day(d):
                skipped += 1
                end += timedelta(days=1)
        return skipped
