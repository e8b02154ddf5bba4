"""Scenario files (docs/scenario-format.md), game codes and the score formula
(docs/game-protocol.md, "Scoring"), without a server."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path
from typing import Any

import pytest

from gateway.game.codes import ALPHABET, LENGTH, is_code, new_code
from gateway.game.scenario import (
    ScenarioError,
    load_scenario,
    parse_scenario,
    scenario_names,
)
from gateway.game.scoring import score

INTRO = tomllib.loads(
    (Path(__file__).resolve().parents[2] / "gateway/game/scenarios/intro.toml").read_text()
)


def _with(path: str, value: Any) -> dict[str, Any]:
    """Return a deep copy of the intro scenario with ``path`` (dots, [i]) set or deleted."""
    data: Any = _copy(INTRO)
    keys = path.replace("[", ".").replace("]", "").split(".")
    node = data
    for k in keys[:-1]:
        node = node[int(k)] if k.isdigit() else node[k]
    last = keys[-1]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return dict(data)


def _copy(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_copy(v) for v in x]
    return x


_DELETE = object()


def test_the_shipped_scenarios_load_and_interleave_roles_by_weight() -> None:
    intro, glut = load_scenario("intro"), load_scenario("glut")

    assert {"intro", "glut"} <= set(scenario_names())
    assert [r.id for r in intro.roles] == ["neocloud", "ai_startup", "speculator"]
    assert len(intro.rounds) == 4 and sum(r.minutes for r in intro.rounds) <= 40
    assert glut.role_cycle() == [
        "neocloud", "lender", "ai_startup", "speculator", "neocloud", "ai_startup",
    ]  # fmt: skip
    assert glut.shocks["gpu_glut"].moves["A100"] < glut.shocks["gpu_glut"].moves["B200"] < 0


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("name", "other", "intro.toml: name must be 'intro'"),
        ("colour", "red", "colour is not a known key"),
        ("title", _DELETE, "title is required"),
        ("roles", [], "roles must be 1 to 12"),
        ("roles[0].id", "Neo Cloud", "roles[0].id must be lower-case"),
        ("roles[1].id", "neocloud", "two roles with the same id"),
        ("roles[0].weight", 0, "roles[0].weight must be a whole number from 1 to 100"),
        ("roles[0].objective.kind", "hoard", "roles[0].objective.kind must be one of"),
        ("roles[0].objective.target", -3, "roles[0].objective.target must be a whole number"),
        ("roles[0].objective.months_out", [0], "roles[0].objective.months_out must list"),
        ("roles[0].objective.months_out", [2, 2], "roles[0].objective.months_out must list"),
        ("roles[0].objective.product", "h100", "must be a product code"),
        ("roles[0].objective.penalty_per_contract", "lots", "must be a number"),
        ("rounds[0].minutes", 0, "rounds[0].minutes must be a number from 0.5 to 180"),
        ("rounds[0].news", ["x" * 201], "rounds[0].news[0] must be a headline"),
        ("limits.max_position", 0, "limits.max_position must be a whole number"),
        ("shocks.gpu_glut.moves", {"H100": 0}, "shocks.gpu_glut.moves.H100 must not be 0"),
        ("shocks.gpu_glut.moves", {"H100": -95}, "must be a number from -90 to 300"),
        (
            "shocks.meteor",
            {"headline": "x", "moves": {"H100": 1}},
            "shocks.meteor is not a known key",
        ),
        ("deposit_usd", 0, "deposit_usd must be a number from 1"),
    ],
)
def test_a_bad_scenario_is_refused_with_the_file_and_key_named(
    path: str, value: Any, message: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_with(path, value), "intro.toml", "intro")

    assert message in str(err.value)


def test_loading_an_unknown_or_malformed_scenario_is_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("name = \n")

    with pytest.raises(ScenarioError, match="no scenario 'nope' \\(shipped: broken\\)"):
        load_scenario("nope", tmp_path)
    with pytest.raises(ScenarioError, match=r"broken\.toml: not valid TOML"):
        load_scenario("broken", tmp_path)
    with pytest.raises(ScenarioError, match="lower-case letters"):
        load_scenario("../etc/passwd", tmp_path)


def test_game_codes_use_an_unambiguous_alphabet_and_avoid_taken_ones() -> None:
    rng = random.Random(1)
    taken = {new_code(set(), random.Random(1))}

    code = new_code(taken, rng)

    assert not set("0O1IL") & set(ALPHABET)
    assert len(code) == LENGTH and is_code(code) and code not in taken
    assert not is_code("ABC") and not is_code("ABCDE0")


def test_the_score_is_pnl_plus_the_objective_term_and_zero_after_a_default() -> None:
    neo = load_scenario("intro").role("neocloud")
    startup = load_scenario("intro").role("ai_startup")
    assert neo is not None and startup is not None
    jun = ("H100-JUN",)

    half = score(neo.objective, jun, {"H100-JUN": -10}, 25_150_000_000, 25_000_000_000, False)
    over = score(neo.objective, jun, {"H100-JUN": -30}, 25_000_000_000, 25_000_000_000, False)
    wrong_way = score(neo.objective, jun, {"H100-JUN": 5}, 25_000_000_000, 25_000_000_000, False)
    bought = score(startup.objective, ("A", "B"), {"A": 4, "B": 6}, 1, 1, False)
    defaulted = score(neo.objective, jun, {"H100-JUN": -20}, 0, 25_000_000_000, True)

    assert (half.pnl, half.hedged, half.attainment) == (150.0, 10, 0.5)
    assert half.objective == 10 * 20.0 - 10 * 120.0 and half.total == 150.0 - 1000.0
    assert (over.hedged, over.attainment, over.objective) == (30, 1.0, 20 * 20.0)
    assert (wrong_way.hedged, wrong_way.objective) == (0, -20 * 120.0)
    assert (bought.hedged, bought.attainment) == (10, 0.5)
    assert defaulted.total == 0.0 and defaulted.pnl == -25_000.0
