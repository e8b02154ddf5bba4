"""Avellaneda and Stoikov (2008), §3.3, on flopex's book: inventory against symmetric quoting.

The experiment of the paper: a dealer quotes one bid and one ask of one share each
around a mid price that moves ±σ√dt at every step of ``dt`` up to ``T``; in each
step a market buy lifts the ask with probability ``λ(δa)·dt = A·exp(−k·δa)·dt`` and a
market sell hits the bid likewise, ``δ`` being the quote's distance from the mid.

- **inventory** strategy: the quotes of ``sim.agents.market_maker.AvellanedaStoikov``
  (``quotes_for``) with ``σ`` the paper's and the horizon ``τ = T − t``: reservation
  price ``r = s − q·γ·σ²·(T−t)``, spread ``γσ²(T−t) + (2/γ)·ln(1 + γ/k)`` around it;
- **symmetric** strategy: the same formulas with ``q = 0`` and ``τ = 0``, i.e. the
  spread ``(2/γ)·ln(1 + γ/k)`` around the mid, as the paper's symmetric strategy
  (its Spread column, 1.29 at γ = 0.1, is that number).

Everything trades in flopex's matching engine: the dealer's quotes rest in the book
(account 0; moved with replace commands), and each arriving market order is a real
market order (account 1) that crosses the dealer's resting quote; the dealer's cash
and inventory come from the engine's trade events. Prices are integer price units of
``TICK`` = $0.0001 above ``ORIGIN`` = $50 (price unit ``n`` is $50 + n × 0.0001; the
grid reaches $150); a bid is rounded down to the grid and an ask up, and the fill
probabilities use the rounded prices.

Seeds: simulation ``i`` draws its mid path and its two uniform streams from
``SeedSequence(seed, spawn_key=(i,))``, the same for both strategies and every γ
(common random numbers). Profit = cash + q_T·s_T in $, q in shares.
"""

from __future__ import annotations

import hashlib
import math
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from exchange import codes as c
from exchange import commands as C
from exchange.engine import Engine
from sim.agents.market_maker import AvellanedaStoikov

REFERENCE = Path(__file__).with_name("avellaneda_stoikov.toml")
STRATEGIES = ("inventory", "symmetric")
FIGURES = ("spread", "profit", "std_profit", "final_q", "std_final_q")
TICK = 0.0001  # $ per price unit
ORIGIN = 50.0  # $ at price unit 0
MAX_UNITS = 1_000_000  # grid top: $150
DEALER, MARKET = 0, 1  # venue accounts
YEAR_DAYS = 252.0  # AvellanedaStoikov's σ is annual × s / √252 a day

#: Tolerances of the numeric comparison with figures two sources agree on.
PROFIT_REL_TOL = 0.05  # mean profit within 5% of the paper's
STD_REL_TOL = 0.15  # standard deviations within 15%
#: Below this γ the paper calls the two strategies' profits very similar (Table 2).
SIMILAR_BELOW_GAMMA = 0.05
SIMILAR_PROFIT_TOL = 0.05  # "very similar": mean profits within 5% of each other


class ReferenceFileError(ValueError):
    """The reference file cannot be used; the message says why."""


@dataclass(frozen=True)
class Model:
    """The paper's settings: $ prices, dimensionless time."""

    s0: float = 100.0
    horizon: float = 1.0
    sigma: float = 2.0
    dt: float = 0.005
    A: float = 140.0
    k: float = 1.5

    @property
    def steps(self) -> int:
        """Number of steps ``T / dt``."""
        return round(self.horizon / self.dt)


@dataclass(frozen=True)
class PaperCase:
    """One of the paper's tables: γ and each strategy's five figures."""

    table: str
    gamma: float
    figures: dict[str, dict[str, float]]  # strategy -> figure -> value
    checked_by: dict[str, tuple[str, ...]]  # figure -> sources that quote it

    def confirmed(self, figure: str) -> bool:
        """Whether two sources quote ``figure`` (both agree: the file holds one value)."""
        return len(self.checked_by.get(figure, ())) >= 2


@dataclass(frozen=True)
class Reference:
    """The reference file: the model, the sources and the paper's tables."""

    model: Model
    sources: dict[str, str]
    cases: tuple[PaperCase, ...]

    def case(self, gamma: float) -> PaperCase | None:
        """Return the paper's table for ``gamma``, if it has one."""
        return next((x for x in self.cases if math.isclose(x.gamma, gamma)), None)


