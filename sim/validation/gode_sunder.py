"""Gode and Sunder (1993) on flopex: zero-intelligence traders in a double auction.

One *cell* is a design (``sim.validation.design``), an institution and a trader kind:

- institution ``paper``: the paper's rules (``sim.validation.institution``);
- institution ``continuous``: flopex's normal continuous book (price-time priority,
  orders rest until they trade or their trader moves them);
- kind ``ZI-U`` or ``ZI-C`` (``sim.agents.zero_intelligence``).

A run is ``periods`` trading periods on one engine; every period is one kernel
session with fresh endowments. A period ends at its time limit or as soon as no
further trade is possible (every trader still holding units quotes from a range that
cannot cross any other's; nothing can happen to the allocation after that). The
kernel of run ``r``, period ``p`` has root seed ``SeedSequence(seed, spawn_key=(r, p))``
(= ``SeedSequence(seed).spawn(runs)[r].spawn(periods)[p]``) in every cell, so the
cells of a run share their random numbers (common random numbers).

Efficiency is total profit over the design's maximum surplus, computed from the
venue's trades, not from the traders' own bookkeeping. Prices in price units, times
in ns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from exchange import codes as c
from exchange import commands as C
from exchange.engine import Engine
from sim.agents.zero_intelligence import ZeroIntelligenceTrader, ZICTrader, ZIUTrader
from sim.events import BUY, SELL
from sim.kernel import Kernel
from sim.latency import ConstantLatency
from sim.validation.design import Design
from sim.validation.institution import REJECT_NAMES, ImprovementRuleVenue
from sim.venue_port import EngineVenue, Events, Row, VenuePort

INSTITUTIONS = ("paper", "continuous")
KINDS = ("ZI-U", "ZI-C")
INSTRUMENT = "GS"
SECOND = 1_000_000_000


@dataclass(frozen=True)
class Settings:
    """How the experiment runs. Times in ns.

    Each trader quotes on average once every ``mean_wait_ns``; a period lasts at most
    ``period_ns`` (600 quotes a trader on average: long enough, see
    ``docs/validation.md``); messages take ``latency_ns`` each way.
    """

    periods: int = 6
    runs: int = 20
    seed: int = 1993
    period_ns: int = 600 * SECOND
    mean_wait_ns: int = SECOND
    latency_ns: int = 1_000_000


@dataclass
class PeriodResult:
    """One period: trade prices in order, total profit (price units), efficiency (%)."""

    prices: list[int]
    profit: int
    efficiency: float
    units_traded: int
    ended_early: bool
    journal_hash: str
    commands: int  # venue commands processed


@dataclass
class CellResult:
    """All periods of all runs of one design × institution × kind."""

    design: Design
    institution: str
    kind: str
    periods: list[PeriodResult] = field(default_factory=list)

    @property
    def efficiency(self) -> float:
        """Mean allocative efficiency over every period, %."""
        return float(np.mean([p.efficiency for p in self.periods]))

    @property
    def all_units_traded(self) -> bool:
        """True if every unit of every trader traded in every period."""
        total = sum(self.design.units())
        return all(2 * p.units_traded == total for p in self.periods)

    def rms_by_trade(self) -> list[tuple[int, float, int]]:
        """Return (trade number k, RMS price deviation from equilibrium, periods) per k.

        Only trade numbers reached in at least half of the periods are kept, so the
        tail is not a handful of stragglers. Deviations in price units.
        """
        p_star = self.design.equilibrium_price()
        longest = max((len(p.prices) for p in self.periods), default=0)
        out = []
        for k in range(1, longest + 1):
            dev = [p.prices[k - 1] - p_star for p in self.periods if len(p.prices) >= k]
            if 2 * len(dev) >= len(self.periods):
                out.append((k, float(np.sqrt(np.mean(np.square(dev)))), len(dev)))
        return out

    def rms_slope(self) -> float | None:
        """Return the least-squares slope of RMS deviation on trade number (price units)."""
        points = self.rms_by_trade()
        if len(points) < 2:
            return None
        k, rms, _ = zip(*points, strict=True)
        return float(np.polyfit(k, rms, 1)[0])


def traders(design: Design, kind: str, mean_wait_ns: int) -> list[ZeroIntelligenceTrader]:
    """Return the design's buyers (accounts 0…) then sellers as ``kind`` traders."""
    cls = {"ZI-U": ZIUTrader, "ZI-C": ZICTrader}[kind]
    sides = [(BUY, "buyer", design.buyers), (SELL, "seller", design.sellers)]
    return [
        cls(
            INSTRUMENT,
            side,
            limits,
            name=f"{who} {i}",
            price_min=design.price_min,
            price_max=design.price_max,
            mean_wait_ns=mean_wait_ns,
        )
        for side, who, schedules in sides
        for i, limits in enumerate(schedules)
    ]


