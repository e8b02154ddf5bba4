"""Scenario files: the shipped ones load, and every mistake names its key (docs/scenarios.md)."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import (
    AGENT_KINDS,
    ScenarioError,
    load_scenario,
    parse_scenario,
    shipped_scenarios,
)
from tests.sim.run_kit import tiny_raw

SHIPPED = [
    "baseline", "demand-spike", "generation-launch", "gpu-glut", "margin-spiral", "stylized-facts",
]  # fmt: skip


def test_the_five_shipped_scenarios_load_by_name_and_by_path() -> None:
    assert shipped_scenarios() == SHIPPED
    root = Path(__file__).resolve().parents[2] / "sim" / "scenarios"
    for name in SHIPPED:
        by_name, by_path = load_scenario(name), load_scenario(root / f"{name}.toml")
        assert by_name.name == by_path.name == name
        assert by_name.agents == by_path.agents and by_name.days == by_path.days
        assert by_name.description


def test_margin_spiral_schedules_a_crash_inside_its_run() -> None:
    s = load_scenario("margin-spiral")
    (shock,) = s.shocks
    assert shock.size < -0.3 and shock.factor == "long"
    assert s.start < shock.day <= s.trading_days()[-1]


def _set(raw: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = raw
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


_DELETE = object()


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("agents", 0, "gamma"), -1.0, "agents[0].gamma: must be positive"),
        (("agents", 0, "k"), 0, "agents[0].k: must be positive"),
        (("agents", 0, "gama"), 0.1, "agents[0].gama: unknown key"),
        (("agents", 0, "max_inventory"), 2.5, "agents[0].max_inventory: must be an integer"),
        (("agents", 0, "stop_free_fraction"), 0.9, "agents[0].stop_free_fraction: must not"),
        (("agents", 1, "hedge_ratio"), 1.5, "agents[1].hedge_ratio: must be between 0 and 1"),
        (("agents", 1, "on_margin_call"), "pray", "agents[1].on_margin_call: must be one of"),
        (("agents", 2, "products"), ["B200"], "agents[2].products[0]: 'B200' is not traded"),
        (("agents", 3, "kind"), "wizard", "agents[3].kind: must be one of"),
        (("agents", 6, "count"), "two", "agents[6].count: must be an integer"),
        (("agents", 6, "count"), 0, "agents[6].count: must be positive"),
        (("products", 0, "code"), "Z999", "products[0].code: must be one of"),
        (("products", 0, "months_traded"), 4, "products[0].months_traded: 4 is more than"),
        (("products", 0, "index"), {"annual_vol": -0.1}, "products[0].index.annual_vol: must"),
        (("products", 0, "index"), {"sticky_prob": 2}, "products[0].index.sticky_prob: must"),
        (("clearing", "margin_multiplier"), 0, "clearing.margin_multiplier: must be positive"),
        (("clearing", "close_out"), "lottery", "clearing.close_out: must be one of"),
        (("clearing", "stress_moves_bps"), [100, "x"], "clearing.stress_moves_bps[1]: must be"),
        (("output", "book_top_minutes"), -5, "output.book_top_minutes: must be positive"),
        (("days",), 0, "days: must be positive"),
        (("dayz",), 3, "dayz: unknown key"),
        (("start",), _DELETE, "start: missing"),
        (("start",), date(2026, 11, 15), "start: 2026-11-15 is not a business day"),
        (("start",), "16/11/2026", "start: not an ISO date"),
        (("seed",), -1, "seed: must be zero or more"),
        (("products",), [], "products: at least one"),
        (("agents",), [], "agents: at least one"),
    ],
)
def test_each_mistake_is_reported_with_the_path_of_its_key(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    raw = tiny_raw()
    _set(raw, path, value)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw)
    assert str(info.value).startswith(message), str(info.value)


@pytest.mark.parametrize(
    "shock, message",
    [
        ({"date": date(2026, 11, 21), "product": "H100", "size": -0.2},
         "shocks[0].date: 2026-11-21 is not a business day"),
        ({"date": date(2026, 11, 16), "product": "H100", "size": -0.2},
         "shocks[0].date: 2026-11-16 is outside the run"),
        ({"date": date(2026, 11, 17), "product": "A100", "size": -0.2},
         "shocks[0].product: 'A100' is not traded"),
        ({"date": date(2026, 11, 17), "product": "H100"}, "shocks[0].size: missing"),
        ({"date": date(2026, 11, 17), "product": "H100", "size": 0.1, "factor": "mid"},
         "shocks[0].factor: must be one of"),
    ],
)  # fmt: skip
def test_shock_mistakes_name_the_shock_and_key(shock: dict[str, Any], message: str) -> None:
    raw = tiny_raw()
    raw["shocks"] = [shock]
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw)
    assert str(info.value).startswith(message), str(info.value)


POSITIVE = sorted(
    (kind, key)
    for kind, cls in AGENT_KINDS.items()
    for key, spec in cls.params().items()
    if spec.check == "positive"
)


@settings(max_examples=60, deadline=None)
@given(
    choice=st.sampled_from(POSITIVE),
    value=st.one_of(
        st.integers(max_value=0), st.floats(max_value=0.0, allow_nan=False, allow_infinity=False)
    ),
    position=st.integers(min_value=0, max_value=3),
)
def test_a_non_positive_value_of_any_positive_agent_key_is_named(
    choice: tuple[str, str], value: float, position: int
) -> None:
    kind, key = choice
    raw = tiny_raw()
    raw["agents"][position] = {"kind": kind, key: value}
    spec = AGENT_KINDS[kind].params()[key]
    if spec.kind is int and isinstance(value, float):
        expected = f"agents[{position}].{key}: must be an integer"
    else:
        expected = f"agents[{position}].{key}: must be positive"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(copy.deepcopy(raw))
    assert str(info.value).startswith(expected)


def test_files_that_are_not_scenarios_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("days = [\n")
    with pytest.raises(ScenarioError, match=r"bad\.toml: not valid TOML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match=r"no shipped one .*baseline, demand-spike"):
        load_scenario("no-such-scenario")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.toml")


def test_overriding_the_duration_keeps_shocks_inside_the_run() -> None:
    s = load_scenario("margin-spiral")
    assert s.with_overrides(days=5).days == 5
    with pytest.raises(ScenarioError, match=r"shocks\[0\]\.date: .* after the last of 2"):
        s.with_overrides(days=2)
    with pytest.raises(ScenarioError, match="days: must be positive"):
        s.with_overrides(days=0)