def load_reference(path: Path = REFERENCE) -> Reference:
    """Read the model and the paper's tables from ``path`` (TOML)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        m = raw["model"]
        model = Model(**{k: float(m[k]) for k in ("s0", "horizon", "sigma", "dt", "A", "k")})
        cases = []
        for x in raw["cases"]:
            figures = {s: {f: float(x[s][f]) for f in FIGURES} for s in STRATEGIES}
            by = {f: tuple(str(v) for v in x["checked_by"].get(f, ())) for f in FIGURES}
            cases.append(PaperCase(str(x["table"]), float(x["gamma"]), figures, by))
        sources = {str(k): str(v) for k, v in raw["sources"].items()}
    except (OSError, KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ReferenceFileError(f"{path}: {type(exc).__name__}: {exc}") from None
    return Reference(model, sources, tuple(cases))


@dataclass(frozen=True)
class Settings:
    """How the experiment runs: simulations a case, root seed, the γ values."""

    runs: int = 1000
    seed: int = 2008
    gammas: tuple[float, ...] = (0.1, 0.01, 0.5, 1.0)


@dataclass
class CaseResult:
    """One γ × strategy over all simulations ($, shares)."""

    gamma: float
    strategy: str
    profits: list[float] = field(default_factory=list)
    final_q: list[int] = field(default_factory=list)
    spreads: list[float] = field(default_factory=list)  # each simulation's mean spread, $
    fills: int = 0  # market orders that traded
    commands: int = 0  # venue commands processed
    digest: str = ""  # SHA-256 of every command and event row

    def figure(self, name: str) -> float:
        """Return one of ``FIGURES`` over the simulations (sample std, ddof 1)."""
        if name == "spread":
            return float(np.mean(self.spreads))
        data = self.profits if "profit" in name else self.final_q
        if name.startswith("std"):
            return float(np.std(data, ddof=1)) if len(data) > 1 else 0.0
        return float(np.mean(data))


class PaperQuoter:
    """The dealer's quotes from ``AvellanedaStoikov.quotes_for`` in the paper's units.

    The agent's ``σ`` is ``sigma_annual × s / √252`` per √day and its horizon
    ``horizon_days``; setting ``sigma_annual = σ·√252 / s`` and ``horizon_days = T − t``
    gives the paper's ``r`` and spread exactly. The symmetric strategy is the same
    call with ``q = 0`` and ``τ = 0``.
    """

    def __init__(self, gamma: float, model: Model, strategy: str) -> None:
        self.mm = AvellanedaStoikov({}, gamma=gamma, k=model.k)
        self.model = model
        self.inventory = strategy == "inventory"

    def quotes(self, s: float, q: int, t: float) -> tuple[float, float]:
        """Return (bid, ask) in $ for mid ``s`` ($), inventory ``q`` (shares), time ``t``."""
        mm = self.mm
        mm.sigma_annual = self.model.sigma * math.sqrt(YEAR_DAYS) / s
        if self.inventory:
            mm.horizon_days = self.model.horizon - t
            _, bid, ask = mm.quotes_for(s, q)
        else:
            mm.horizon_days = 0.0
            _, bid, ask = mm.quotes_for(s, 0)
        return bid, ask


def units(price: float, up: bool) -> int:
    """Return ``price`` ($) on the grid: rounded up (an ask) or down (a bid), clamped."""
    x = (price - ORIGIN) / TICK
    n = math.ceil(x - 1e-9) if up else math.floor(x + 1e-9)
    return min(max(n, 1), MAX_UNITS)


def dollars(n: int) -> float:
    """Return price unit ``n`` in $."""
    return ORIGIN + n * TICK


def new_engine() -> Engine:
    """Return an engine with one listed instrument on the $50 … $150 grid."""
    engine = Engine(1, MAX_UNITS, 2)
    engine.process(C.list_instrument(0))
    return engine


def draws(seed: int, i: int, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return simulation ``i``'s mid steps (±1), ask uniforms and bid uniforms."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))
    signs = np.where(rng.random(steps) < 0.5, -1.0, 1.0)
    return signs, rng.random(steps), rng.random(steps)


def run_case(
    gamma: float, strategy: str, model: Model, settings: Settings, engine: Engine | None = None
) -> CaseResult:
    """Run ``settings.runs`` simulations of one γ × strategy through the engine."""
    engine = engine if engine is not None else new_engine()
    quoter = PaperQuoter(gamma, model, strategy)
    res = CaseResult(gamma, strategy)
    digest = hashlib.sha256()
    steps, dt, step = model.steps, model.dt, model.sigma * math.sqrt(model.dt)
    quote = C.limit(0, DEALER, c.SIDE_BUY, 1, 1)
    move = C.replace(0, 1, 1, DEALER)
    hit = C.market(0, MARKET, c.SIDE_BUY, 1)
    a_dt, k = model.A * dt, model.k
    for i in range(settings.runs):
        signs, u_ask, u_bid = draws(settings.seed, i, steps)
        s, q, cash, spread_sum = model.s0, 0, 0.0, 0.0
        live = [0, 0]  # order id of the dealer's bid, ask (0: none)
        price = [0, 0]  # their prices, units
        for n in range(steps):
            bid_f, ask_f = quoter.quotes(s, q, n * dt)
            want = (units(bid_f, up=False), units(ask_f, up=True))
            if want[1] <= want[0]:
                want = (want[0], want[0] + 1)
            for side in (c.SIDE_BUY, c.SIDE_SELL):
                if live[side] and price[side] == want[side]:
                    continue
                if live[side]:
                    row = move
                    row[c.C_OID] = live[side]
                else:
                    row = quote
                    row[c.C_SIDE] = side
                row[c.C_PRICE] = want[side]
                ev = engine.process(row)
                res.commands += 1
                digest.update(row.tobytes())
                digest.update(ev.tobytes())
                if not live[side]:
                    live[side] = int(ev[0, c.E_OID]) if ev[0, c.E_KIND] == c.EV_ACCEPTED else 0
                price[side] = want[side]
            best_bid, best_ask = engine.best_bid(0), engine.best_ask(0)
            spread_sum += (best_ask - best_bid) * TICK
            for side, u in ((c.SIDE_SELL, u_ask[n]), (c.SIDE_BUY, u_bid[n])):
                delta = (
                    dollars(price[side]) - s if side == c.SIDE_SELL else s - dollars(price[side])
                )
                if u >= a_dt * math.exp(-k * delta):
                    continue
                hit[c.C_SIDE] = c.SIDE_BUY if side == c.SIDE_SELL else c.SIDE_SELL
                ev = engine.process(hit)
                res.commands += 1
                digest.update(hit.tobytes())
                digest.update(ev.tobytes())
                for r in ev[ev[:, c.E_KIND] == c.EV_TRADE]:
                    if r[c.E_OTHER_ACCOUNT] != DEALER:
                        continue
                    qty, px = int(r[c.E_QTY]), dollars(int(r[c.E_PRICE]))
                    res.fills += qty
                    if side == c.SIDE_SELL:  # the dealer's ask was lifted
                        q -= qty
                        cash += qty * px
                    else:
                        q += qty
                        cash -= qty * px
                    if r[c.E_OTHER_REMAINING] == 0:
                        live[side] = 0
            s += signs[n] * step
        ev = engine.process(C.mass_cancel(DEALER))
        res.commands += 1
        digest.update(ev.tobytes())
        res.profits.append(cash + q * s)
        res.final_q.append(q)
        res.spreads.append(spread_sum / steps)
    res.digest = digest.hexdigest()
    return res


# ---------------------------------------------------------------------- checks
@dataclass(frozen=True)
class Check:
    """One pass/fail line."""

    passed: bool
    text: str

    def line(self) -> str:
        """Return ``PASS`` or ``FAIL`` and the claim."""
        return f"{'PASS' if self.passed else 'FAIL'}  {self.text}"


def qualitative_checks(inv: CaseResult, sym: CaseResult) -> list[Check]:
    """The paper's claims for every γ: the inventory strategy has a lower std of profit
    and of final inventory than the symmetric strategy, and a lower mean profit (γ ≥
    ``SIMILAR_BELOW_GAMMA``: Tables 1 and 3) or a very similar one (smaller γ: Table 2,
    "close to risk neutral … the P&L profiles of the two strategies are very similar")."""
    g = f"γ = {inv.gamma:g}:"
    out = []
    for fig, what in (("std_profit", "std of profit"), ("std_final_q", "std of final q")):
        a, b = inv.figure(fig), sym.figure(fig)
        out.append(Check(a < b, f"{g} inventory {what} {a:.2f} < symmetric {b:.2f}"))
    a, b = inv.figure("profit"), sym.figure("profit")
    if inv.gamma >= SIMILAR_BELOW_GAMMA:
        out.append(Check(a < b, f"{g} inventory mean profit {a:.2f} < symmetric {b:.2f}"))
    else:
        tol = SIMILAR_PROFIT_TOL * abs(b)
        out.append(
            Check(
                abs(a - b) <= tol,
                f"{g} inventory mean profit {a:.2f} within {tol:.2f} of symmetric {b:.2f} "
                "(nearly risk neutral: the strategies are very similar)",
            )
        )
    return out


def numeric_checks(res: CaseResult, paper: PaperCase) -> list[Check]:
    """Compare the figures two sources agree on with the paper's (tolerances above)."""
    out = []
    ref = paper.figures[res.strategy]
    where = f"γ = {res.gamma:g} {res.strategy}:"
    for fig in FIGURES:
        if not paper.confirmed(fig):
            continue
        ours, theirs = res.figure(fig), ref[fig]
        if fig == "profit":
            tol = PROFIT_REL_TOL * abs(theirs)
        elif fig.startswith("std"):
            tol = STD_REL_TOL * abs(theirs)
        elif fig == "final_q":  # four standard errors of a difference of two means
            tol = 4 * math.sqrt(2) * res.figure("std_final_q") / math.sqrt(len(res.final_q))
        else:
            tol = 0.01
        out.append(
            Check(
                abs(ours - theirs) <= tol,
                f"{where} {fig} {ours:.2f} within {tol:.2f} of the paper's {theirs:g} "
                f"({paper.table}, sources {'+'.join(paper.checked_by[fig])})",
            )
        )
    return out


