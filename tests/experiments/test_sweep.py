"""Sweeps: the file format and its errors, runs on a local Dask cluster, the merged
table, resuming, failed runs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import cloudpickle
import pyarrow.parquet as pq
import pytest

from sim.experiments import runner
from sim.experiments.sweep import run_sweep
from sim.experiments.sweep_file import SweepError, load_sweep, run_id, shipped_sweeps
from tests.experiments.conftest import write_sweep

GRID = 'seeds = 2\ndays = 1\n[grid]\n"agents[2].count" = [1, 2]\n'


def test_a_grid_lists_every_point_times_every_seed_with_stable_ids(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, GRID + "clearing.margin_multiplier = [1.0, 2.0]\n"))
    runs = sweep.runs()
    assert sweep.keys == ("agents[2].count", "clearing.margin_multiplier")
    assert len(runs) == 2 * 2 * 2
    assert runs[0].params == {"agents[2].count": 1, "clearing.margin_multiplier": 1.0}
    assert [r.seed for r in runs[:2]] == [1, 2]
    assert runs[0].run_id == run_id(runs[0].params, 1) == load_sweep(sweep.source).runs()[0].run_id
    assert runs[0].doc["agents"][2]["count"] == 1
    assert runs[0].doc["clearing"]["margin_multiplier"] == 1.0
    assert len({r.run_id for r in runs}) == len(runs)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[grid]\n"agents[2].count" = [1, 0]\n', "agents[2].count: must be positive, got 0"),
        ('[grid]\n"agents[9].count" = [1]\n', "agents[9] does not exist"),
        (
            "[grid]\nclearing.margin_multiplierx = [1.0]\n",
            "clearing.margin_multiplierx: unknown key",
        ),
        ('[grid]\n"shocks[0].size" = [-0.2]\n', "no [[shocks]] tables"),
        ("[grid]\nseed = [1, 2]\n", "seed: set by the sweep's seeds"),
        ('[grid]\n"agents[0].gamma" = []\n', "grid.agents[0].gamma: must be a non-empty list"),
        ("seeds = 0\n", "seeds: must be at least 1"),
        ("colour = 1\n", "colour: unknown key"),
    ],
)
def test_a_bad_sweep_file_is_refused_naming_the_key(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(SweepError, match=None) as info:
        load_sweep(write_sweep(tmp_path, body))
    assert message in str(info.value)


def test_the_shipped_sweeps_load() -> None:
    assert {"second-market-maker", "crash-default-fund"} <= set(shipped_sweeps())
    assert load_sweep("crash-default-fund").keys == ("shocks[0].size",)
    assert len(load_sweep("second-market-maker").runs()) == 12


def test_a_sweep_on_a_local_cluster_merges_one_row_per_run(
    tmp_path: Path, dask_client: Any
) -> None:
    sweep = load_sweep(write_sweep(tmp_path, GRID))
    err = io.StringIO()
    result = run_sweep(sweep, tmp_path / "out", client=dask_client, stderr=err)
    table = pq.read_table(tmp_path / "out" / "runs.parquet")
    rows = table.to_pylist()
    assert [(r["agents[2].count"], r["seed"]) for r in rows] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert {r["status"] for r in rows} == {"ok"} and {r["error"] for r in rows} == {""}
    assert table.column_names[:4] == ["run_id", "point", "agents[2].count", "seed"]
    for r in rows:  # the row is the run's own summary, flattened
        summary = json.loads((tmp_path / "out" / "runs" / r["run_id"] / "summary.json").read_text())
        assert summary["seed"] == r["seed"]
        assert r["contracts"] == summary["volume"]["contracts"]
        assert r["spread_bps_m0"] == summary["spread_and_depth_by_tenor"]["0"]["mean_spread_bps"]
        assert (tmp_path / "out" / "runs" / r["run_id"] / runner.DONE).exists()
    # the same parameters and seed give the same run; another seed another
    assert rows[0]["commands"] != rows[1]["commands"] or rows[0]["trades"] != rows[1]["trades"]
    assert sorted(result.ran) == sorted(r["run_id"] for r in rows) and not result.skipped
    assert "4/4 runs" in err.getvalue() and "ETA" in err.getvalue()


def test_a_restarted_sweep_runs_only_the_unfinished_runs(tmp_path: Path, dask_client: Any) -> None:
    sweep = load_sweep(write_sweep(tmp_path, GRID))
    out = tmp_path / "out"
    first = run_sweep(sweep, out, client=dask_client, stderr=io.StringIO())
    before = pq.read_table(out / "runs.parquet").to_pylist()
    # an interruption: one run never wrote its marker, another was never started
    lost, unstarted = sweep.runs()[1].run_id, sweep.runs()[2].run_id
    (out / "runs" / lost / runner.DONE).unlink()
    for f in (out / "runs" / unstarted).iterdir():
        f.unlink()
    (out / "runs" / unstarted).rmdir()
    second = run_sweep(sweep, out, client=dask_client, stderr=io.StringIO())
    assert sorted(second.ran) == sorted([lost, unstarted])
    assert sorted(second.skipped) == sorted(set(first.ran) - {lost, unstarted})
    after = pq.read_table(out / "runs.parquet").to_pylist()
    strip = [{k: v for k, v in r.items() if k != "elapsed_s"} for r in before]
    assert [{k: v for k, v in r.items() if k != "elapsed_s"} for r in after] == strip


def explode_on_two(task: Any) -> runner.RunOutcome:
    """A worker function whose runs with agents[2].count = 2 raise."""
    if task.params["agents[2].count"] == 2:
        raise RuntimeError("worker lost its mind")
    return runner.execute(task)


def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path: Path, dask_client: Any) -> None:
    import tests.experiments.test_sweep as me

    cloudpickle.register_pickle_by_value(me)
    try:
        sweep = load_sweep(write_sweep(tmp_path, GRID.replace("seeds = 2", "seeds = 1")))
        result = run_sweep(sweep, tmp_path / "out", client=dask_client, run=explode_on_two,
                           stderr=io.StringIO())  # fmt: skip
    finally:
        cloudpickle.unregister_pickle_by_value(me)
    rows = pq.read_table(tmp_path / "out" / "runs.parquet").to_pylist()
    assert [r["status"] for r in rows] == ["ok", "error"]
    assert "RuntimeError: worker lost its mind" in rows[1]["error"]
    assert rows[1]["contracts"] is None and rows[0]["contracts"] is not None
    failed = tmp_path / "out" / "runs" / rows[1]["run_id"]
    assert (failed / runner.FAILED).exists() and not (failed / runner.DONE).exists()
    assert result.failed == [rows[1]["run_id"]]
    # a failed run is not finished: the next invocation runs it again
    again = run_sweep(sweep, tmp_path / "out", client=dask_client, stderr=io.StringIO())
    assert again.ran == [rows[1]["run_id"]] and again.failed == []


def test_a_run_that_raises_inside_the_simulation_is_an_error_outcome(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, GRID))
    task = sweep.runs()[0]
    broken = type(task)(**{**task.__dict__, "doc": {**task.doc, "agents": "nonsense"}})
    outcome = runner.execute(broken)
    assert outcome.status == "error" and "agents" in outcome.error and outcome.detail


def test_flopex_sweep_runs_on_an_existing_scheduler(
    tmp_path: Path, dask_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from flopex.cli import main

    path = write_sweep(tmp_path, GRID.replace("seeds = 2", "seeds = 1"))
    address = dask_client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--scheduler", address]) == 0
    out = capsys.readouterr().out
    assert "runs              2 (2 points x 1 seeds)" in out
    assert pq.read_table(tmp_path / "o" / "runs.parquet").num_rows == 2
    bad = write_sweep(tmp_path, '[grid]\n"agents[2].count" = [0]\n')
    assert main(["sweep", str(bad), "--out", str(tmp_path / "o2")]) == 2
    assert "agents[2].count: must be positive" in capsys.readouterr().err


def test_without_a_client_the_sweep_starts_and_closes_its_own_loopback_cluster(
    tmp_path: Path,
) -> None:
    sweep = load_sweep(write_sweep(tmp_path, "days = 1\n"))
    result = run_sweep(sweep, tmp_path / "out", workers=1, stderr=io.StringIO())
    assert [r["status"] for r in result.rows] == ["ok"]
    assert pq.read_table(tmp_path / "out" / "runs.parquet").num_rows == 1
