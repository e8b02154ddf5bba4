"""Simulation throughput: simulated orders per wall-clock second, with same-run baselines.

    python -m benchmarks.bench_sim [--days 1] [--agents 1000] [--traders 10000]
                                   [--seconds 60] [--runs 3] [--no-write]

Two measurements, each against a baseline timed in the same run on the same orders:

- **(a) scenario**: the ``baseline`` scenario with every agent group scaled so that
  about ``--agents`` agents trade the curve, through ``sim.simulation.Simulation``
  (kernel, router, pipeline, clearing house on, margin, settlements) with the
  output tables written to a temporary directory. Rate = venue commands the agents
  sent / wall seconds of the whole run (building, running, writing). Baseline: the
  same command rows (recorded by a kernel observer) replayed through a bare
  ``Engine.process_batch`` with every slot listed.
- **(b) population**: ``sim.agents.population.Population`` of ``--traders`` traders
  (a quarter of each kind) trading one instrument for ``--seconds`` simulated
  seconds straight on an engine. Rate = commands / wall seconds. Baseline: the same
  commands (kept by ``keep_log``) replayed through a bare ``Engine.process_batch``;
  the difference is the traders' decisions and event reading. Target: at least
  1,000,000 simulated orders a second on one core, end to end.

A cProfile of one scenario run gives the top entries by own time. The section
"## Simulation" of ``benchmarks/RESULTS.md`` is rewritten unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from benchmarks import common  # pins BLAS thread pools: must come before numpy

# isort: split
import numpy as np

from exchange import codes as c
from exchange import commands as C
from exchange.engine import Engine
from sim.agents.population import Population, PopulationParams
from sim.scenario import Scenario, parse_scenario
from sim.simulation import Simulation

SECTION = "## Simulation"
TARGET = 1_000_000  # simulated orders a second, population end to end
SECOND = 1_000_000_000
FUNDAMENTAL = 10_000  # price units
MAX_PRICE = 20_000


def scaled_baseline(agents: int, days: int) -> Scenario:
    """Return the shipped ``baseline`` scenario with about ``agents`` agents."""
    text = (resources.files("sim") / "scenarios" / "baseline.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    total = sum(int(g.get("count", 1)) for g in raw["agents"])
    factor = max(1, round(agents / total))
    for g in raw["agents"]:
        g["count"] = int(g.get("count", 1)) * factor
    raw["days"] = days
    raw["name"] = f"baseline x{factor}"
    return parse_scenario(raw)


def run_scenario(sc: Scenario, profile: bool) -> tuple[float, int, np.ndarray, str]:
    """Run ``sc`` and write its outputs; return (seconds, agent commands, their rows,
    profile text). Only the run is timed (building, calendar, writing the tables)."""
    rows: list[np.ndarray] = []
    prof = cProfile.Profile() if profile else None
    with tempfile.TemporaryDirectory() as out, common.stopwatch() as sw:
        sim = Simulation(sc)
        submit = sim.port.submit

        def recording(row: np.ndarray) -> np.ndarray:
            rows.append(row.copy())
            return submit(row)

        sim.port.submit = recording  # type: ignore[method-assign]
        if prof is not None:
            prof.enable()
        results = sim.run()
        if prof is not None:
            prof.disable()
        results.write(Path(out))
    text = ""
    if prof is not None:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(15)
        text = s.getvalue()
    batch = np.array(rows) if rows else np.zeros((0, c.CMD_WIDTH), dtype=np.int64)
    return sw.seconds, len(rows), batch, text


def replay(rows: np.ndarray, n_instr: int, max_price: int, n_accounts: int) -> float:
    """Return seconds for a fresh engine (every slot listed) to process ``rows`` in one batch."""
    engine = Engine(n_instr, max_price, n_accounts)
    for i in range(n_instr):
        engine.process(C.list_instrument(i))
    rows = np.ascontiguousarray(rows)
    with common.stopwatch() as sw:
        engine.process_batch(rows)
    return sw.seconds


def run_population(traders: int, seconds: int, seed: int) -> tuple[float, Population, np.ndarray]:
    """Run a population of ``traders`` for ``seconds`` simulated s; return (wall s, it, its log)."""
    engine = Engine(1, MAX_PRICE, traders)
    engine.process(C.list_instrument(0))
    each = traders // 4
    counts = {"noise": traders - 3 * each, "zic": each, "momentum": each, "fundamental": each}
    pop = Population(counts, seed=seed, fundamental=FUNDAMENTAL, max_price=MAX_PRICE,
                     params=PopulationParams())  # fmt: skip
    pop.keep_log(2 * traders * seconds)  # about 1.5 commands a trader a second
    with common.stopwatch() as sw:
        pop.run(engine, seconds * SECOND)
    return sw.seconds, pop, pop.logged().copy()


def warm() -> None:
    """Compile the kernels (numba caches them on disk) outside the timings."""
    run_population(16, 2, 0)
    replay(np.zeros((0, c.CMD_WIDTH), dtype=np.int64), 1, 100, 1)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Return the command-line options."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_sim", description=__doc__)
    ap.add_argument("--agents", type=int, default=1000, help="scenario agents (about; 1000)")
    ap.add_argument("--days", type=int, default=1, help="scenario trading days (1)")
    ap.add_argument("--traders", type=int, default=10_000, help="population traders (10000)")
    ap.add_argument("--seconds", type=int, default=60, help="population simulated s (60)")
    ap.add_argument("--runs", type=int, default=3, help="timed population runs (3)")
    ap.add_argument("--seed", type=int, default=1, help="population seed (1)")
    results = common.repo_root() / "benchmarks" / "RESULTS.md"
    ap.add_argument("--results", type=Path, default=results, help="markdown file to update")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Measure, print, and write the RESULTS.md section."""
    args = parse_args(argv)
    t_start = time.perf_counter()
    warm()
    sc = scaled_baseline(args.agents, args.days)
    n_agents = sum(g.count for g in sc.agents)
    sec_a, cmds_a, rows_a, prof = run_scenario(sc, profile=False)
    _, _, _, prof = run_scenario(sc, profile=True)
    n_instr = int(rows_a[:, c.C_INSTR].max()) + 1 if len(rows_a) else 1
    max_price = max(int(rows_a[:, c.C_PRICE].max()) + 1 if len(rows_a) else 2, 2)
    n_accounts = max(int(rows_a[:, c.C_ACCOUNT].max()) + 1 if len(rows_a) else 1, 1)
    base_a = replay(rows_a, n_instr, max_price, n_accounts)
    rate_a, engine_a = cmds_a / sec_a, cmds_a / base_a if base_a > 0 else 0.0

    pop_secs: list[float] = []
    checksums = set()
    base_secs: list[float] = []
    pop_cmds = 0
    for _ in range(args.runs):
        s, pop, log = run_population(args.traders, args.seconds, args.seed)
        pop_secs.append(s)
        checksums.add(pop.checksum)
        pop_cmds = pop.commands
        base_secs.append(replay(log, 1, MAX_PRICE, args.traders))
    pop_s, base_s = float(np.median(pop_secs)), float(np.median(base_secs))
    rate_b, engine_b = pop_cmds / pop_s, pop_cmds / base_s
    met = rate_b >= TARGET

    rows = [
        [f"(a) baseline scenario x{sc.name.split('x')[-1]} ({n_agents} agents, {args.days} day, "
         "clearing on, outputs written)", f"{cmds_a:,}", f"{sec_a:.2f}",
         common.fmt_rate(rate_a), common.fmt_rate(engine_a), _ratio(rate_a, engine_a)],
        [f"(b) numba population ({args.traders:,} traders, {args.seconds} simulated s)",
         f"{pop_cmds:,}", f"{pop_s:.3f}", common.fmt_rate(rate_b), common.fmt_rate(engine_b),
         _ratio(rate_b, engine_b)],
    ]  # fmt: skip
    headers = ["run", "simulated orders", "wall s", "orders/s", "bare engine, same orders",
               "ratio to bare engine"]  # fmt: skip
    verdict = (
        f"population target >= {TARGET:,} simulated orders/s on one core end to end: "
        f"{'met' if met else 'NOT met'} ({rate_b:,.0f}/s)"
    )
    share = 1 - base_s / pop_s if pop_s > 0 else 0.0
    timers = (
        f"population time split (manual timers, median of {args.runs}): engine matching "
        f"{base_s:.3f} s ({100 * (1 - share):.0f}%), traders' decisions and event reading "
        f"{pop_s - base_s:.3f} s ({100 * share:.0f}%); same seed, same checksum in every "
        f"run: {'yes' if len(checksums) == 1 else 'NO'}"
    )
    print(common.plain_table(headers, rows))
    print(verdict)
    print(timers)
    print("\nscenario profile (cProfile, top 15 by own time):")
    print(prof)
    machine = common.machine_info(("numpy", "numba"))
    body = "\n\n".join([
        "`python -m benchmarks.bench_sim`: simulated orders (venue commands the agents "
        "sent) per wall-clock second, each against the bare engine's batch rate on the "
        "same command rows, replayed in the same run.",
        common.markdown_table(headers, rows),
        verdict + ".",
        timers + ".",
        "Scenario profile (cProfile, top 15 by own time):\n\n```\n" + _trim(prof) + "\n```",
        common.markdown_table(["machine", ""], machine),
        f"Measured in {time.perf_counter() - t_start:.0f} s.",
    ])  # fmt: skip
    if not args.no_write:
        common.write_section(args.results, SECTION, body)


def _ratio(num: float, den: float) -> str:
    """Format ``num / den``; below 0.1 as ``1/N`` (the simulation is N times slower)."""
    if num <= 0 or den <= 0:
        return "—"
    return common.fmt_ratio(num, den) if num / den >= 0.1 else f"1/{den / num:,.0f}"


def _trim(text: str) -> str:
    lines = [x.rstrip() for x in text.splitlines() if x.strip()]
    return "\n".join(lines[:25])


if __name__ == "__main__":
    main()
