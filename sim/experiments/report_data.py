"""The data behind every plot of ``flopex report``, as small ``pyarrow.Table`` frames.

Each function takes what a run or sweep folder holds and returns the few rows its plot
draws, in display units: prices in USD per GPU-hour, money in USD, quantities in
contracts, times as ``datetime64[ns]`` (UTC) or dates. Plots (``sim.experiments.report``)
only draw these frames, so the tests check the numbers here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from exchange.product_spec import DEFAULT_PRODUCTS

USD = 1_000_000
FINAL_TIER = 6
LAYERS = (
    "defaulter_margin",
    "defaulter_fund",
    "ccp_capital",
    "survivors_fund",
    "assessments",
    "uncovered",
)


@dataclass
class RunData:
    """A run folder's tables (by name) and summary."""

    folder: Path
    tables: dict[str, pa.Table]
    summary: dict[str, Any]


def load_run(folder: str | Path) -> RunData:
    """Read every ``*.parquet`` table and ``summary.json`` of a run folder."""
    root = Path(folder)
    tables = {p.stem: pq.read_table(p) for p in sorted(root.glob("*.parquet"))}
    summary = json.loads((root / "summary.json").read_text())
    return RunData(root, tables, summary)


def _unit_usd(product: str) -> float:
    spec = DEFAULT_PRODUCTS.get(product)
    return (spec.price_unit_micros if spec else 10_000) / USD


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def _frame(columns: dict[str, list[Any]], types: dict[str, pa.DataType]) -> pa.Table:
    return pa.table({k: pa.array(v, type=types[k]) for k, v in columns.items()})


# ------------------------------------------------------------------ one run
def prices_vs_index(run: RunData) -> pa.Table:
    """Mid price of each traded tenor at every two-sided top-of-book sample, and the
    daily index print: columns ``product``, ``series`` (``M0``, ``M1``, … or
    ``index``), ``ts`` (datetime64 ns), ``price_usd``."""
    cols: dict[str, list[Any]] = {"product": [], "series": [], "ts": [], "price_usd": []}
    for r in _rows(run.tables["book_top"]):
        if r["bid"] and r["ask"]:
            cols["product"].append(r["product"])
            cols["series"].append(f"M{r['months_ahead']}")
            cols["ts"].append(r["ts"])
            cols["price_usd"].append((r["bid"] + r["ask"]) / 2 * _unit_usd(r["product"]))
    seen: set[tuple[str, date]] = set()
    opens: dict[date, int] = {}
    for r in _rows(run.tables["book_top"]):
        opens.setdefault(r["day"], r["ts"])
        opens[r["day"]] = min(opens[r["day"]], r["ts"])
    for r in _rows(run.tables["settlements"]):
        if r["tier"] == FINAL_TIER or (r["product"], r["day"]) in seen:
            continue
        seen.add((r["product"], r["day"]))
        for ts in (opens.get(r["day"], r["ts"]), r["ts"]):
            cols["product"].append(r["product"])
            cols["series"].append("index")
            cols["ts"].append(ts)
            cols["price_usd"].append(r["index_micros"] / USD)
    return _frame(
        cols,
        {"product": pa.string(), "series": pa.string(), "ts": pa.timestamp("ns"),
         "price_usd": pa.float64()},
    )  # fmt: skip


def forward_curves(run: RunData) -> pa.Table:
    """Daily settlement of every listed month: ``product``, ``day``, ``months_ahead``,
    ``instrument``, ``price_usd`` (final settlements left out)."""
    cols: dict[str, list[Any]] = {
        "product": [], "day": [], "months_ahead": [], "instrument": [], "price_usd": [],
    }  # fmt: skip
    for r in _rows(run.tables["settlements"]):
        if r["tier"] == FINAL_TIER:
            continue
        cols["product"].append(r["product"])
        cols["day"].append(r["day"])
        cols["months_ahead"].append(r["months_ahead"])
        cols["instrument"].append(r["instrument"])
        cols["price_usd"].append(r["price_micros"] / USD)
    return _frame(
        cols,
        {"product": pa.string(), "day": pa.date32(), "months_ahead": pa.int64(),
         "instrument": pa.string(), "price_usd": pa.float64()},
    )  # fmt: skip