def validate_avellaneda_stoikov(ref: Reference, settings: Settings, out: TextIO) -> int:
    """Run every case, print ours beside the paper's and the checks; 0 if all pass."""
    t0 = time.perf_counter()
    m = ref.model
    print(
        f"Avellaneda & Stoikov (2008) §3.3 on flopex: γ in {', '.join(f'{g:g}' for g in settings.gammas)}"
        f" × inventory, symmetric; {settings.runs} simulations each; seed {settings.seed}",
        file=out,
    )
    print(
        f"s = {m.s0:g}, T = {m.horizon:g}, σ = {m.sigma:g}, dt = {m.dt:g} ({m.steps} steps), "
        f"A = {m.A:g}, k = {m.k:g}; tick ${TICK:g} (price unit n = ${ORIGIN:g} + n × {TICK:g})",
        file=out,
    )
    engine = new_engine()
    results: list[tuple[CaseResult, CaseResult, PaperCase | None]] = []
    digest = hashlib.sha256()
    commands = 0
    for g in settings.gammas:
        inv, sym = (run_case(g, s, m, settings, engine) for s in STRATEGIES)
        results.append((inv, sym, ref.case(g)))
        for r in (inv, sym):
            digest.update(r.digest.encode())
            commands += r.commands
    _table(results, out)
    checks: list[Check] = []
    for inv, sym, paper in results:
        checks += qualitative_checks(inv, sym)
        if paper is not None:
            checks += numeric_checks(inv, paper) + numeric_checks(sym, paper)
    print("\nchecks", file=out)
    for ch in checks:
        print(ch.line(), file=out)
    passed = sum(ch.passed for ch in checks)
    print(f"\n{passed} of {len(checks)} checks passed", file=out)
    print("sources:", file=out)
    for key, text in ref.sources.items():
        print(f"  {key}: {text}", file=out)
    seconds = time.perf_counter() - t0
    print(f"journal sha256 {digest.hexdigest()}", file=out)
    print(
        f"ran in {seconds:.1f} s: {commands:,} venue commands ({commands / seconds:,.0f} a second)",
        file=out,
    )
    return 0 if passed == len(checks) else 1


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _table(results: Sequence[tuple[CaseResult, CaseResult, PaperCase | None]], out: TextIO) -> None:
    print(
        "\nours | paper (* = quoted by two agreeing sources and checked numerically; "
        "others: one source, shown for reference)",
        file=out,
    )
    head = f"{'γ':>6} {'strategy':<10}" + "".join(
        f"{name:>18}" for name in ("spread", "profit", "std(profit)", "final q", "std(final q)")
    )
    print(head, file=out)
    for inv, sym, paper in results:
        for r in (inv, sym):
            cells = []
            for fig in FIGURES:
                ours = r.figure(fig)
                theirs = paper.figures[r.strategy][fig] if paper else None
                star = "*" if paper and paper.confirmed(fig) else " "
                cells.append(f"{_fmt(ours):>8} | {_fmt(theirs):>6}{star}")
            print(f"{r.gamma:>6g} {r.strategy:<10}" + "".join(f"{x:>18}" for x in cells), file=out)
    print(
        "spread: the mean best ask − best bid in the book, $; the paper's column is "
        "(2/γ)·ln(1 + γ/k), the symmetric spread",
        file=out,
    )
    for inv, sym, _ in results:
        print(
            f"γ = {inv.gamma:g}: dealer fills {inv.fills:,} (inventory), {sym.fills:,} (symmetric)",
            file=out,
        )


def settings_from(runs: int, seed: int, gammas: Sequence[float] | None) -> Settings:
    """Return the settings of the command line (``gammas`` None: the paper's three)."""
    return Settings(runs=runs, seed=seed, gammas=tuple(gammas) if gammas else Settings.gammas)
