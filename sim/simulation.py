"""The clearing-aware simulation: a scenario's agents trading through the whole exchange.

``Simulation(scenario)`` builds the venue (every product's listed months), the sequencer
pipeline, the clearing house (SPAN-like margin scaled by the scenario, margin calls,
defaults, waterfall, default fund), a simulated index per product with the scenario's
shocks, the clearing members and one account per agent, and a ``sim.kernel.Kernel``
driving the agents over a ``ClearingPort``. ``run()`` then walks the trading calendar:

- at each business day's **open**: the venue clock moves to the open (the venue expires
  last month's front and lists the new back month; the house follows), agents get the
  curve of each product (``CurveUpdate``) and the day's index print (``IndexFixing``);
- every ``clock_tick_minutes`` of the session: the clock moves (good-till-date orders
  expire, unpaid margin calls past their deadline become defaults) and every agent
  gets its account figures (``AccountUpdate``); every ``book_top_minutes`` the top of
  book of each traded contract is sampled;
- at the **close**: contracts whose last trading day it is are finally settled
  (``ClearingHouse.expire``), then the daily cycle runs (``end_of_day``: settlement,
  variation margin, margin calls, defaults and the waterfall, default fund); agents
  get the settlement prices, their margin calls (``on_margin_call``), default notices
  and account figures. Members' house accounts pay their calls at once.

Everything the agents do in between is the kernel's. Events of the venue's own actions
reach the agents through ``Kernel.venue_events``. The same scenario and seed give the
same kernel journal hash, pipeline state hash and output tables. Money in µ$, prices
in price units (settlements in µ$ per GPU-hour), quantities in contracts, times in ns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from clearing.accounts import AccountRegistry, AccountType, Origin
from clearing.contracts import ContractSet
from clearing.default_fund import FundParams
from clearing.defaults import CloseOut, DefaultParams
from clearing.house import ClearingHouse, HouseParams
from clearing.index.model import Factor
from clearing.index.simulate import Shock, SimulatedIndex
from clearing.margin import MarginModel, SpanLikeMargin
from clearing.margin_calls import HOUR_NS, CallParams
from clearing.ops import ClearingReject
from clearing.records import (
    CallStatus,
    DefaultDeclared,
    MarginCallRecord,
    SettlementRecord,
)
from clearing.risk_gate import AccountState, GateParams
from clearing.span import SpanParams
from exchange.calendar import month_last_day
from exchange.pipeline import REJ_BAD_CLOCK, REJ_NO_HANDLER, Pipeline
from exchange.venue import ListingParams, Venue
from sim.agents.base import USD, MarketAgent
from sim.clearing_venue import ClearingPort, ScaledMargin
from sim.events import (
    AccountUpdate,
    CurveUpdate,
    DefaultNotice,
    Event,
    IndexFixing,
    MarginCallNotice,
    SettlementPrice,
)
from sim.kernel import Kernel
from sim.latency import ConstantLatency
from sim.results import Recorder, Results
from sim.router import CANCEL_NAMES, REJECT_NAMES
from sim.scenario import Scenario

MINUTE_NS = 60 * 1_000_000_000

#: Reject names of the pipeline and the clearing house, for ``OrderRejected.reason``.
CLEARING_REJECT_NAMES = {
    **{int(r): r.name.lower() for r in ClearingReject},
    REJ_NO_HANDLER: "no_handler",
    REJ_BAD_CLOCK: "bad_clock",
}

Progress = Callable[[int, int, date], None]


@dataclass
class Participant:
    """An agent of the run: its account, member, kind and name."""

    agent: MarketAgent
    account: int
    member: int
    kind: str
    account_type: AccountType


@dataclass
class Simulation:
    """One run of ``scenario`` (see the module docstring)."""

    scenario: Scenario
    progress: Progress | None = None
    participants: list[Participant] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.scenario
        self.days = s.trading_days()
        self.specs = s.product_specs()
        self.months_traded = {p.spec.code: p.months_traded for p in s.products}
        roots = np.random.SeedSequence(s.seed).spawn(1 + len(s.products))
        self.kernel_seed = roots[0]
        self.registry = AccountRegistry()
        self.members = int(s.clearing["members"])
        for m in range(self.members):
            self.registry.add_member(f"member {m}")
            self.registry.open_account(m, Origin.HOUSE, AccountType.MEMBER, f"house {m}")
        self._build_agents()
        self.index = self._build_index(roots[1:])
        listing = ListingParams(band=s.price_band, max_qty=s.max_order_qty)
        self.venue = Venue(
            self.specs, s.calendar, n_accounts=len(self.registry) + 1, params=listing
        )
        self.pipeline = Pipeline(self.venue)
        self.house = ClearingHouse(
            self.pipeline, self.registry, self.index, self._house_params(), self._margin_factory
        )
        self.recorder = Recorder(self)
        self.pipeline.consumers.append(self.recorder)
        self.port = ClearingPort(self.pipeline)
        self._seen = 0  # clearing records already handled
        self.defaulted: set[int] = set()  # agents whose account defaulted
        self._listed: dict[str, int] = {}
        self.kernel: Kernel | None = None

    # ------------------------------------------------------------------ building
    def _build_agents(self) -> None:
        s = self.scenario
        for group in s.agents:
            for j in range(group.count):
                name = f"{group.name}-{j + 1}" if group.count > 1 else group.name
                agent = group.cls.build(self.specs, self.months_traded, s.calendar, name,
                                        group.values)  # fmt: skip
                kind = (
                    AccountType.HEDGER
                    if agent.account_type == "hedger"
                    else (AccountType.SPECULATOR)
                )
                member = len(self.participants) % self.members
                account = self.registry.open_account(member, Origin.CUSTOMER, kind, name).id
                self.participants.append(Participant(agent, account, member, group.kind, kind))

    def _build_index(self, seeds: list[np.random.SeedSequence]) -> dict[str, SimulatedIndex]:
        s = self.scenario
        first = self.days[0].replace(day=1)
        last = self.days[-1]
        end = month_last_day(last.year, last.month)
        end = month_last_day(*_next_month(end.year, end.month))
        out = {}
        for setup, seed in zip(s.products, seeds, strict=True):
            code = setup.spec.code
            shocks = [
                Shock(x.day, x.size, Factor.LONG if x.factor == "long" else Factor.SHORT, x.label)
                for x in s.shocks
                if x.product == code
            ]
            out[code] = SimulatedIndex(
                setup.spec.index_name, setup.model, float(setup.index_start_units),
                first, end, seed, shocks, s.calendar,
            )  # fmt: skip
        return out

    def _house_params(self) -> HouseParams:
        k = self.scenario.clearing
        return HouseParams(
            gate=GateParams(position_limit=int(k["position_limit"])),
            calls=CallParams(deadline_ns=round(k["call_deadline_hours"] * HOUR_NS)),
            defaults=DefaultParams(
                close_out=CloseOut(k["close_out"]), auction_discount_bps=k["auction_discount_bps"]
            ),
            fund=FundParams(
                stress_moves_bps=tuple(int(x) for x in k["stress_moves_bps"]),
                min_fund_micros=round(k["default_fund_min_usd"] * USD),
                min_contribution_micros=round(k["min_contribution_usd"] * USD),
                assessment_percent=int(k["assessment_percent"]),
            ),
            ccp_capital_micros=round(k["ccp_capital_usd"] * USD),
        )

    def _margin_factory(self, contracts: ContractSet) -> MarginModel:
        k = self.scenario.clearing
        span = SpanParams(
            confidence=k["confidence"], speculator_initial_percent=k["speculator_initial_percent"]
        )
        models = {p.spec.code: p.model for p in self.scenario.products}
        base = SpanLikeMargin(contracts, params=span, models=models)
        return ScaledMargin(base, round(k["margin_multiplier"] * 100))

    # ------------------------------------------------------------------ running
    def run(self) -> Results:
        """Run every trading day of the scenario; return the recorded results."""
        s = self.scenario
        cal = s.calendar
        t0 = cal.open_ts(self.days[0])
        self.pipeline.open(t0)
        k = s.clearing
        for m in range(self.members):
            self.house.deposit(m, round(k["member_capital_usd"] * USD), ts=t0)
        for p in self.participants:
            self.house.deposit(p.account, p.agent.capital, ts=t0)
        self.kernel = Kernel(
            self.port,
            [p.agent for p in self.participants],
            instruments=self.venue.slot_of,
            seed=self.kernel_seed,
            latency=ConstantLatency(max(0, round(s.latency_ms * 1_000_000))),
            accounts=[p.account for p in self.participants],
            start_ns=t0,
            reject_names=CLEARING_REJECT_NAMES,
        )
        self._listed = dict(self.venue.slot_of)
        self.kernel.start()
        for i, day in enumerate(self.days):
            self._day(day)
            if self.progress is not None:
                self.progress(i + 1, len(self.days), day)
        self.kernel.close()
        self.house.check_invariants()
        return self.recorder.results()

    def _day(self, day: date) -> None:
        assert self.kernel is not None
        cal = self.scenario.calendar
        kernel = self.kernel
        t_open, t_close = cal.open_ts(day), cal.close_ts(day)
        kernel.run(t_open)
        self._external(lambda: self.pipeline.advance(t_open), "open")
        self._follow_listings()
        self._broadcast_curves(day, t_open)
        self._broadcast([IndexFixing(t_open, code, day, src.units(day))
                         for code, src in self.index.items()])  # fmt: skip
        tick = round(self.scenario.clearing["clock_tick_minutes"] * MINUTE_NS)
        sample = round(self.scenario.output["book_top_minutes"] * MINUTE_NS)
        times = sorted(
            {(t, "tick") for t in range(t_open + tick, t_close, tick)}
            | {(t, "sample") for t in range(t_open + sample, t_close + 1, sample)}
        )
        for t, what in times:
            kernel.run(t)
            if what == "tick":
                self._external(functools.partial(self.pipeline.advance, t), "tick")
                self._send_accounts()
            else:
                self.recorder.sample_tops(t, kernel)
        kernel.run(t_close)
        for code in self.specs:
            for contract in self.venue.curve(code):
                if contract.last_trading_day == day and contract.name not in self.house.settled:
                    self._external(
                        functools.partial(self.house.expire, contract, t_close), "expire"
                    )
        self._external(lambda: self.house.end_of_day(day), "end_of_day")
        self.recorder.end_of_day(day)
        self._send_accounts()

    # ------------------------------------------------------------------ plumbing
    def _external(self, action: Callable[[], object], label: str) -> None:
        """Run a venue-side action; route its events; handle new clearing records."""
        assert self.kernel is not None
        _, events = self.port.run(action)
        self.kernel.venue_events(events, label)
        self._handle_records()

    def _follow_listings(self) -> None:
        assert self.kernel is not None
        if self.venue.slot_of != self._listed:
            self._listed = dict(self.venue.slot_of)
            self.kernel.relist(self._listed)

    def _broadcast(self, events: list[Event]) -> None:
        assert self.kernel is not None
        for i in range(len(self.participants)):
            if i not in self.defaulted:
                self.kernel.notify(i, events)

    def _broadcast_curves(self, day: date, ts: int) -> None:
        cal = self.scenario.calendar
        out: list[Event] = []
        for code in self.specs:
            curve = self.venue.curve(code)[: self.months_traded[code]]
            dte = tuple(len(cal.business_days(day, k.last_trading_day)) - 1 for k in curve)
            out.append(CurveUpdate(ts, code, tuple(k.name for k in curve), dte))
        self._broadcast(out)

    def _send_accounts(self) -> None:
        assert self.kernel is not None
        ts = self.kernel.now
        for i, p in enumerate(self.participants):
            if i in self.defaulted:
                continue
            a = self.house.summary(p.account)
            self.kernel.notify(
                i, [AccountUpdate(ts, a.cash, a.equity, a.required, a.free, a.call_outstanding)]
            )

    def _handle_records(self) -> None:
        """Tell agents about settlements, calls and defaults; members pay their calls."""
        assert self.kernel is not None
        records = self.house.records
        new, self._seen = records[self._seen :], len(records)
        by_account = {p.account: i for i, p in enumerate(self.participants)}
        settles: list[Event] = []
        for r in new:
            self.recorder.record(r)
            if isinstance(r, SettlementRecord) and not r.intraday:
                spec = self.specs[self.recorder.product_of(r.contract)]
                units = int(np.rint(r.price_micros_per_hour / spec.price_unit_micros))
                settles.append(SettlementPrice(r.ts, r.contract, r.day, r.price_micros_per_hour,
                                               units, int(r.tier)))  # fmt: skip
            elif isinstance(r, MarginCallRecord) and r.status is CallStatus.ISSUED:
                i = by_account.get(r.account)
                if i is None:  # a member's house account: its treasury pays at once
                    self._pay_member_call(r.account)
                else:
                    notice = MarginCallNotice(r.ts, r.call_id, r.amount, r.deadline_ts)
                    self.kernel.notify(i, [notice])
            elif isinstance(r, DefaultDeclared):
                i = by_account.get(r.account)
                if i is not None:
                    self.kernel.notify(i, [DefaultNotice(r.ts, r.reason)])
                    self.defaulted.add(i)
        if settles:
            self._broadcast(settles)

    def _pay_member_call(self, account: int) -> None:
        call = self.house.calls.open.get(account)
        if call is None or self.house.gate.state(account) is AccountState.IN_DEFAULT:
            return
        self.house.deposit(account, call.outstanding)

    # ------------------------------------------------------------------ results
    def calendar_day_before(self, day: date) -> date:
        """Return the business day before ``day`` in the scenario's calendar."""
        return self.scenario.calendar.previous_business_day(day)

    def reject_name(self, code: int) -> str:
        """Return the name of reject ``code`` (engine, pipeline or clearing house)."""
        return REJECT_NAMES.get(code) or CLEARING_REJECT_NAMES.get(code, f"rejected_{code}")

    def cancel_name(self, code: int) -> str:
        """Return the name of cancel reason ``code``."""
        return CANCEL_NAMES.get(code, f"canceled_{code}")

    def journal_hash(self) -> str:
        """Return the kernel's journal hash (every command and event of the run)."""
        assert self.kernel is not None
        return self.kernel.journal_hash()

    def state_hash(self) -> str:
        """Return the pipeline's state hash (engine, clearing house, sequence)."""
        return self.pipeline.state_hash()


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def run_scenario(
    scenario: Scenario,
    seed: int | None = None,
    days: int | None = None,
    progress: Progress | None = None,
) -> tuple[Simulation, Results]:
    """Run ``scenario`` (optionally with another seed or number of days)."""
    scenario = scenario.with_overrides(seed=seed, days=days)
    sim = Simulation(scenario, progress)
    return sim, sim.run()