def spread_depth_by_tenor(run: RunData) -> pa.Table:
    """Per product and tenor: top-of-book samples, share two-sided, mean spread (bps of
    the mid and USD per GPU-hour, two-sided samples) and mean depth (contracts, mean
    of best bid and ask quantity)."""
    by: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in _rows(run.tables["book_top"]):
        by[(r["product"], r["months_ahead"])].append(r)
    cols: dict[str, list[Any]] = {
        "product": [], "months_ahead": [], "samples": [], "two_sided_share": [],
        "spread_bps": [], "spread_usd": [], "depth": [],
    }  # fmt: skip
    for (product, m), xs in sorted(by.items()):
        two = [x for x in xs if x["bid"] and x["ask"]]
        bps = [(x["ask"] - x["bid"]) / ((x["ask"] + x["bid"]) / 2) * 1e4 for x in two]
        usd = [(x["ask"] - x["bid"]) * _unit_usd(product) for x in two]
        cols["product"].append(product)
        cols["months_ahead"].append(m)
        cols["samples"].append(len(xs))
        cols["two_sided_share"].append(len(two) / len(xs))
        cols["spread_bps"].append(float(np.mean(bps)) if bps else None)
        cols["spread_usd"].append(float(np.mean(usd)) if usd else None)
        cols["depth"].append(float(np.mean([(x["bid_qty"] + x["ask_qty"]) / 2 for x in xs])))
    return _frame(
        cols,
        {"product": pa.string(), "months_ahead": pa.int64(), "samples": pa.int64(),
         "two_sided_share": pa.float64(), "spread_bps": pa.float64(),
         "spread_usd": pa.float64(), "depth": pa.float64()},
    )  # fmt: skip


def daily_volume(run: RunData) -> pa.Table:
    """Contracts traded per day and tenor: ``day``, ``months_ahead``, ``contracts``."""
    by: dict[tuple[date, int], int] = defaultdict(int)
    for r in _rows(run.tables["trades"]):
        by[(r["day"], r["months_ahead"])] += r["qty"]
    keys = sorted(by)
    return _frame(
        {"day": [k[0] for k in keys], "months_ahead": [k[1] for k in keys],
         "contracts": [by[k] for k in keys]},
        {"day": pa.date32(), "months_ahead": pa.int64(), "contracts": pa.int64()},
    )  # fmt: skip


def daily_open_interest(run: RunData) -> pa.Table:
    """Long open interest after each day's cycle, all contracts: ``day``,
    ``open_interest`` (contracts)."""
    by: dict[date, int] = defaultdict(int)
    for r in _rows(run.tables["settlements"]):
        if r["tier"] != FINAL_TIER:
            by[r["day"]] += r["open_interest"]
    days = sorted(by)
    return _frame(
        {"day": days, "open_interest": [by[d] for d in days]},
        {"day": pa.date32(), "open_interest": pa.int64()},
    )


def hedger_pnl(run: RunData) -> pa.Table | None:
    """Each hedger's cumulative P&L (USD) by day, unhedged and hedged: ``agent``,
    ``day``, ``unhedged_usd``, ``hedged_usd``; ``None`` when the run folder has no
    ``hedger_pnl`` table (runs written by ``flopex run``)."""
    table = run.tables.get("hedger_pnl")
    if table is None:
        return None
    cols: dict[str, list[Any]] = {"agent": [], "day": [], "unhedged_usd": [], "hedged_usd": []}
    totals: dict[str, tuple[int, int]] = {}
    for r in sorted(_rows(table), key=lambda r: (r["agent"], r["day"])):
        u, h = totals.get(r["agent"], (0, 0))
        u, h = u + r["unhedged"], h + r["hedged"]
        totals[r["agent"]] = (u, h)
        cols["agent"].append(r["agent"])
        cols["day"].append(r["day"])
        cols["unhedged_usd"].append(u / USD)
        cols["hedged_usd"].append(h / USD)
    return _frame(
        cols,
        {"agent": pa.string(), "day": pa.date32(), "unhedged_usd": pa.float64(),
         "hedged_usd": pa.float64()},
    )  # fmt: skip


def hedger_pnl_dispersion(run: RunData) -> pa.Table:
    """Per hedger, the standard deviation of daily P&L (USD) unhedged and hedged, from
    the summary's ``hedge_effectiveness``."""
    by = run.summary["hedge_effectiveness"]["by_hedger"]
    names = sorted(by)
    return _frame(
        {"agent": names,
         "std_unhedged_usd": [(by[n]["std_unhedged_micros"] or 0) / USD for n in names],
         "std_hedged_usd": [(by[n]["std_hedged_micros"] or 0) / USD for n in names],
         "variance_reduction": [by[n]["variance_reduction"] for n in names]},
        {"agent": pa.string(), "std_unhedged_usd": pa.float64(),
         "std_hedged_usd": pa.float64(), "variance_reduction": pa.float64()},
    )  # fmt: skip