class Tape:
    """A venue observer: the period's trades, profit, and whether a trade is still possible.

    Each trade is charged to the buyer's and seller's next unit in order, exactly as
    the traders hold them; ``possible`` turns false once no trader with units left
    could quote a price that crosses another's.
    """

    def __init__(self, design: Design, agents: Sequence[ZeroIntelligenceTrader]) -> None:
        self.agents = agents
        self.limits = [a.limits for a in agents]
        self.n_buyers = len(design.buyers)
        self.done = [0] * len(agents)  # units traded, per account
        self.prices: list[int] = []
        self.profit = 0
        self.possible = True

    def __call__(self, ts: int, row: Row, events: Events) -> None:
        """Record the trades among ``events`` (a venue observer)."""
        if c.EV_TRADE not in events[:, c.E_KIND].tolist():
            return
        for r in events[events[:, c.E_KIND] == c.EV_TRADE].tolist():
            taker, maker = r[c.E_ACCOUNT], r[c.E_OTHER_ACCOUNT]
            buyer, seller = (taker, maker) if r[c.E_SIDE] == c.SIDE_BUY else (maker, taker)
            for _ in range(r[c.E_QTY]):
                self.profit += self.limits[buyer][self.done[buyer]]
                self.profit -= self.limits[seller][self.done[seller]]
                self.done[buyer] += 1
                self.done[seller] += 1
                self.prices.append(r[c.E_PRICE])
            self.possible = self._possible()

    def _possible(self) -> bool:
        active = [(i, a) for i, a in enumerate(self.agents) if self.done[i] < len(self.limits[i])]
        bid = max((a.price_range(self.done[i])[1] for i, a in active if a.side == BUY), default=0)
        ask = min((a.price_range(self.done[i])[0] for i, a in active if a.side == SELL), default=0)
        return bid > 0 and ask > 0 and bid >= ask


def make_venue(design: Design, institution: str, n_accounts: int) -> VenuePort:
    """Return a fresh engine with one listed instrument behind ``institution``'s rules."""
    engine = Engine(1, design.price_max, n_accounts)
    engine.process(C.list_instrument(0))
    if institution == "paper":
        return ImprovementRuleVenue(engine, 0)
    if institution == "continuous":
        return EngineVenue(engine)
    raise ValueError(f"unknown institution {institution!r}; use one of {INSTITUTIONS}")


def run_cell(design: Design, institution: str, kind: str, settings: Settings) -> CellResult:
    """Run every run and period of one cell; return its results."""
    cell = CellResult(design, institution, kind)
    for r in range(settings.runs):
        agents = traders(design, kind, settings.mean_wait_ns)
        venue = make_venue(design, institution, len(agents))
        start = 0
        for p in range(settings.periods):
            seed = np.random.SeedSequence(settings.seed, spawn_key=(r, p))
            result, start = run_period(design, venue, agents, seed, start, settings)
            cell.periods.append(result)
    return cell


def run_period(
    design: Design,
    venue: VenuePort,
    agents: Sequence[ZeroIntelligenceTrader],
    seed: np.random.SeedSequence,
    start_ns: int,
    settings: Settings,
) -> tuple[PeriodResult, int]:
    """Run one period from ``start_ns`` as one kernel session; return it and its end (ns)."""
    tape = Tape(design, agents)
    kernel = Kernel(
        venue, agents, instruments={INSTRUMENT: 0}, seed=seed,
        latency=ConstantLatency(settings.latency_ns), start_ns=start_ns,
        reject_names=REJECT_NAMES, observers=[tape],
    )  # fmt: skip
    kernel.run(start_ns + settings.period_ns, stop_when=lambda: not tape.possible)
    ended_early = not tape.possible
    kernel.close()
    own = sum(a.profit for a in agents)
    if own != tape.profit:
        raise AssertionError(f"traders booked {own} but the venue's trades give {tape.profit}")
    result = PeriodResult(
        prices=tape.prices,
        profit=tape.profit,
        efficiency=100.0 * tape.profit / design.max_surplus(),
        units_traded=len(tape.prices),
        ended_early=ended_early,
        journal_hash=kernel.journal_hash(),
        commands=kernel.commands,
    )
    return result, kernel.now
