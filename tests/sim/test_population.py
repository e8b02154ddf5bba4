"""The numba population (sim/agents/population.py): determinism and behaviour, on a
bare engine and as one agent of the kernel."""

from __future__ import annotations

import numpy as np

from exchange import codes as c
from exchange import commands as C
from exchange.engine import Engine
from sim.agents.population import (
    FUNDAMENTAL,
    MOMENTUM,
    NOISE,
    ZIC,
    Population,
    PopulationAgent,
    PopulationParams,
)
from sim.kernel import Kernel
from sim.venue_port import EngineVenue

SECOND = 1_000_000_000
FAIR, TOP = 10_000, 20_000
COUNTS = {"noise": 40, "zic": 40, "momentum": 20, "fundamental": 20}


def run(seed: int, seconds: int = 120, log: int = 0) -> tuple[Engine, Population]:
    engine = Engine(1, TOP, 120)
    engine.process(C.list_instrument(0))
    pop = Population(COUNTS, seed=seed, fundamental=FAIR, max_price=TOP)
    if log:
        pop.keep_log(log)
    pop.run(engine, seconds * SECOND)
    return engine, pop


def test_the_same_seed_gives_the_same_state_hash_and_journal_checksum() -> None:
    e1, p1 = run(5)
    e2, p2 = run(5)
    e3, p3 = run(6)
    assert p1.commands > 5_000 and p1.trades > 500
    assert e1.state_hash() == e2.state_hash() and p1.checksum == p2.checksum
    assert np.array_equal(p1.pos, p2.pos)
    assert e3.state_hash() != e1.state_hash() and p3.checksum != p1.checksum


def test_running_in_pieces_is_the_same_run() -> None:
    e1, p1 = run(7, seconds=60)
    engine = Engine(1, TOP, 120)
    engine.process(C.list_instrument(0))
    pop = Population(COUNTS, seed=7, fundamental=FAIR, max_price=TOP)
    for t in (10, 25, 60):
        pop.run(engine, t * SECOND)
    assert engine.state_hash() == e1.state_hash() and pop.checksum == p1.checksum


def test_a_trader_s_stream_does_not_depend_on_the_traders_after_it() -> None:
    a = Population({"noise": 3}, seed=1, fundamental=FAIR, max_price=TOP)
    b = Population({"noise": 3, "zic": 50}, seed=1, fundamental=FAIR, max_price=TOP)
    assert np.array_equal(a.rng[:3], b.rng[:3]) and np.array_equal(a.wake, b.wake[:3])


def test_the_book_stays_sound_positions_net_out_and_limits_hold() -> None:
    engine, pop = run(3, seconds=300)
    engine.check_invariants()
    assert pop.pos.sum() == 0  # every trade is between two traders of the population
    assert np.abs(pop.pos).max() <= pop.params.max_position + pop.params.qty
    # the engine's record agrees with the traders' own positions
    assert engine.traded_qty == int(pop.cnt[2])
    # at most one resting order per trader
    live = sum(o[2] > 0 for side in (0, 1) for p, _, _ in engine.levels(0, side)
               for o in engine.orders_at(0, side, p))  # fmt: skip
    assert live <= pop.n


def test_each_kind_trades_as_its_rule_says() -> None:
    _, pop = run(11, seconds=60, log=200_000)
    rows = pop.logged()
    assert len(rows) == pop.commands
    trader = rows[:, c.C_ACCOUNT] - pop.account0
    kind = pop.kind[trader]
    new = rows[:, c.C_OP] == c.OP_NEW
    priced = new | (rows[:, c.C_OP] == c.OP_REPLACE)
    # ZI-C never quotes at a loss: buyers at or below their value, sellers at or above
    zic = priced & (kind == ZIC)
    value, role = pop.value[trader], pop.role[trader]
    assert zic.sum() > 100
    buy = zic & (role == 0)
    assert np.all(rows[buy, c.C_PRICE] <= value[buy])
    assert np.all(rows[zic & (role == 1), c.C_PRICE] >= value[zic & (role == 1)])
    # momentum traders only take liquidity (IOC); noise traders both rest and take
    mom = new & (kind == MOMENTUM)
    assert mom.sum() > 0 and np.all(rows[mom, c.C_TIF] == c.TIF_IOC)
    noise_tifs = set(rows[new & (kind == NOISE), c.C_TIF].tolist())
    assert noise_tifs == {c.TIF_IOC, c.TIF_GTC}
    assert (new & (kind == FUNDAMENTAL)).sum() > 0


def test_a_population_is_one_agent_of_the_kernel() -> None:
    engine = Engine(1, TOP, 4)
    engine.process(C.list_instrument(0))
    params = PopulationParams(round_ns=SECOND // 2)
    pops = [Population(COUNTS, seed=s, fundamental=FAIR, max_price=TOP, params=params)
            for s in (1, 2)]  # fmt: skip
    agents = [PopulationAgent(p, "X") for p in pops]
    kernel = Kernel(EngineVenue(engine), agents, instruments={"X": 0}, seed=4)
    kernel.run(120 * SECOND)
    kernel.close()
    assert all(a.sent > 500 for a in agents)
    assert kernel.commands + kernel.dropped >= sum(a.sent for a in agents)
    # the two populations trade with each other (a population never crosses itself:
    # self-match prevention), and each books its fills to the trader who ordered
    total = sum(int(p.pos.sum()) for p in pops)
    assert total == 0 and engine.traded_qty > 0
    assert int(np.abs(pops[0].pos).sum()) > 0
