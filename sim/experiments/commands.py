"""``flopex sweep`` and ``flopex report``: argument handling, messages, exit status.

Exit status 0 on success (a sweep with failed runs still exits 0 and lists them, with
1 when every run failed), 2 for an invalid sweep file or arguments, 3 when the optional
``experiments`` extra (dask, matplotlib) is not installed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

MISSING_EXTRA = "needs the experiments extra: pip install 'flopex[experiments]'"


def sweep_command(
    source: str,
    out: str,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the sweep file ``source`` into ``out``; return the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    from sim.experiments.sweep_file import SweepError, load_sweep

    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        print(f"flopex sweep: {MISSING_EXTRA}", file=stderr)
        return 3
    from sim.experiments.sweep import run_sweep

    try:
        sweep = load_sweep(source)
    except SweepError as exc:
        print(f"flopex sweep: {exc}", file=stderr)
        return 2
    result = run_sweep(sweep, out, workers=workers, scheduler=scheduler, stderr=stderr)
    print(f"sweep             {sweep.name} (scenario {sweep.scenario_name})", file=stdout)
    print(f"runs              {len(result.rows)} ({len(sweep.points)} points x "
          f"{len(sweep.seeds)} seeds)", file=stdout)  # fmt: skip
    print(f"ran now           {len(result.ran)} ({len(result.failed)} failed)", file=stdout)
    print(f"already finished  {len(result.skipped)}", file=stdout)
    by_id = {r["run_id"]: r for r in result.rows}
    for run_id in result.failed:
        print(f"failed            {run_id}: {by_id[run_id]['error']}", file=stdout)
    print(f"table             {result.path}", file=stdout)
    if result.ran and len(result.failed) == len(result.ran) and not result.skipped:
        return 1
    return 0


def report_command(
    target: str, out: str | None = None, *, png_dir: str | None = None,
    stdout: TextIO | None = None, stderr: TextIO | None = None,
) -> int:  # fmt: skip
    """Write the HTML report of a run or sweep folder; return the exit status."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(f"flopex report: {MISSING_EXTRA}", file=stderr)
        return 3
    from sim.experiments.report import ReportError, write_report

    folder = Path(target)
    path = Path(out) if out else folder / "report.html"
    try:
        written = write_report(folder, path, png_dir)
    except ReportError as exc:
        print(f"flopex report: {exc}", file=stderr)
        return 2
    print(f"report            {written}", file=stdout)
    if png_dir:
        print(f"plots             {png_dir}", file=stdout)
    return 0
