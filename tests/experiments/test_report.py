"""Reports: the data behind each plot agrees with the run's tables and summary, the
PNGs render, the HTML is self-contained."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.experiments import report
from sim.experiments import report_data as rd
from sim.experiments.runner import hedger_pnl
from sim.experiments.sweep import write_runs_table
from sim.results import SCHEMAS
from sim.scenario import load_scenario
from sim.simulation import Simulation
from tests.experiments.conftest import TINY

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    sim = Simulation(load_scenario(TINY).with_overrides(days=3))
    results = sim.run()
    results.write(out)
    pq.write_table(hedger_pnl(sim), out / "hedger_pnl.parquet")
    return out


def test_spread_and_depth_by_tenor_agree_with_the_summary(run_dir: Path) -> None:
    run = rd.load_run(run_dir)
    frame = rd.spread_depth_by_tenor(run).to_pylist()
    summary = run.summary["spread_and_depth_by_tenor"]
    assert [r["months_ahead"] for r in frame] == [int(m) for m in summary]
    for r in frame:
        s = summary[str(r["months_ahead"])]
        assert r["samples"] == s["samples"]
        assert r["spread_bps"] == pytest.approx(s["mean_spread_bps"], abs=0.01)
        assert r["depth"] == pytest.approx((s["mean_bid_qty"] + s["mean_ask_qty"]) / 2, abs=1e-3)


def test_volume_and_open_interest_add_up_to_the_summary(run_dir: Path) -> None:
    run = rd.load_run(run_dir)
    volume = rd.daily_volume(run)
    assert sum(volume.column("contracts").to_pylist()) == run.summary["volume"]["contracts"]
    oi = rd.daily_open_interest(run).to_pylist()
    expected = run.summary["open_interest"]["total_by_day"]
    assert {r["day"].isoformat(): r["open_interest"] for r in oi} == expected


def test_prices_are_mids_in_usd_and_the_index_is_the_daily_print(run_dir: Path) -> None:
    run = rd.load_run(run_dir)
    frame = rd.prices_vs_index(run).to_pylist()
    tops = [r for r in run.tables["book_top"].to_pylist() if r["bid"] and r["ask"]]
    mids = [r for r in frame if r["series"] != "index"]
    assert len(mids) == len(tops)
    assert mids[0]["price_usd"] == pytest.approx((tops[0]["bid"] + tops[0]["ask"]) / 2 / 100)
    index = {r["price_usd"] for r in frame if r["series"] == "index"}
    prints = {r["index_micros"] / 1e6 for r in run.tables["settlements"].to_pylist()}
    assert index == prints


def test_the_forward_curve_has_every_listed_month_each_day(run_dir: Path) -> None:
    curves = rd.forward_curves(rd.load_run(run_dir)).to_pylist()
    days = sorted({r["day"] for r in curves})
    assert len(days) == 3
    assert sorted(r["months_ahead"] for r in curves if r["day"] == days[0]) == [0, 1, 2]


def test_hedged_and_unhedged_pnl_match_the_summarys_dispersion(run_dir: Path) -> None:
    run = rd.load_run(run_dir)
    cumulative = rd.hedger_pnl(run)
    assert cumulative is not None
    daily = run.tables["hedger_pnl"].to_pylist()
    by = run.summary["hedge_effectiveness"]["by_hedger"]
    for agent, s in by.items():
        u = [r["unhedged"] for r in daily if r["agent"] == agent]
        h = [r["hedged"] for r in daily if r["agent"] == agent]
        assert float(np.std(u)) == pytest.approx(s["std_unhedged_micros"], abs=1)
        assert float(np.std(h)) == pytest.approx(s["std_hedged_micros"], abs=1)
        last = [r for r in cumulative.to_pylist() if r["agent"] == agent][-1]
        assert last["hedged_usd"] == pytest.approx(sum(h) / 1e6)


def test_default_losses_are_split_by_layer_in_usd(tmp_path: Path) -> None:
    names = [n for n, _ in SCHEMAS["defaults"]]
    row = dict.fromkeys(names, 0) | {
        "agent": "levered-1", "reason": "x", "resolved": True, "loss": 5_000_000,
        "defaulter_margin": 1_000_000, "defaulter_fund": 2_500_000, "ccp_capital": 1_500_000,
    }  # fmt: skip
    table = pa.table({n: pa.array([row[n]], type=t) for n, t in SCHEMAS["defaults"]})
    run = rd.RunData(tmp_path, {"defaults": table}, {})
    out = rd.default_losses(run).to_pylist()[0]
    assert out["loss_usd"] == 5.0
    assert [out[f"{x}_usd"] for x in rd.LAYERS] == [1.0, 2.5, 1.5, 0.0, 0.0, 0.0]


def test_metric_vs_parameter_gives_mean_and_band_across_seeds() -> None:
    runs = pa.table({
        "status": ["ok", "ok", "ok", "ok", "error"],
        "x": [1, 1, 2, 2, 2],
        "y": ["a", "a", "a", "a", "a"],
        "m_micros": [1_000_000, 3_000_000, 2_000_000, 2_000_000, None],
    })  # fmt: skip
    frame = rd.metric_vs_parameter(runs, "x", "m_micros", ["y"]).to_pylist()
    assert [(r["value"], r["n"], r["mean"], r["min"], r["max"]) for r in frame] == [
        (1, 2, 2.0, 1.0, 3.0),
        (2, 2, 2.0, 2.0, 2.0),
    ]
    assert frame[0]["group"] == "y = a"


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(d) for d in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_a_run_report_embeds_every_plot_as_a_png(run_dir: Path, tmp_path: Path) -> None:
    path = report.write_report(run_dir, tmp_path / "r.html")
    html = path.read_text()
    images = _images(html)
    assert len(images) >= 6 and all(i.startswith(PNG) and len(i) > 5_000 for i in images)
    assert "http" not in html.replace("http-equiv", "")  # nothing fetched from elsewhere
    for title in ("Forward curve", "Spread and depth", "Volume and open interest",
                  "Hedgers", "Margin calls"):  # fmt: skip
        assert title in html


def test_a_sweep_report_plots_each_metric_against_each_parameter(tmp_path: Path) -> None:
    rows = [
        {"run_id": f"r{i}", "point": i // 2, "k": i // 2, "seed": i % 2 + 1, "status": "ok",
         "error": "", "elapsed_s": 1.0, "contracts": 10 * i, "spread_bps_m0": 100.0 - i,
         "margin_calls_issued": 0}
        for i in range(4)
    ]  # fmt: skip
    rows.append({"run_id": "r4", "point": 2, "k": 2, "seed": 1, "status": "error",
                 "error": "RuntimeError: boom", "elapsed_s": 0.1})  # fmt: skip
    write_runs_table(tmp_path / "runs.parquet", rows, ["k"])
    sweep = {"name": "s", "scenario": "tiny", "keys": ["k"], "seeds": [1, 2],
             "points": [{"k": 0}, {"k": 1}, {"k": 2}],
             "metrics": ["contracts", "spread_bps_m0", "margin_calls_issued", "nothing"]}  # fmt: skip
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))
    html = report.write_report(tmp_path, tmp_path / "s.html").read_text()
    assert len(_images(html)) == 2  # a metric equal in every run is said, not plotted
    assert "The same in every run (not plotted): margin_calls_issued = 0." in html
    assert "RuntimeError: boom" in html and "No runs reported: nothing" in html


def test_flopex_report_refuses_a_folder_that_is_neither(tmp_path: Path) -> None:
    from flopex.cli import main

    assert main(["report", str(tmp_path)]) == 2


def test_a_run_whose_hedgers_did_not_move_gets_a_note_not_empty_axes(
    run_dir: Path, tmp_path: Path
) -> None:
    flat = tmp_path / "flat"
    shutil.copytree(run_dir, flat)
    table = pq.read_table(flat / "hedger_pnl.parquet")
    zeros = {
        name: pa.array([0.0] * table.num_rows, type=table.schema.field(name).type)
        if name.endswith("_usd")
        else table.column(name)
        for name in table.column_names
    }
    pq.write_table(pa.table(zeros), flat / "hedger_pnl.parquet")
    summary = json.loads((flat / "summary.json").read_text())
    for row in summary["hedge_effectiveness"]["by_hedger"].values():
        row["std_unhedged_micros"] = row["std_hedged_micros"] = 0
    (flat / "summary.json").write_text(json.dumps(summary))
    with_pnl = report.run_report(run_dir)
    without = report.run_report(flat)
    assert "did not move" in without and "did not move" not in with_pnl
    assert len(_images(without)) < len(_images(with_pnl))
