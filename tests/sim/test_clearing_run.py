"""The kernel over the whole pipeline with a clearing house (docs/simulation.md, "Clearing").

Determinism (same seed: same journal hash, state hash and table bytes; another seed:
another run), the trading calendar (expiry, final settlement, listing), variation
margin, and the margin-spiral scenario's default covered by the waterfall.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from clearing.records import CloseOutTrade, DefaultResolved, MarginCallRecord, Tier
from sim.agents.hedgers import AIBuyer
from sim.scenario import load_scenario
from sim.simulation import Simulation, run_scenario
from tests.sim.run_kit import tiny


def digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Simulation, dict[str, str]]]:
    out = []
    for i, seed in enumerate((5, 5, 6)):
        sim, results = run_scenario(tiny(), seed=seed)
        d = tmp_path_factory.mktemp(f"run{i}")
        results.write(d)
        out.append((sim, digests(d)))
    return out


def test_the_same_seed_gives_the_same_hashes_and_byte_identical_tables(twice) -> None:
    (a, da), (b, db), _ = twice
    assert a.journal_hash() == b.journal_hash()
    assert a.state_hash() == b.state_hash()
    assert da == db
    assert len(da) == 9


def test_another_seed_gives_another_run(twice) -> None:
    (a, da), _, (c, dc) = twice
    assert a.journal_hash() != c.journal_hash()
    assert a.state_hash() != c.state_hash()
    assert da["trades.parquet"] != dc["trades.parquet"]


def test_agents_trade_through_the_gate_and_the_house_books_every_trade(twice) -> None:
    sim, _ = twice[0]
    results = sim.recorder.results()
    trades = results.tables["trades"].to_pylist()
    assert len(trades) > 20
    accounts = {p.account for p in sim.participants}
    assert {t["aggressor_account"] for t in trades} <= accounts
    # every agent's position at the house equals the sum of its fills
    net: dict[tuple[int, str], int] = defaultdict(int)
    for t in trades:
        sign = 1 if t["aggressor_side"] == 0 else -1
        net[(t["aggressor_account"], t["instrument"])] += sign * t["qty"]
        net[(t["maker_account"], t["instrument"])] -= sign * t["qty"]
    cols = sim.house.cols.names
    for p in sim.participants:
        row = sim.house.position_row(p.account)
        for j, name in enumerate(cols):
            assert row[j] == net.get((p.account, name), 0)
            assert p.agent.position.get(name, 0) == row[j]


def test_variation_margin_sums_to_zero_at_every_cycle(twice) -> None:
    sim, _ = twice[0]
    vm = sim.recorder.results().tables["variation_margin"].to_pylist()
    assert vm
    per_cycle: dict[int, int] = defaultdict(int)
    for r in vm:
        per_cycle[r["ts"]] += r["amount"]
    assert set(per_cycle.values()) == {0}


def test_a_run_across_an_expiry_settles_finally_and_lists_the_next_month() -> None:
    from datetime import date

    sim, results = run_scenario(tiny(start=date(2026, 11, 27), days=3))
    settles = results.tables["settlements"].to_pylist()
    final = [r for r in settles if r["tier"] == Tier.FINAL]
    assert [r["instrument"] for r in final] == ["H100-30NOV26"]
    index = sim.index["H100"]
    days = [d for d in index.days if d.month == 11 and d.year == 2026]
    mean_units = sum(index.units(d) for d in days) / len(days)
    assert final[0]["price_micros"] == round(mean_units * 10_000 / 100) * 100
    assert "H100-26FEB27" in sim.venue.slot_of  # listed at the November expiry
    last_day = [r["instrument"] for r in settles if r["day"] == date(2026, 12, 1)]
    assert last_day == ["H100-31DEC26", "H100-29JAN27", "H100-26FEB27"]
    mm = sim.participants[0].agent
    assert mm.curves["H100"] == ("H100-31DEC26", "H100-29JAN27")
    assert not any(k == "H100-30NOV26" for k in mm.position)


def test_agents_see_the_curve_index_and_settlements_each_day() -> None:
    sim, _ = run_scenario(tiny(days=2))
    agent = sim.participants[0].agent
    assert len(agent.index_history["H100"]) == 2
    assert agent.index_history["H100"] == [sim.index["H100"].units(d) for d in sim.days]
    assert set(agent.settle_history) >= {"H100-30NOV26", "H100-31DEC26"}
    assert agent.account is not None and agent.account.equity > 0
    assert agent.curves["H100"] == ("H100-30NOV26", "H100-31DEC26")
    assert agent.dte["H100-30NOV26"] == 9  # Tue 17 Nov: 9 business days to Mon 30 Nov


@pytest.fixture(scope="module")
def spiral() -> tuple[Simulation, object]:
    return run_scenario(load_scenario("margin-spiral"), days=5)


def test_the_margin_spiral_ends_in_a_default_covered_by_the_waterfall(spiral) -> None:
    sim, results = spiral
    resolved = [r for r in sim.house.records if isinstance(r, DefaultResolved)]
    assert resolved, "no default was resolved"
    for r in resolved:
        assert r.loss > 0 and r.covered == r.loss and r.uncovered == 0
    table = results.tables["defaults"].to_pylist()
    layers = ("defaulter_margin", "defaulter_fund", "ccp_capital", "survivors_fund",
              "assessments")  # fmt: skip
    done = [d for d in table if d["resolved"]]
    assert len(done) == len(resolved)
    for d in done:
        assert sum(d[k] for k in layers) == d["loss"]
        assert d["closed_out_contracts"] > 0
        assert d["agent"].startswith("levered-buyer")
    # the loss went past the defaulters' own margin into the mutualised layers
    assert sum(d["defaulter_fund"] + d["ccp_capital"] + d["survivors_fund"] for d in done) > 0
    assert any(isinstance(r, CloseOutTrade) for r in sim.house.records)
    sim.house.check_invariants()


def test_agents_learn_of_their_margin_calls_and_answer_them(spiral) -> None:
    sim, _ = spiral
    issued = {r.account for r in sim.house.records
              if isinstance(r, MarginCallRecord) and r.status == "issued"}  # fmt: skip
    assert issued
    for p in sim.participants:
        agent = p.agent
        if p.account in issued:
            assert agent.calls >= 1
            if isinstance(agent, AIBuyer):  # "pay" with a $1,000 reserve: all of it
                assert agent.paid == 1_000_000_000 and agent.reserve == 0
                assert agent.defaulted
        else:
            assert agent.calls == 0
    calls = [r for r in sim.house.records if isinstance(r, MarginCallRecord)]
    paid = [r for r in calls if r.status == "paid"]
    assert paid and all(r.amount == 1_000_000_000 for r in paid)


def test_results_tables_have_integer_money_and_price_columns(spiral) -> None:
    _, results = spiral
    for name, table in results.tables.items():
        for field in table.schema:
            if field.name in ("price", "price_micros", "amount", "cash", "equity", "loss", "qty"):
                assert str(field.type) == "int64", (name, field.name)
    eq = results.tables["equity"].to_pylist()
    assert {r["state"] for r in eq} >= {"active", "in_default"}
    assert np.all(np.array([r["gross_position"] for r in eq]) >= 0)


def test_written_tables_round_trip(tmp_path: Path, spiral) -> None:
    _, results = spiral
    results.write(tmp_path)
    for name, table in results.tables.items():
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(table)


def spiral_with(answer: str, reserve_usd: float) -> tuple[Simulation, object]:
    """The margin spiral's first five days with the levered buyers answering ``answer``."""
    import tomllib
    from importlib import resources

    from sim.scenario import parse_scenario

    text = (resources.files("sim") / "scenarios" / "margin-spiral.toml").read_text()
    raw = tomllib.loads(text)
    raw["agents"][1].update(on_margin_call=answer, reserve_usd=reserve_usd)
    return run_scenario(parse_scenario(raw), days=5)


