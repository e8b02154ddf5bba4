"""One run of a sweep, as a worker process executes it, and its row of metrics.

``execute(task)`` builds the scenario from the task's resolved document, runs it
(``sim.simulation.Simulation``) and returns a ``RunOutcome``: the result tables, the
summary, the hedgers' daily P&L table and the wall time, or the error. It never
raises: a failing run is an outcome like any other. The client writes the outcome
(``write_outcome``): tables and ``summary.json`` into the run's folder, then the
completion marker ``done.json`` last, so a folder holding the marker is complete.
``metrics(summary)`` flattens a summary into the scalar columns of ``runs.parquet``.
"""

from __future__ import annotations

import itertools
import json
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiments.sweep_file import RunSpec

DONE = "done.json"
FAILED = "failed.json"

HEDGER_PNL_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("agent", pa.string()),
        ("unhedged", pa.int64()),
        ("variation_margin", pa.int64()),
        ("hedged", pa.int64()),
    ]
)


@dataclass
class RunOutcome:
    """What a run produced: ``status`` ``ok`` (tables, summary) or ``error`` (message)."""

    run_id: str
    status: str
    elapsed_s: float
    summary: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    error: str = ""
    detail: str = ""


def execute(task: RunSpec) -> RunOutcome:
    """Run ``task`` and return its outcome; never raises."""
    from sim.scenario import parse_scenario
    from sim.simulation import Simulation

    t0 = time.perf_counter()
    try:
        scenario = parse_scenario(dict(task.doc), default_name=task.scenario_name)
        sim = Simulation(scenario)
        results = sim.run()
        tables = dict(results.tables)
        tables["hedger_pnl"] = hedger_pnl(sim)
        return RunOutcome(task.run_id, "ok", time.perf_counter() - t0, results.summary, tables)
    except Exception as exc:  # a failing run is recorded, never fatal to the sweep
        return RunOutcome(
            task.run_id,
            "error",
            time.perf_counter() - t0,
            error=f"{type(exc).__name__}: {exc}",
            detail=traceback.format_exc(),
        )


def hedger_pnl(sim: Any) -> pa.Table:
    """Return each hedger's daily P&L (µ$): unhedged (its physical exposure marked at
    the settlement prices), the variation margin its futures received, and hedged (their
    sum); the series behind ``hedge_effectiveness`` in the summary."""
    rec = sim.recorder
    days = sorted(rec.exposures)
    names = {p.account: p.agent.name for p in sim.participants}
    rows: list[tuple[Any, ...]] = []
    for account in sorted({a for d in days for a in rec.exposures[d]}):
        for prev, day in itertools.pairwise(days):
            change = 0
            for name, qty in rec.exposures[prev].get(account, {}).items():
                before, after = rec.settle.get((prev, name)), rec.settle.get((day, name))
                if before is None or after is None:
                    continue
                hours = sim.specs[name.split("-", 1)[0]].contract_hours
                change += qty * (after - before) * hours
            vm = rec.vm.get((day, account), 0)
            rows.append((day, names[account], change, vm, change + vm))
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in HEDGER_PNL_SCHEMA]
    arrays = [pa.array(list(c), type=f.type) for c, f in zip(cols, HEDGER_PNL_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=HEDGER_PNL_SCHEMA)


def metrics(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a run's summary into scalar metrics (columns of ``runs.parquet``).

    Money in µ$ (``_micros``), spreads in basis points of the mid (``spread_bps_mN``,
    tenor N months ahead), depth in contracts (mean of best bid and ask quantity).
    """
    out: dict[str, Any] = {
        "commands": summary.get("commands"),
        "trades": summary["volume"]["trades"],
        "contracts": summary["volume"]["contracts"],
        "notional_micros": summary["volume"]["notional_micros"],
        "open_interest_peak": summary["open_interest"]["peak"],
    }
    for m, x in summary["spread_and_depth_by_tenor"].items():
        out[f"spread_bps_m{m}"] = x["mean_spread_bps"]
        out[f"spread_units_m{m}"] = x["mean_spread_units"]
        out[f"two_sided_m{m}"] = x["two_sided_share"]
        bid, ask = x["mean_bid_qty"], x["mean_ask_qty"]
        out[f"depth_m{m}"] = None if bid is None or ask is None else (bid + ask) / 2
    for m, qty in summary["volume"]["by_tenor"].items():
        out[f"contracts_m{m}"] = qty
    for m, gap in summary["tracking"]["mean_abs_gap_bps_by_tenor"].items():
        out[f"index_gap_bps_m{m}"] = gap
    for product, corr in summary["tracking"]["front_daily_change_correlation"].items():
        out[f"front_correlation_{product}"] = corr
    out["hedge_variance_reduction"] = summary["hedge_effectiveness"]["mean_variance_reduction"]
    calls = summary["margin_calls"]
    out["margin_calls_issued"] = calls["issued"]
    out["margin_calls_defaulted"] = calls["defaulted"]
    out["amount_called_micros"] = calls["amount_called_micros"]
    d = summary["defaults"]
    out["defaults"] = d["count"]
    out["default_loss_micros"] = d["loss_micros"]
    layers = d["loss_by_layer_micros"]
    for layer, amount in layers.items():
        out[f"loss_{layer}_micros"] = amount
    out["default_fund_used_micros"] = layers.get("defaulter_fund", 0) + layers.get(
        "survivors_fund", 0
    )
    return out


def row_of(task: RunSpec, outcome: RunOutcome) -> dict[str, Any]:
    """Return the ``runs.parquet`` row of a run: parameters, seed, status, metrics."""
    row: dict[str, Any] = {"run_id": task.run_id, "point": task.point}
    row.update(task.params)
    row.update(
        seed=task.seed,
        status=outcome.status,
        error=outcome.error,
        elapsed_s=round(outcome.elapsed_s, 3),
    )
    if outcome.status == "ok":
        row.update(metrics(outcome.summary))
    return row


def write_outcome(folder: Path, task: RunSpec, outcome: RunOutcome) -> dict[str, Any]:
    """Write a run's folder (tables, summary, parameters), the marker last; return its row.

    A finished run gets ``done.json``; a failed one ``error.txt`` and ``failed.json``
    (not a completion marker: a restarted sweep runs it again).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for marker in (DONE, FAILED):
        (folder / marker).unlink(missing_ok=True)
    row = row_of(task, outcome)
    params = {
        "run_id": task.run_id,
        "params": dict(task.params),
        "seed": task.seed,
        "spec_hash": task.spec_hash,
        "scenario": task.doc,
    }
    (folder / "params.json").write_text(json.dumps(params, indent=2, default=str) + "\n")
    if outcome.status == "ok":
        for name, table in outcome.tables.items():
            pq.write_table(table, folder / f"{name}.parquet", compression="zstd")
        text = json.dumps(outcome.summary, indent=2, sort_keys=True) + "\n"
        (folder / "summary.json").write_text(text)
        marker = DONE
    else:
        (folder / "error.txt").write_text(f"{outcome.error}\n\n{outcome.detail}")
        marker = FAILED
    record = {"spec_hash": task.spec_hash, "row": row}
    (folder / marker).write_text(json.dumps(record, indent=2, default=str) + "\n")
    return row


def finished_row(folder: Path, task: RunSpec) -> dict[str, Any] | None:
    """Return the row of a run finished earlier with the same scenario, else ``None``."""
    try:
        record = json.loads((folder / DONE).read_text())
    except (OSError, ValueError):
        return None
    if record.get("spec_hash") != task.spec_hash:
        return None
    row = record.get("row")
    return row if isinstance(row, dict) else None
