"""The clearing house façade: wires index, ledger, positions, margin, settlement, calls and
defaults onto the pipeline (rule CR-32).

``ClearingHouse(pipeline, registry, index)`` plugs itself into a ``Pipeline``: its
``RiskGate`` as the pre-trade gate, itself as a consumer (post-trade booking, open-order
tracking, listings) and clock listener (margin-call deadlines), and handlers for the
clearing commands of ``clearing.ops``. Its public methods build those commands and submit
them, so every change is sequenced and journaled; each first validates, and raises a
``ClearingError`` with nothing changed (not even the sequence number) when the command
would be refused:

- ``deposit``, ``withdraw``, ``suspend``, ``reinstate``, ``declare_default``;
- ``end_of_day(day)``: the daily cycle (settlement prices, variation margin, final
  settlements, defaults, margin, calls, default fund);
- ``intraday(ts)``: an intra-day variation-margin cycle;
- ``expire(contract)``: the final settlement of one contract.

Money in µ$, prices in µ$ per GPU-hour (marks) or price units (orders), times in ns.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from clearing import cycle, handlers
from clearing.accounts import AccountRegistry
from clearing.columns import Columns
from clearing.contracts import ContractSet
from clearing.default_fund import FundParams
from clearing.defaults import DefaultCase, DefaultParams, declare
from clearing.errors import SettlementError
from clearing.index.base import IndexSource
from clearing.ledger import Ledger
from clearing.margin import MarginModel, MarketState, SpanLikeMargin
from clearing.margin_calls import CallParams, MarginCalls
from clearing.ops import (
    declare_default_row,
    deposit_row,
    end_of_day_row,
    final_settle_row,
    intraday_row,
    set_state_row,
    withdraw_row,
)
from clearing.positions import PositionBook
from clearing.post_trade import PostTrade
from clearing.records import ClearingRecord
from clearing.risk_gate import AccountState, GateParams, RiskGate
from clearing.settlement import SettlementParams, TradeTape
from exchange import codes as c
from exchange.calendar import ns_to_date
from exchange.pipeline import Pipeline
from exchange.products import Contract

IntArray = npt.NDArray[np.int64]
MarginFactory = Callable[[ContractSet], MarginModel]


@dataclass(frozen=True)
class HouseParams:
    """Every clearing setting; ``ccp_capital_micros`` is brought in at construction."""

    settlement: SettlementParams = field(default_factory=SettlementParams)
    gate: GateParams = field(default_factory=GateParams)
    calls: CallParams = field(default_factory=CallParams)
    defaults: DefaultParams = field(default_factory=DefaultParams)
    fund: FundParams = field(default_factory=FundParams)
    ccp_capital_micros: int = 0
    update_reference_prices: bool = True


@dataclass(frozen=True)
class AccountSummary:
    """One account's figures, µ$: ``required`` is the worst-case initial margin with open
    orders, ``hold`` the part for orders, ``free`` = equity − required."""

    account: int
    state: AccountState
    cash: int
    equity: int
    initial: int
    maintenance: int
    required: int
    hold: int
    free: int
    call_outstanding: int


class ClearingHouse:
    """The CCP for one venue: plug it into ``pipeline`` and drive it by its methods."""

    def __init__(
        self,
        pipeline: Pipeline,
        registry: AccountRegistry,
        index: Mapping[str, IndexSource],
        params: HouseParams | None = None,
        margin_factory: MarginFactory = SpanLikeMargin,
    ) -> None:
        self.pipeline = pipeline
        self.venue = pipeline.venue
        self.calendar = self.venue.calendar
        self.registry = registry
        self.index = dict(index)
        self.params = params or HouseParams()
        self.margin_factory = margin_factory
        self.ledger = Ledger(registry, required_margin=self._withdrawal_margin)
        if self.params.ccp_capital_micros:
            self.ledger.fund_ccp(self.params.ccp_capital_micros, ref="skin in the game")
        n_slots = int(self.venue.engine.state_array()[3])  # MR-13: n_instrument_slots
        self.cols = Columns(self.venue.products, self.calendar, n_slots)
        self.gate = RiskGate(self, n_slots, self.params.gate)
        self.calls = MarginCalls(self.params.calls)
        self.tape = TradeTape()
        self.post_trade: PostTrade | None = None
        self.margin: MarginModel | None = None
        self.market = MarketState(date.min, np.zeros(0, dtype=np.int64))
        self.initial = np.zeros(0, dtype=np.int64)
        self.maintenance = np.zeros(0, dtype=np.int64)
        self.records: list[ClearingRecord] = []
        self.cases: dict[int, DefaultCase] = {}
        self.last_day: date | None = None
        self.index_ref: dict[str, int] = {}
        self.settled: set[str] = set()
        self.last_cycle: cycle.Cycle | None = None
        pipeline.gate = self.gate
        pipeline.consumers.append(self)
        pipeline.clock_listeners.append(self)
        for op, handler in handlers.handlers(self).items():
            pipeline.register(op, handler)
        if self.venue.now is not None:
            self.reconcile(self.venue.now)

    # ------------------------------------------------------------ positions view
    @property
    def book(self) -> PositionBook:
        """Return the position book (replaced whenever the columns change)."""
        if self.post_trade is None:
            raise SettlementError("no contract is cleared yet: open the venue first")
        return self.post_trade.book

    def n_accounts(self) -> int:
        """Return the number of registered accounts."""
        return len(self.registry)

    def column_of_slot(self) -> IntArray:
        """Return engine slot → column, −1 for slots the house does not clear."""
        return self.cols.slot_col

    def position_row(self, account: int) -> IntArray:
        """Return ``account``'s positions per column, contracts."""
        if self.post_trade is None:
            return np.zeros(0, dtype=np.int64)
        self.sync()
        return np.array(self.book.positions[account])

    def position_limit(self, column: int) -> int:
        """Return the limit on a worst-case position in ``column``, contracts (0 = none)."""
        limits = [self.params.gate.position_limit]
        if self.params.gate.spot_month_limits and self.cols.spot_columns()[column]:
            code = self.cols.codes[int(self.cols.product_pos[column])]
            limits.append(self.venue.products[code].spot_month_position_limit)
        return min((x for x in limits if x > 0), default=0)

    def unsettled(self) -> IntArray:
        """Return every account's value change since the last mark, µ$ (A,)."""
        if self.post_trade is None:
            return np.zeros(len(self.registry), dtype=np.int64)
        self.sync()
        b, k = self.book, self.cols
        value = cycle.value_at(b, k, k.marks)
        out: IntArray = (value - k.vm_paid).sum(axis=1)
        return out

    def equity(self, account: int) -> int:
        """Return ``account``'s cash plus its value change since the last mark, µ$."""
        if self.post_trade is None:
            return self.ledger.cash(account)
        self.sync()
        b, k = self.book, self.cols
        row = slice(account, account + 1)
        value = cycle.value_at_rows(b, k, k.marks, row)
        return self.ledger.cash(account) + int((value - k.vm_paid[row]).sum())

    def initial_margin(self, account: int, rows: IntArray) -> IntArray:
        """Return the initial margin of each row of positions for ``account``, µ$."""
        if self.margin is None or rows.shape[1] == 0:
            return np.zeros(len(rows), dtype=np.int64)
        kinds = np.full(len(rows), int(self.registry.account(account).kind), dtype=np.int8)
        return self.margin.requirements(rows, kinds, self.market).initial

    def _withdrawal_margin(self, account: int) -> int:
        """Return what ``Ledger.free_collateral`` must subtract from cash: the worst-case
        requirement minus the unsettled value change (so free = equity − required)."""
        return self.gate.required(account) - (self.equity(account) - self.ledger.cash(account))

    def summary(self, account: int) -> AccountSummary:
        """Return ``account``'s margin figures (for the gateway's account summary)."""
        self.registry.account(account)
        self.sync()
        required, equity = self.gate.required(account), self.equity(account)
        call = self.calls.open.get(account)
        return AccountSummary(
            account,
            self.gate.state(account),
            self.ledger.cash(account),
            equity,
            int(self.initial[account]),
            int(self.maintenance[account]),
            required,
            self.gate.hold(account),
            equity - required,
            call.outstanding if call else 0,
        )

    # ------------------------------------------------------------ pipeline hooks
    def on_events(self, events: IntArray) -> None:
        """Book trades and fees, track open orders, follow listings and expiries."""
        self.sync()
        if self.post_trade is not None:
            self.post_trade.on_events(events)
        self.gate.on_events(events)
        status = (events[:, c.E_KIND] == c.EV_STATUS) & (events[:, c.E_SIDE] == c.PARAM_STATUS)
        if status.any():
            self.reconcile(int(events[status][-1, c.E_TS]))

    def on_clock(self, ts: int) -> None:
        """Declare in default every account whose margin call is unpaid at ``ts``."""
        for account in self.calls.due(ts):
            declare(self, account, ts, "margin call unpaid at its deadline")

    def sync(self) -> None:
        """Make room in every per-account array for accounts opened since. O(A·C)."""
        n = len(self.registry)
        self.gate.ensure(n)
        self.cols.grow(n)
        if len(self.initial) < n:
            pad = np.zeros(n - len(self.initial), dtype=np.int64)
            self.initial = np.concatenate([self.initial, pad])
            self.maintenance = np.concatenate([self.maintenance, pad])
        if self.post_trade is not None and self.post_trade.book.n_accounts < n:
            self.post_trade.book.grow(n)

    def reconcile(self, ts: int) -> None:
        """Follow the venue's listings: rebuild columns, book and margin model if needed."""
        self.sync()
        carried = self.cols.contracts.contracts if self.cols.contracts else ()
        live = {s: k for s, k in self.venue.contract_of.items() if k.name not in self.settled}
        keep = [
            k for k in carried if k.name not in self.venue.slot_of and k.name not in self.settled
        ]
        if not self.cols.rebuild(live, keep, lambda k: self._first_mark(k, ts)):
            return
        contracts = self.cols.contracts
        if contracts is None:
            self.margin = None
        elif self.post_trade is None:
            self.post_trade = PostTrade(
                PositionBook(len(self.registry), contracts), self.ledger, self.tape
            )
            self.margin = self.margin_factory(contracts)
        else:
            self.post_trade.book = self.post_trade.book.rebase(contracts)
            self.margin = self.margin_factory(contracts)
        self.set_market(self.last_day or ns_to_date(ts))

    def _first_mark(self, k: Contract, ts: int) -> int:
        """Return a first mark for a product's lone contract: the latest index print on or
        before ``ts``'s date, else the product's reference level, µ$ per GPU-hour."""
        spec = self.venue.products[k.product]
        units = self._latest_print(k.product, ns_to_date(ts)) or spec.ref_price_units
        self.index_ref.setdefault(k.product, units)
        return units * spec.price_unit_micros

    def _latest_print(self, product: str, day: date) -> int:
        src = self.index.get(product)
        if src is None:
            return 0
        i = bisect.bisect_right(src.days, day)
        return src.units(src.days[i - 1]) if i else 0

    def set_market(self, as_of: date) -> None:
        """Value margin on ``as_of`` at the current marks (and forget cached holds)."""
        self.market = MarketState(as_of, self.cols.mark_units())
        self.gate.invalidate()

    # ------------------------------------------------------------ public commands
    def _ts(self, ts: int | None) -> int:
        return ts if ts is not None else (self.venue.now or 0)

    def deposit(self, account: int, amount: int, ts: int | None = None) -> IntArray:
        """Deposit ``amount`` µ$ into ``account`` (pays towards a margin call)."""
        handlers.check_deposit(self, account, amount)
        return self.pipeline.submit(deposit_row(account, amount, self._ts(ts)))

    def withdraw(self, account: int, amount: int, ts: int | None = None) -> IntArray:
        """Withdraw ``amount`` µ$ of ``account``'s free collateral."""
        handlers.check_withdraw(self, account, amount)
        return self.pipeline.submit(withdraw_row(account, amount, self._ts(ts)))

    def suspend(self, account: int, ts: int | None = None) -> IntArray:
        """Suspend ``account``: reduce-only orders and cancels only."""
        return self._set_state(account, AccountState.SUSPENDED, ts)

    def reinstate(self, account: int, ts: int | None = None) -> IntArray:
        """Lift a suspension of ``account``."""
        return self._set_state(account, AccountState.ACTIVE, ts)

    def _set_state(self, account: int, state: AccountState, ts: int | None) -> IntArray:
        handlers.check_state(self, account, state)
        return self.pipeline.submit(set_state_row(account, state, self._ts(ts)))

    def declare_default(self, account: int, ts: int | None = None) -> IntArray:
        """Declare ``account`` in default now (an administrator's decision)."""
        handlers.check_not_in_default(self, account)
        return self.pipeline.submit(declare_default_row(account, self._ts(ts)))

    def end_of_day(self, day: date) -> cycle.Cycle:
        """Run the daily cycle of ``day`` at its close; return what it did (CR-32)."""
        ts = self.calendar.close_ts(day)
        cycle.plan_daily(self, day, ts)  # raises before anything changes
        self.pipeline.submit(end_of_day_row(day, ts))
        assert self.last_cycle is not None
        return self.last_cycle

    def intraday(self, ts: int | None = None) -> cycle.Cycle:
        """Run an intraday variation-margin cycle at ``ts`` ns (CR-25)."""
        t = self._ts(ts)
        cycle.plan_intraday(self, t)
        self.pipeline.submit(intraday_row(t))
        assert self.last_cycle is not None
        return self.last_cycle

    def expire(self, contract: Contract, ts: int | None = None) -> cycle.Cycle:
        """Settle ``contract`` finally at the mean of its month's index (CR-27)."""
        t = self._ts(ts)
        cycle.plan_final(self, contract, t)
        pos = self.cols.codes.index(contract.product)
        self.pipeline.submit(final_settle_row(pos, contract.month_index, t))
        assert self.last_cycle is not None
        return self.last_cycle

    # ------------------------------------------------------------ integrity
    def state_hash(self) -> str:
        """Return a SHA-256 over balances, positions, marks, VM paid, gate, calls,
        defaults, the trade tape and the number of records."""
        self.sync()
        h = hashlib.sha256(self.ledger.state_hash().encode())
        if self.post_trade is not None:
            for arr in (self.book.positions, self.book.cost, self.book.realised):
                h.update(np.ascontiguousarray(arr).tobytes())
        h.update(self.cols.marks.tobytes())
        h.update(self.cols.settles.tobytes())
        h.update(self.cols.vm_paid.tobytes())
        h.update(self.tape.state().tobytes())
        h.update(f"{self.cols.names}{self.last_day}{len(self.records)}".encode())
        h.update(f"{sorted(self.index_ref.items())}{sorted(self.cases.items())}".encode())
        h.update(self.gate.state_hash().encode())
        h.update(self.calls.state_hash().encode())
        return h.hexdigest()

    def check_invariants(self) -> None:
        """Raise unless open interest balances (CR-14) and money is conserved (CR-11)."""
        if self.post_trade is not None:
            self.book.check_invariants()
        self.ledger.check_conservation()
