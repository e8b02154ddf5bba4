"""``flopex run SCENARIO --out DIR [--seed N] [--days N]``: run a scenario, write results.

Loads the scenario (a TOML file or a shipped name), runs it through the pipeline and
clearing house (``sim.simulation``) with a plain-text progress bar on stderr, writes
the Parquet tables and ``summary.json`` to ``DIR`` and prints a short report on
stdout. Exit status 0 on success, 2 for an invalid scenario or arguments.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import TextIO

from sim.scenario import ScenarioError, load_scenario
from sim.simulation import run_scenario

BAR_WIDTH = 30


class ProgressBar:
    """``[#######.......]  7/20 days  2026-11-24  3.1 s`` redrawn in place on ``stream``."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.start = time.perf_counter()

    def __call__(self, done: int, total: int, day: date) -> None:
        """Redraw the bar after ``done`` of ``total`` trading days (the last was ``day``)."""
        filled = BAR_WIDTH * done // max(total, 1)
        elapsed = time.perf_counter() - self.start
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stream.write(
            f"\r{self.label} [{bar}] {done:>3}/{total} days  {day.isoformat()}  {elapsed:.1f} s"
        )
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def run_command(
    scenario: str,
    out: str,
    *,
    seed: int | None = None,
    days: int | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``scenario`` and write its results to ``out``; return the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        loaded = load_scenario(scenario)
        loaded = loaded.with_overrides(seed=seed, days=days)
    except ScenarioError as exc:
        print(f"flopex run: {exc}", file=stderr)
        return 2
    _, results = run_scenario(loaded, progress=ProgressBar(stderr, loaded.name))
    paths = results.write(out)
    s = results.summary
    calls, defaults = s["margin_calls"], s["defaults"]
    print(f"scenario          {s['scenario']} (seed {s['seed']})", file=stdout)
    print(f"trading days      {s['trading_days']} ({s['start']} .. {s['end']})", file=stdout)
    print(f"commands          {s['commands']:,}", file=stdout)
    print(f"trades            {s['volume']['trades']:,}", file=stdout)
    print(f"contracts traded  {s['volume']['contracts']:,}", file=stdout)
    print(
        f"margin calls      {calls['issued']} ({calls['defaulted']} ended in default)", file=stdout
    )
    layers = {k: v for k, v in defaults["loss_by_layer_micros"].items() if v}
    by_layer = ", ".join(f"{k} ${v / 1e6:,.2f}" for k, v in layers.items()) or "none"
    print(f"defaults          {defaults['count']} (loss covered by: {by_layer})", file=stdout)
    print(f"state hash        {s['state_hash']}", file=stdout)
    print(f"results           {Path(out)} ({len(paths)} files)", file=stdout)
    return 0
