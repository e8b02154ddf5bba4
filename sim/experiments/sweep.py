"""``flopex sweep``: every run of a sweep file on a Dask cluster, merged into one table.

``run_sweep(sweep, out)`` lists the runs (points × seeds), skips those whose folder
already holds the completion marker for the same scenario (a restarted sweep resumes),
submits the others to ``dask.distributed`` — a ``LocalCluster`` of worker processes on
127.0.0.1 by default, or an existing cluster given its scheduler address — and writes
each outcome into ``out/runs/<run id>/`` as it arrives (marker last). A failing run is
recorded with its error and does not stop the sweep. At the end ``out/runs.parquet``
holds one row per run: parameters, seed, status, error, wall time and the summary
metrics (``sim.experiments.runner.metrics``). A progress bar with an ETA is drawn on
stderr. Workers only compute: the client writes every file, so a remote cluster needs
flopex installed on its workers but no shared disk.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.runner import RunOutcome, execute, finished_row, write_outcome
from sim.experiments.sweep_file import RunSpec, Sweep

BAR_WIDTH = 30

#: Columns ``runs.parquet`` starts with, before the parameters and metrics.
HEAD = ("run_id", "point")
TAIL = ("seed", "status", "error", "elapsed_s")


class SweepProgress:
    """``sweep [#####.....]  5/12 runs  1 failed  20.1 s  ETA 28.0 s`` on ``stream``."""

    def __init__(self, stream: TextIO, label: str, total: int) -> None:
        self.stream = stream
        self.label = label
        self.total = total
        self.start = time.perf_counter()

    def __call__(self, done: int, failed: int) -> None:
        """Redraw after ``done`` of ``total`` runs finished (``failed`` of them failed)."""
        elapsed = time.perf_counter() - self.start
        filled = BAR_WIDTH * done // max(self.total, 1)
        eta = elapsed / done * (self.total - done) if done else float("nan")
        eta_text = f"ETA {eta:.1f} s" if done else "ETA --"
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stream.write(
            f"\r{self.label} [{bar}] {done:>3}/{self.total} runs  {failed} failed  "
            f"{elapsed:.1f} s  {eta_text}   "
        )
        if done == self.total:
            self.stream.write("\n")
        self.stream.flush()


@dataclass
class SweepResult:
    """The merged rows (in run order) and what this invocation did."""

    rows: list[dict[str, Any]]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    path: Path | None = None


def local_client(workers: int) -> Any:
    """Return a Dask client on a new ``LocalCluster``: ``workers`` processes of one
    thread each, listening on 127.0.0.1 only (its HTTP endpoints too, on a free port)."""
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # its HTTP endpoints on loopback too
    )
    return Client(cluster)


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    client: Any = None,
    run: Callable[[RunSpec], RunOutcome] = execute,
    stderr: TextIO | None = None,
) -> SweepResult:
    """Run every unfinished run of ``sweep`` and write ``out/runs.parquet``.

    ``client``: an existing ``dask.distributed.Client`` (kept open); else one is made
    on ``scheduler`` (``tcp://host:port``) or on a local cluster of ``workers``
    processes, and closed at the end. ``run`` is the function the workers call.
    """
    stderr = stderr or sys.stderr
    root = Path(out)
    (root / "runs").mkdir(parents=True, exist_ok=True)
    (root / "sweep.json").write_text(json.dumps(sweep.describe(), indent=2, default=str) + "\n")
    tasks = sweep.runs()
    rows: dict[str, dict[str, Any]] = {}
    result = SweepResult(rows=[])
    todo: list[RunSpec] = []
    for task in tasks:
        row = finished_row(root / "runs" / task.run_id, task)
        if row is None:
            todo.append(task)
        else:
            rows[task.run_id] = row
            result.skipped.append(task.run_id)
    progress = SweepProgress(stderr, sweep.name, len(todo))
    if todo:
        own = client is None
        if own:
            if scheduler is not None:
                from dask.distributed import Client

                client = Client(scheduler)
            else:
                client = local_client(workers)
        try:
            _submit_all(client, todo, run, root, rows, result, progress)
        finally:  # interrupted or not, the table holds every run finished so far
            result.rows = [rows[t.run_id] for t in tasks if t.run_id in rows]
            result.path = write_runs_table(root / "runs.parquet", result.rows, sweep.keys)
            if own:
                cluster = client.cluster
                client.close()
                if cluster is not None:
                    cluster.close()
    result.rows = [rows[t.run_id] for t in tasks if t.run_id in rows]
    result.path = write_runs_table(root / "runs.parquet", result.rows, sweep.keys)
    return result


def _submit_all(
    client: Any,
    todo: Sequence[RunSpec],
    run: Callable[[RunSpec], RunOutcome],
    root: Path,
    rows: dict[str, dict[str, Any]],
    result: SweepResult,
    progress: SweepProgress,
) -> None:
    from dask.distributed import as_completed

    by_key = {}
    futures = []
    attempt = uuid.uuid4().hex[:8]  # a retried run must not get a failed attempt's result
    for task in todo:
        future = client.submit(run, task, key=f"flopex-run-{task.run_id}-{attempt}", pure=False)
        by_key[future.key] = task
        futures.append(future)
    progress(0, 0)
    for done, future in enumerate(as_completed(futures), start=1):
        task = by_key[future.key]
        try:
            outcome = future.result()
        except Exception as exc:  # the worker died or the result did not arrive
            outcome = RunOutcome(task.run_id, "error", 0.0, error=f"{type(exc).__name__}: {exc}")
        rows[task.run_id] = write_outcome(root / "runs" / task.run_id, task, outcome)
        result.ran.append(task.run_id)
        if outcome.status != "ok":
            result.failed.append(task.run_id)
        progress(done, len(result.failed))


def write_runs_table(
    path: Path, rows: Sequence[Mapping[str, Any]], keys: Sequence[str] = ()
) -> Path:
    """Write the merged table: run id, point, parameters, seed, status, error, wall
    time, then every metric any run reported (null where a run has none)."""
    names = list(HEAD) + list(keys) + list(TAIL)
    for row in rows:
        for k in row:
            if k not in names:
                names.append(k)
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if name == "error":
            values = [v or "" for v in values]
        columns[name] = _column(values)
    pq.write_table(pa.table(columns), path, compression="zstd")
    return path


def _column(values: list[Any]) -> pa.Array:
    """Return a typed column: ints stay int64, a mix of ints and floats is float64."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        if all(isinstance(v, int) for v in present):
            return pa.array(values, type=pa.int64())
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if present and not all(isinstance(v, type(present[0])) for v in present):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())
    return pa.array(values)
