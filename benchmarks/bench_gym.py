"""Steps per second of the Gymnasium environment (``sim.experiments.gym_env``).

Run ``python -m benchmarks.bench_gym [--scenario baseline] [--days 2] [--step-minutes 30]
[--runs 3] [--no-write]``; it prints the figures and rewrites the "## Gymnasium" section
of ``benchmarks/RESULTS.md``. Needs the ``gym`` extra.

Three ways through the same simulated days, timed round-robin (median of K runs after
one warm-up, min–max spread):

1. **env**: ``CurveTradingEnv.reset`` then ``step(0)`` (hold) until the episode ends:
   observation, reward and bookkeeping included;
2. **bare steps**: the same ``SteppedSimulation`` (the learner as an idle agent) iterated
   to each decision time with nothing computed there;
3. **plain run**: ``Simulation.run()`` of the scenario without the learner or pauses
   (building the result tables and summary included, which the other two skip),
   counted in the same decision intervals.

Ratios are against the plain run measured in the same process: what pausing for a
learner costs, and what the environment's own work costs on top. Every env run must
reach the same number of steps and the same final value.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from pathlib import Path

from benchmarks import common  # pins BLAS thread pools: must come before numpy

# isort: split
from sim.experiments.gym_env import CurveTradingEnv, Learner, SteppedSimulation
from sim.simulation import Simulation

HEADING = "## Gymnasium"


def run_env(env: CurveTradingEnv, seed: int) -> tuple[float, tuple[int, float]]:
    """Time one held episode; return (seconds, (steps, final value USD))."""
    t0 = time.perf_counter()
    env.reset(seed=seed)
    steps, done, value = 0, False, 0.0
    for _ in range(1_000_000):
        _, _, done, _, info = env.step(0)
        steps += 1
        value = info["value_usd"]
        if done:
            break
    return time.perf_counter() - t0, (steps, value)


def run_bare(env: CurveTradingEnv, root: int) -> tuple[float, tuple[int, float]]:
    """Time the stepped simulation alone; return (seconds, (pauses, 0))."""
    t0 = time.perf_counter()
    scenario = env.scenario.with_overrides(seed=root)
    specs = scenario.product_specs()
    learner = Learner(specs, products=[env.product], capital_usd=env.capital_usd,
                      reserve_usd=0.0, calendar=scenario.calendar, name="learner")  # fmt: skip
    sim = SteppedSimulation(scenario, learner=learner, step_ns=env.step_ns)
    pauses = sum(1 for _ in sim.steps())
    return time.perf_counter() - t0, (pauses, 0.0)


def run_plain(env: CurveTradingEnv, root: int) -> tuple[float, tuple[int, float]]:
    """Time ``Simulation.run()`` of the scenario; return (seconds, (commands, 0))."""
    t0 = time.perf_counter()
    sim = Simulation(env.scenario.with_overrides(seed=root))
    sim.run()
    return time.perf_counter() - t0, (sim.pipeline.seq, 0.0)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print and (unless ``--no-write``) record the results."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="baseline")
    p.add_argument("--days", type=int, default=2)
    p.add_argument("--step-minutes", type=float, default=30.0)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    env = CurveTradingEnv(args.scenario, days=args.days, step_minutes=args.step_minutes)
    _, info = env.reset(seed=args.seed)
    root = int(info["seed"])
    results = common.measure(
        {
            "env": lambda: run_env(env, args.seed),
            "bare": lambda: run_bare(env, root),
            "plain": lambda: run_plain(env, root),
        },
        runs=args.runs,
    )
    env_outcomes = results["env"][1]
    assert len(set(env_outcomes)) == 1, f"env runs differ: {env_outcomes}"
    steps = env_outcomes[0][0]
    pauses = results["bare"][1][0][0]
    assert pauses + 1 >= steps >= pauses, (steps, pauses)
    med = {k: statistics.median(v[0].seconds) for k, v in results.items()}
    spread = {k: (min(v[0].seconds), max(v[0].seconds)) for k, v in results.items()}
    rate = {k: steps / med[k] for k in med}
    rows = [
        (label, f"{med[k]:.3f} s ({spread[k][0]:.3f}–{spread[k][1]:.3f})", f"{rate[k]:,.1f}",
         f"{med['plain'] / med[k]:.2f}×")
        for k, label in (("env", "env: reset + step(hold)"),
                         ("bare", "bare stepped simulation"),
                         ("plain", "plain Simulation.run()"))
    ]  # fmt: skip
    headers = ["path", "median time an episode", "decision steps / s", "speed vs plain run"]
    print(common.plain_table(headers, rows))
    command = "python -m benchmarks.bench_gym " + shlex.join(argv or sys.argv[1:])
    body = "\n\n".join([
        f"`{command.strip()}`: scenario `{args.scenario}`, {args.days} trading days, a "
        f"decision every {args.step_minutes:g} simulated minutes ({steps} steps an episode, "
        f"{results['plain'][1][0][0]:,} pipeline commands in the plain run), median of "
        f"{args.runs} runs after one warm-up (min–max).",
        common.markdown_table(headers, rows),
        "The environment's steps are paced by the simulated population between "
        "decisions: the ratio to the plain run is what pausing for the learner and "
        "building its observation and reward cost (the plain run also builds its result "
        "tables and summary, which the other two skip).",
        common.markdown_table(["", ""], common.machine_info(("numpy", "numba", "gymnasium"))),
    ])  # fmt: skip
    if not args.no_write:
        common.write_section(Path(common.repo_root() / "benchmarks" / "RESULTS.md"), HEADING, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
