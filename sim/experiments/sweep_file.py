"""Sweep files: a base scenario, a grid or list of overrides by dotted key, and seeds.

```toml
name = "second-market-maker"
scenario = "baseline"          # a shipped scenario's name, or a path (relative to this file)
seeds = 4                      # seeds 1 … 4, or a list: [7, 8, 9]
days = 10                      # optional: replaces the scenario's days

[grid]                         # every combination (a cartesian product) …
"agents[0].count" = [1, 2, 3]  # keys with [i] are quoted; plain dotted keys need no quotes
clearing.margin_multiplier = [1.0, 1.5]

# … or an explicit list of points instead of [grid]:
# [[points]]
# "agents[0].count" = 1

[report]
metrics = ["spread_bps_m2", "depth_m2"]   # plotted against each parameter
```

``load_sweep(path)`` reads and validates one: every point is applied to the base
scenario and checked by the scenario loader before anything runs, so a mistake is
reported with its key (``grid: agents[0].count = 0: agents[0].count: must be
positive, got 0``). ``Sweep.runs()`` lists the runs, points × seeds, each with a
deterministic id from its parameters and seed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sim.experiments.overrides import parse_key, resolve
from sim.scenario import ScenarioError, load_scenario

#: Largest number of runs a sweep may list (points × seeds).
MAX_RUNS = 100_000

#: Metrics a sweep report plots when the file names none.
DEFAULT_METRICS = (
    "spread_bps_m0",
    "spread_bps_m1",
    "spread_bps_m2",
    "depth_m2",
    "contracts",
    "hedge_variance_reduction",
    "margin_calls_issued",
    "default_loss_micros",
    "default_fund_used_micros",
)

TOP_KEYS = ("name", "description", "scenario", "seeds", "days", "grid", "points", "report")


class SweepError(ScenarioError):
    """A sweep file is unreadable or invalid; the message names the bad key."""


@dataclass(frozen=True)
class RunSpec:
    """One run: parameter point ``point`` (values by dotted key) with ``seed``.

    ``doc`` is the resolved scenario document (overrides, seed and days applied);
    ``spec_hash`` a SHA-256 over it, so a finished run is reused only for the same
    scenario.
    """

    run_id: str
    point: int
    params: Mapping[str, Any]
    seed: int
    doc: Mapping[str, Any]
    spec_hash: str
    scenario_name: str


@dataclass(frozen=True)
class Sweep:
    """A validated sweep file (see the module docstring)."""

    name: str
    description: str
    scenario: str
    keys: tuple[str, ...]
    points: tuple[Mapping[str, Any], ...]
    seeds: tuple[int, ...]
    days: int | None
    metrics: tuple[str, ...]
    base: Mapping[str, Any] = field(default_factory=dict)
    scenario_name: str = ""
    source: str = ""

    def runs(self) -> list[RunSpec]:
        """Return every run, point by point, seed by seed."""
        out = []
        for i, params in enumerate(self.points):
            for seed in self.seeds:
                overrides = dict(params)
                overrides["seed"] = seed
                if self.days is not None:
                    overrides.setdefault("days", self.days)
                doc, _ = _resolve(self.base, overrides, self.scenario_name)
                out.append(
                    RunSpec(
                        run_id=run_id(params, seed),
                        point=i,
                        params=dict(params),
                        seed=seed,
                        doc=doc,
                        spec_hash=_digest(doc),
                        scenario_name=self.scenario_name,
                    )
                )
        return out

    def describe(self) -> dict[str, Any]:
        """Return the sweep as plain JSON data (written to ``sweep.json``)."""
        return {
            "name": self.name,
            "description": self.description,
            "scenario": self.scenario,
            "scenario_name": self.scenario_name,
            "keys": list(self.keys),
            "points": [dict(p) for p in self.points],
            "seeds": list(self.seeds),
            "days": self.days,
            "metrics": list(self.metrics),
            "source": self.source,
        }


def run_id(params: Mapping[str, Any], seed: int) -> str:
    """Return the folder name of a run: a hash of its parameters, then its seed."""
    text = json.dumps(dict(params), sort_keys=True, default=str)
    return f"p{hashlib.sha256(text.encode()).hexdigest()[:10]}-s{seed}"


def _digest(doc: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _resolve(
    base: Mapping[str, Any], overrides: Mapping[str, Any], name: str
) -> tuple[dict[str, Any], Any]:
    overrides = dict(overrides)
    seed = overrides.pop("seed", None)
    doc = dict(base)
    if seed is not None:
        doc["seed"] = seed
    return resolve(doc, overrides, name)


def shipped_sweeps() -> list[str]:
    """Return the names of the sweep files that ship with flopex."""
    root = resources.files("sim.experiments") / "sweeps"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def _flatten(path: str, table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten TOML dotted keys (``clearing.margin_multiplier`` parsed as nested tables)."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            out.update(_flatten(path, v, key))
        else:
            out[key] = v
    return out


def _check_key(where: str, key: str) -> None:
    try:
        parse_key(key)
    except ScenarioError as exc:
        raise SweepError(f"{where}.{exc}") from None


def load_sweep(source: str | Path) -> Sweep:
    """Read and validate a sweep file (a path, or a shipped sweep's name)."""
    path = Path(source)
    if not path.exists() and "/" not in str(source) and not str(source).endswith(".toml"):
        shipped = resources.files("sim.experiments") / "sweeps" / f"{source}.toml"
        if not shipped.is_file():
            names = ", ".join(shipped_sweeps())
            raise SweepError(f"no sweep file {source!r} and no shipped one (shipped: {names})")
        text, here = shipped.read_text(encoding="utf-8"), None
    else:
        try:
            text, here = path.read_text(encoding="utf-8"), path.resolve().parent
        except OSError as exc:
            raise SweepError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SweepError(f"{source}: not valid TOML: {exc}") from None
    sweep = parse_sweep(raw, here, default_name=Path(str(source)).stem)
    return dataclasses.replace(sweep, source=str(source))


def parse_sweep(raw: Mapping[str, Any], here: Path | None, default_name: str = "sweep") -> Sweep:
    """Validate a parsed sweep document; ``here`` is the folder relative paths start from."""
    for key in raw:
        if key not in TOP_KEYS:
            raise SweepError(f"{key}: unknown key (known: {', '.join(TOP_KEYS)})")
    name = raw.get("name", default_name)
    description = raw.get("description", "")
    if not isinstance(name, str) or not isinstance(description, str):
        raise SweepError("name, description: must be strings")
    scenario_src = raw.get("scenario")
    if not isinstance(scenario_src, str) or not scenario_src:
        raise SweepError("scenario: missing (a shipped scenario's name or a .toml path)")
    if here is not None and (here / scenario_src).exists():
        scenario_src = str(here / scenario_src)
    try:
        base = load_scenario(scenario_src)
    except ScenarioError as exc:
        raise SweepError(f"scenario: {exc}") from None

    seeds_raw = raw.get("seeds", 1)
    if isinstance(seeds_raw, bool) or not isinstance(seeds_raw, int | list):
        raise SweepError(f"seeds: must be a count or a list of seeds, got {seeds_raw!r}")
    if isinstance(seeds_raw, int):
        if seeds_raw < 1:
            raise SweepError(f"seeds: must be at least 1, got {seeds_raw}")
        seeds = tuple(range(1, seeds_raw + 1))
    else:
        if not seeds_raw or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds_raw
        ):
            raise SweepError(f"seeds: must be non-negative integers, got {seeds_raw!r}")
        if len(set(seeds_raw)) != len(seeds_raw):
            raise SweepError(f"seeds: appear twice in {seeds_raw!r}")
        seeds = tuple(seeds_raw)

    days = raw.get("days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise SweepError(f"days: must be a positive integer, got {days!r}")

    if "grid" in raw and "points" in raw:
        raise SweepError("grid, points: give one of them, not both")
    points: list[dict[str, Any]]
    if "grid" in raw:
        if not isinstance(raw["grid"], Mapping):
            raise SweepError("grid: must be a table of key = [values]")
        grid = _flatten("grid", raw["grid"])
        for key, values in grid.items():
            _check_key("grid", key)
            if not isinstance(values, list) or not values:
                raise SweepError(f"grid.{key}: must be a non-empty list of values")
        keys = tuple(grid)
        points = [
            dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())
        ]
        where = "grid"
    elif "points" in raw:
        if not isinstance(raw["points"], list) or not raw["points"]:
            raise SweepError("points: must be an array of tables ([[points]])")
        points = []
        for j, p in enumerate(raw["points"]):
            if not isinstance(p, Mapping):
                raise SweepError(f"points[{j}]: must be a table")
            points.append(_flatten(f"points[{j}]", p))
        keys = tuple(dict.fromkeys(k for p in points for k in p))
        where = "points"
    else:
        points, keys, where = [{}], (), "scenario"
    if len(points) * len(seeds) > MAX_RUNS:
        raise SweepError(f"{where}: {len(points) * len(seeds)} runs, more than {MAX_RUNS}")

    base_doc = dict(base.raw)
    for j, params in enumerate(points):
        for key in params:
            _check_key(where if where != "points" else f"points[{j}]", key)
        overrides = dict(params)
        if days is not None:
            overrides.setdefault("days", days)
        try:
            _resolve(base_doc, overrides, base.name)
        except ScenarioError as exc:
            label = ", ".join(f"{k} = {v!r}" for k, v in params.items())
            at = f"points[{j}]" if where == "points" else where
            raise SweepError(f"{at}: {label or 'base scenario'}: {exc}") from None

    report = raw.get("report", {})
    if not isinstance(report, Mapping) or any(k != "metrics" for k in report):
        raise SweepError("report: a table with one key, metrics")
    metrics = report.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise SweepError("report.metrics: must be a list of metric names")
    return Sweep(
        name=name,
        description=description.strip(),
        scenario=str(raw["scenario"]),
        keys=keys,
        points=tuple(points),
        seeds=seeds,
        days=days,
        metrics=tuple(metrics),
        base=base_doc,
        scenario_name=base.name,
    )
