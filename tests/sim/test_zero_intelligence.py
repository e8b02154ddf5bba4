"""Gode–Sunder ZI traders and the experiment runner (sim/agents, sim/validation)."""

from __future__ import annotations

import numpy as np
import pytest

from exchange import codes as c
from sim.kernel import Kernel
from sim.validation.design import load_design, shipped_designs
from sim.validation.gode_sunder import (
    INSTRUMENT,
    SECOND,
    Settings,
    Tape,
    make_venue,
    run_cell,
    traders,
)
from sim.validation.institution import REJECT_NAMES

MARKET_1 = load_design(shipped_designs()[0])


def one_period(kind: str, institution: str, seed: int) -> tuple[list, list[tuple[int, int, int]]]:
    """Run one 300 s period; return the traders and every quote the venue took
    as (account, price, unit in hand when it was taken)."""
    agents = traders(MARKET_1, kind, SECOND)
    tape = Tape(MARKET_1, agents)
    quotes: list[tuple[int, int, int]] = []

    def quotes_taken(ts: int, row: np.ndarray, events: np.ndarray) -> None:
        for r in events.tolist():
            if r[c.E_KIND] in (c.EV_ACCEPTED, c.EV_REPLACED):
                quotes.append((r[c.E_ACCOUNT], r[c.E_PRICE], tape.done[r[c.E_ACCOUNT]]))
        tape(ts, row, events)

    kernel = Kernel(
        make_venue(MARKET_1, institution, len(agents)), agents, instruments={INSTRUMENT: 0},
        seed=seed, observers=[quotes_taken], reject_names=REJECT_NAMES,
    )  # fmt: skip
    kernel.run(300 * SECOND)
    kernel.close()
    return agents, quotes


@pytest.mark.parametrize("institution", ["paper", "continuous"])
def test_zi_c_quotes_inside_its_budget_constraint_and_never_trades_at_a_loss(
    institution: str,
) -> None:
    agents, quotes = one_period("ZI-C", institution, seed=5)
    assert len(quotes) > 100
    for account, price, unit in quotes:
        a = agents[account]
        assert price <= a.limits[unit] if a.side == c.SIDE_BUY else price >= a.limits[unit]
    for a in agents:
        margins = [
            (v - p) if a.side == c.SIDE_BUY else (p - v)
            for v, p in zip(a.limits, a.prices, strict=False)
        ]
        assert all(m >= 0 for m in margins)


def test_zi_u_quotes_the_whole_range_and_does_trade_at_a_loss() -> None:
    agents, quotes = one_period("ZI-U", "paper", seed=5)
    prices = [p for _, p, _ in quotes]
    assert min(prices) < 20 and max(prices) > 180
    losses = sum(
        (v - p < 0) if a.side == c.SIDE_BUY else (p - v < 0)
        for a in agents
        for v, p in zip(a.limits, a.prices, strict=False)
    )
    assert losses > 0
    assert all(a.done for a in agents)


def test_zi_u_trades_every_unit_so_its_efficiency_is_the_closed_form() -> None:
    cell = run_cell(MARKET_1, "paper", "ZI-U", Settings(runs=1, periods=3))
    assert cell.all_units_traded
    assert [p.efficiency for p in cell.periods] == [pytest.approx(90.0)] * 3
    assert all(p.ended_early for p in cell.periods)


def test_cutting_periods_short_collapses_zi_c_efficiency() -> None:
    short = run_cell(MARKET_1, "paper", "ZI-C", Settings(runs=1, periods=3, period_ns=5 * SECOND))
    full = run_cell(MARKET_1, "paper", "ZI-C", Settings(runs=1, periods=3))
    assert short.efficiency < 70 < 97 < full.efficiency


def test_rms_deviation_is_computed_per_trade_number_over_periods_that_reached_it() -> None:
    cell = run_cell(MARKET_1, "paper", "ZI-C", Settings(runs=1, periods=4))
    points = cell.rms_by_trade()
    k, rms, n = points[0]
    first = [p.prices[0] - 83 for p in cell.periods]
    assert (k, n) == (1, 4) and rms == pytest.approx(np.sqrt(np.mean(np.square(first))))
    assert all(2 * n >= 4 for _, _, n in points)