@pytest.mark.parametrize("answer", ["reduce", "ignore"])
def test_reducing_avoids_the_default_and_ignoring_ends_in_one(answer: str) -> None:
    sim, results = spiral_with(answer, 200_000.0)
    buyers = [p for p in sim.participants if p.agent.name.startswith("levered-buyer")]
    calls = [r for r in sim.house.records if isinstance(r, MarginCallRecord)]
    equity = results.tables["equity"].to_pylist()
    for p in buyers:
        mine = [r for r in calls if r.account == p.account]
        assert mine and mine[0].status == "issued"
        statuses = {str(r.status) for r in mine}
        gross = [r["gross_position"] for r in equity if r["account"] == p.account]
        if answer == "reduce":  # paid in full, flattened, never defaulted
            assert "defaulted" not in statuses and "paid" in statuses
            assert p.agent.paid == sum(r.amount for r in mine if r.status == "issued")
            assert gross[-1] < max(gross) and not p.agent.defaulted
        else:  # nothing paid: default at the deadline, closed out by the house
            assert statuses == {"issued", "defaulted"}
            assert p.agent.defaulted and gross[-1] == 0


@pytest.mark.parametrize("name", ["demand-spike", "gpu-glut", "generation-launch", "baseline"])
def test_each_shipped_scenario_runs_and_its_market_follows_the_shock(name: str) -> None:
    import math

    scenario = load_scenario(name)
    days = scenario.trading_days()
    n = days.index(scenario.shocks[0].day) + 2 if scenario.shocks else 3
    sim, results = run_scenario(scenario, days=n)
    assert results.tables["trades"].num_rows > 0
    for shock in scenario.shocks:
        index = sim.index[shock.product]
        before = sim.calendar_day_before(shock.day)
        jump = math.log(index.units(shock.day) / index.units(before))
        assert abs(jump - shock.size) < 0.08  # the shock plus one day's noise
        settles = {
            (r["day"], r["months_ahead"]): r["price_micros"]
            for r in results.tables["settlements"].to_pylist()
            if r["product"] == shock.product
        }
        after = sim.days[-1]
        moved = math.log(settles[(after, 0)] / settles[(before, 0)])
        assert moved * shock.size > 0 and abs(moved) > abs(shock.size) / 3, (moved, shock.size)
    if name == "generation-launch":  # B200 is not shocked: it moves far less than H100
        b200 = [r["price_micros"] for r in results.tables["settlements"].to_pylist()
                if r["product"] == "B200" and r["months_ahead"] == 0]  # fmt: skip
        assert abs(math.log(b200[-1] / b200[0])) < 0.1
