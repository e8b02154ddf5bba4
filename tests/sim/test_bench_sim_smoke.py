"""``python -m benchmarks.bench_sim`` pieces on tiny settings (the benchmark itself runs
by hand: see benchmarks/RESULTS.md)."""

from __future__ import annotations

from benchmarks import bench_sim  # benchmarks.common first: it pins BLAS thread pools

# isort: split
import numpy as np

from exchange import codes as c


def test_the_baseline_scenario_scales_to_about_the_agents_asked() -> None:
    sc = bench_sim.scaled_baseline(140, 1)
    counts = {g.kind: g.count for g in sc.agents}
    assert sum(counts.values()) == 140  # 14 agents × 10
    assert counts["noise"] == 40 and counts["market_maker"] == 20 and sc.days == 1


def test_the_population_run_keeps_its_orders_for_the_engine_baseline() -> None:
    seconds, pop, log = bench_sim.run_population(200, 10, seed=1)
    assert seconds > 0 and len(log) == pop.commands > 500
    assert set(np.unique(log[:, c.C_OP]).tolist()) <= {c.OP_NEW, c.OP_REPLACE, c.OP_CANCEL}
    # the same orders replayed on a bare engine end in the same book
    assert bench_sim.replay(log, 1, bench_sim.MAX_PRICE, 200) > 0
    again = bench_sim.run_population(200, 10, seed=1)[1]
    assert again.checksum == pop.checksum


def test_small_ratios_print_as_fractions() -> None:
    assert bench_sim._ratio(1.0, 2000.0) == "1/2,000"
    assert bench_sim._ratio(3.0, 2.0) == "1.5×"
