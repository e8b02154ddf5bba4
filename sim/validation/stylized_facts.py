"""Cont (2001): the stylized facts of asset returns, checked on a scenario run.

Cont, R. (2001). Empirical properties of asset returns: stylized facts and
statistical issues. *Quantitative Finance* 1(2), 223–236. Three of its facts:

1. **absence of linear autocorrelation**: the autocorrelation of returns is
   insignificant (here: |ACF| at lags 1 … ``lags`` within ``ACF_BAND``);
2. **heavy tails**: the unconditional distribution has positive excess kurtosis and
   a power-law tail whose index lies between about 2 and 5 (here: the Hill estimate
   on the largest ``HILL_TAIL`` fraction of absolute returns within ``HILL_RANGE``);
3. **volatility clustering**: the autocorrelation of absolute returns is positive and
   decays slowly (here: significant, above ``3/√n``, at lags 1 … ``CLUSTER_LAGS``, and
   positive at every lag up to ``lags``).

Sampling: the scenario runs through ``sim.simulation.Simulation`` (pipeline, clearing
house, the whole calendar). The series is the most traded contract's trade prices,
sampled every ``sample_minutes`` simulated minutes within each trading session at the
last trade so far that session (previous-tick sampling, from the session's first
trade); returns are log differences inside a session (no overnight returns). The
share of intervals without a trade is printed: a thinly traded series has mostly
zero returns, and its kurtosis says more about the zeros than about the tails, so
the data check asks for at least ``MIN_RETURNS`` returns of which at least
``MIN_NONZERO`` are not zero. Prices in price units, times in ns.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import numpy.typing as npt

from sim.scenario import load_scenario
from sim.simulation import MINUTE_NS, Simulation

ACF_BAND = 0.1  # |ACF| of returns at lags 1 … lags must stay below this
LAGS = 10
CLUSTER_LAGS = 5
HILL_TAIL = 0.05  # fraction of the largest |returns| in the Hill estimate
HILL_RANGE = (2.0, 5.0)  # Cont (2001): tail index between 2 and 5
MIN_RETURNS = 1_000
MIN_NONZERO = 0.5  # share of non-zero returns

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FactSettings:
    """The run: trading days and seed (None: the scenario's), return interval (minutes),
    and the price sampled (see the module docstring)."""

    days: int | None = None
    seed: int | None = None
    sample_minutes: int = 1
    series: str = "mid"  # "mid": mid quote from the book_top samples; "trade": last trade


@dataclass(frozen=True)
class Check:
    """One pass/fail line."""

    passed: bool
    text: str

    def line(self) -> str:
        """Return ``PASS`` or ``FAIL`` and the claim."""
        return f"{'PASS' if self.passed else 'FAIL'}  {self.text}"


def acf(x: Floats, lags: int) -> Floats:
    """Return the sample autocorrelations of ``x`` at lags 1 … ``lags``."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    denom = float(np.dot(x, x))
    if denom == 0.0:
        return np.zeros(lags)
    return np.array([float(np.dot(x[:-k], x[k:])) / denom for k in range(1, lags + 1)])


def excess_kurtosis(x: Floats) -> float:
    """Return the sample excess kurtosis of ``x`` (0 for a normal distribution)."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    m2 = float(np.mean(x * x))
    return float(np.mean(x**4)) / (m2 * m2) - 3.0 if m2 > 0 else 0.0


def hill(x: Floats, tail: float = HILL_TAIL) -> float:
    """Return the Hill estimate of the tail index of ``|x|`` from its largest ``tail``
    fraction of non-zero values (``nan`` if fewer than 10 of them)."""
    a = np.sort(np.abs(np.asarray(x, dtype=np.float64)))[::-1]
    a = a[a > 0]
    k = int(len(a) * tail)
    if k < 10:
        return math.nan
    return 1.0 / float(np.mean(np.log(a[:k] / a[k])))


def mid_returns(
    tops: list[tuple[int, int, int]], sessions: list[tuple[int, int]], every: int
) -> Floats:
    """Return log returns of the mid quote at every ``every``-th sample inside each
    session; ``tops`` are (time ns, bid, ask) samples in time order (0 = empty side)."""
    out: list[float] = []
    j = 0
    for t_open, t_close in sessions:
        day: list[float] = []
        while j < len(tops) and tops[j][0] <= t_close:
            ts, bid, ask = tops[j]
            j += 1
            if ts >= t_open:
                day.append((bid + ask) / 2.0 if bid > 0 and ask > 0 else 0.0)
        day = day[every - 1 :: every]
        out += [math.log(b / a) for a, b in itertools.pairwise(day) if a > 0 and b > 0]
    return np.array(out, dtype=np.float64)


def sampled_returns(
    trades: list[tuple[int, int]], sessions: list[tuple[int, int]], step_ns: int
) -> Floats:
    """Return log returns of previous-tick prices every ``step_ns`` inside each session.

    ``trades`` are (time ns, price) in time order; ``sessions`` are (open ns, close ns).
    """
    out: list[float] = []
    j = 0
    for t_open, t_close in sessions:
        while j < len(trades) and trades[j][0] < t_open:
            j += 1
        last = 0
        prev = 0
        for t in range(t_open + step_ns, t_close + 1, step_ns):
            while j < len(trades) and trades[j][0] <= t:
                last = trades[j][1]
                j += 1
            if last > 0 and prev > 0:
                out.append(math.log(last / prev))
            prev = last
    return np.array(out, dtype=np.float64)


@dataclass(frozen=True)
class Facts:
    """The statistics of one return series."""

    n: int
    nonzero: float  # share of non-zero returns
    acf_r: Floats
    acf_abs: Floats
    kurtosis: float
    hill: float

    def checks(self) -> list[Check]:
        """Return the pass/fail lines (thresholds in the module docstring)."""
        band = 3 / math.sqrt(max(self.n, 1))
        worst = float(np.max(np.abs(self.acf_r))) if len(self.acf_r) else math.nan
        lo, hi = HILL_RANGE
        first = self.acf_abs[:CLUSTER_LAGS]
        return [
            Check(
                self.n >= MIN_RETURNS and self.nonzero >= MIN_NONZERO,
                f"enough data: {self.n:,} returns (>= {MIN_RETURNS:,}), "
                f"{100 * self.nonzero:.1f}% non-zero (>= {100 * MIN_NONZERO:g}%)",
            ),
            Check(
                worst < ACF_BAND,
                f"no linear autocorrelation: max |ACF(r)| at lags 1-{len(self.acf_r)} "
                f"{worst:.3f} < {ACF_BAND:g}",
            ),
            Check(self.kurtosis > 0, f"heavy tails: excess kurtosis {self.kurtosis:.2f} > 0"),
            Check(
                lo <= self.hill <= hi,
                f"heavy tails: Hill tail index {self.hill:.2f} (top {100 * HILL_TAIL:g}% of |r|) "
                f"in [{lo:g}, {hi:g}]",
            ),
            Check(
                bool(np.all(first > band)),
                f"volatility clustering: ACF(|r|) at lags 1-{CLUSTER_LAGS} "
                f"(min {float(np.min(first)):.3f}) > 3/√n = {band:.3f}",
            ),
            Check(
                bool(np.all(self.acf_abs > 0)),
                f"volatility clustering decays slowly: ACF(|r|) > 0 at every lag 1-{len(self.acf_abs)} "
                f"(lag {len(self.acf_abs)}: {float(self.acf_abs[-1]):.3f})",
            ),
        ]


def facts_of(returns: Floats, lags: int = LAGS) -> Facts:
    """Return the statistics of ``returns``."""
    n = len(returns)
    nonzero = float(np.mean(returns != 0)) if n else 0.0
    if n <= lags + 1:
        empty = np.zeros(lags)
        return Facts(n, nonzero, empty, empty, 0.0, math.nan)
    return Facts(
        n, nonzero, acf(returns, lags), acf(np.abs(returns), lags),
        excess_kurtosis(returns), hill(returns),
    )  # fmt: skip


def series_of(sim: Simulation, settings: FactSettings) -> tuple[str, int, Floats, str]:
    """Return (contract, its trades, returns, what was sampled) of a finished run."""
    sc = sim.scenario
    rows = sim.recorder.rows["trades"]
    counts = Counter(r[4] for r in rows)
    if not counts:
        return "", 0, np.zeros(0), "no trades"
    contract, n_trades = counts.most_common(1)[0]
    cal = sc.calendar
    sessions = [(cal.open_ts(d), cal.close_ts(d)) for d in sc.trading_days()]
    if settings.series == "trade":
        trades = [(int(r[0]), int(r[7])) for r in rows if r[4] == contract]
        step = settings.sample_minutes * MINUTE_NS
        what = f"last trade price every {settings.sample_minutes} min"
        return contract, n_trades, sampled_returns(trades, sessions, step), what
    book_minutes = float(sc.output["book_top_minutes"])
    every = max(1, round(settings.sample_minutes / book_minutes))
    tops = [
        (int(r[0]), int(r[5]), int(r[7])) for r in sim.recorder.rows["book_top"] if r[2] == contract
    ]
    what = f"mid quote every {every * book_minutes:g} min"
    return contract, n_trades, mid_returns(tops, sessions, every), what


def validate_stylized_facts(scenario: str, settings: FactSettings, out: TextIO) -> int:
    """Run ``scenario``, print the statistics and the checks; 0 if all pass, else 1."""
    t0 = time.perf_counter()
    sc = load_scenario(scenario).with_overrides(seed=settings.seed, days=settings.days)
    sim = Simulation(sc)
    sim.run()
    contract, n_trades, returns, what = series_of(sim, settings)
    print(
        f"Cont (2001) stylized facts on flopex: scenario {sc.name}, {sc.days} trading days, "
        f"seed {sc.seed}; returns of {what}",
        file=out,
    )
    f = facts_of(returns)
    total = len(sim.recorder.rows["trades"])
    print(
        f"series: {contract or '—'} ({n_trades:,} of {total:,} trades), {f.n:,} returns, "
        f"{100 * f.nonzero:.1f}% non-zero; std {float(np.std(returns)) if f.n else 0.0:.2e}",
        file=out,
    )
    print("\nlag        " + "".join(f"{k:>8}" for k in range(1, LAGS + 1)), file=out)
    print("ACF(r)     " + "".join(f"{x:>8.3f}" for x in f.acf_r), file=out)
    print("ACF(|r|)   " + "".join(f"{x:>8.3f}" for x in f.acf_abs), file=out)
    print(f"excess kurtosis {f.kurtosis:.2f}; Hill tail index {f.hill:.2f}", file=out)
    checks = f.checks()
    print("\nchecks", file=out)
    for ch in checks:
        print(ch.line(), file=out)
    passed = sum(ch.passed for ch in checks)
    print(f"\n{passed} of {len(checks)} checks passed", file=out)
    assert sim.kernel is not None
    print(f"journal sha256 {sim.kernel.journal_hash()}", file=out)
    print(
        f"ran in {time.perf_counter() - t0:.1f} s: {sim.kernel.commands:,} venue commands",
        file=out,
    )
    return 0 if passed == len(checks) else 1