def margin_calls_by_day(run: RunData) -> pa.Table:
    """Margin calls per day: ``day``, ``issued`` (calls), ``called_usd`` (amount
    called), ``defaulted`` (calls that ended in default)."""
    issued: dict[date, int] = defaultdict(int)
    called: dict[date, int] = defaultdict(int)
    defaulted: dict[date, int] = defaultdict(int)
    for r in _rows(run.tables["margin_calls"]):
        if r["status"] == "issued":
            issued[r["day"]] += 1
            called[r["day"]] += r["amount"]
        elif r["status"] == "defaulted":
            defaulted[r["day"]] += 1
    days = sorted(set(issued) | set(defaulted))
    return _frame(
        {"day": days, "issued": [issued[d] for d in days],
         "called_usd": [called[d] / USD for d in days],
         "defaulted": [defaulted[d] for d in days]},
        {"day": pa.date32(), "issued": pa.int64(), "called_usd": pa.float64(),
         "defaulted": pa.int64()},
    )  # fmt: skip


def default_losses(run: RunData) -> pa.Table:
    """Each defaulter's loss by waterfall layer (USD): ``agent``, ``loss_usd`` and one
    column per layer (``defaulter_margin_usd`` … ``uncovered_usd``)."""
    rows = _rows(run.tables["defaults"])
    cols: dict[str, list[Any]] = {"agent": [r["agent"] for r in rows]}
    cols["loss_usd"] = [r["loss"] / USD for r in rows]
    types: dict[str, pa.DataType] = {"agent": pa.string(), "loss_usd": pa.float64()}
    for layer in LAYERS:
        cols[f"{layer}_usd"] = [r[layer] / USD for r in rows]
        types[f"{layer}_usd"] = pa.float64()
    return _frame(cols, types)


# ------------------------------------------------------------------ a sweep
@dataclass
class SweepData:
    """A sweep folder: ``runs.parquet`` and the sweep's description (``sweep.json``)."""

    folder: Path
    runs: pa.Table
    sweep: dict[str, Any]


def load_sweep_dir(folder: str | Path) -> SweepData:
    """Read a sweep folder's merged table and description."""
    root = Path(folder)
    return SweepData(
        root, pq.read_table(root / "runs.parquet"), json.loads((root / "sweep.json").read_text())
    )


def metric_vs_parameter(runs: pa.Table, param: str, metric: str, others: list[str]) -> pa.Table:
    """Across seeds, ``metric`` at each value of ``param`` (finished runs only), one
    group per combination of the ``others`` parameters: ``group`` (a label),
    ``value``, ``n`` (seeds with a value), ``mean``, ``min``, ``max``, ``q25``, ``q75``.
    Money metrics (``…_micros``) are converted to USD. Rows are sorted by group, then
    value."""
    scale = 1 / USD if metric.endswith("_micros") else 1.0
    rows = [r for r in runs.to_pylist() if r.get("status") == "ok"]
    by: dict[tuple[str, Any], list[float]] = defaultdict(list)
    for r in rows:
        label = ", ".join(f"{k} = {r.get(k)}" for k in others)
        x = r.get(metric)
        by.setdefault((label, r.get(param)), [])
        if x is not None and not (isinstance(x, float) and np.isnan(x)):
            by[(label, r.get(param))].append(float(x) * scale)
    cols: dict[str, list[Any]] = {
        "group": [], "value": [], "n": [], "mean": [], "min": [], "max": [], "q25": [],
        "q75": [],
    }  # fmt: skip
    for (label, value), xs in sorted(by.items(), key=lambda kv: (kv[0][0], _sort_key(kv[0][1]))):
        a = np.array(xs)
        cols["group"].append(label)
        cols["value"].append(value)
        cols["n"].append(len(xs))
        for name, fn in (("mean", np.mean), ("min", np.min), ("max", np.max)):
            cols[name].append(float(fn(a)) if len(a) else None)
        cols["q25"].append(float(np.quantile(a, 0.25)) if len(a) else None)
        cols["q75"].append(float(np.quantile(a, 0.75)) if len(a) else None)
    value_type = runs.schema.field(param).type if param in runs.schema.names else pa.string()
    types = {"group": pa.string(), "value": value_type, "n": pa.int64()}
    types.update(dict.fromkeys(("mean", "min", "max", "q25", "q75"), pa.float64()))
    return _frame(cols, types)


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def run_status(runs: pa.Table) -> pa.Table:
    """Runs that did not finish: ``run_id``, ``seed``, ``error``."""
    rows = [r for r in runs.to_pylist() if r.get("status") != "ok"]
    return _frame(
        {"run_id": [r["run_id"] for r in rows], "seed": [r["seed"] for r in rows],
         "error": [r.get("error") or "" for r in rows]},
        {"run_id": pa.string(), "seed": pa.int64(), "error": pa.string()},
    )  # fmt: skip
