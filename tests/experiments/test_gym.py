"""The Gymnasium environment: the checker, seeded determinism, the hedge reward, and
the documented baseline policy beating a random one (and, on the hedge reward, never
trading)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from sim.experiments.gym_env import CurveTradingEnv
from tests.experiments.conftest import TINY

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "train_baseline.py"


def tiny_env(**kwargs: Any) -> CurveTradingEnv:
    return CurveTradingEnv(str(TINY), days=1, step_minutes=120, **kwargs)


def test_the_environment_passes_gymnasiums_checker() -> None:
    env = tiny_env()
    check_env(env, skip_render_check=True)
    assert env.action_space.n == 1 + 2 * 2
    assert env.observation_space.shape == (5 * 2 + 4,)


def _episode(
    env: CurveTradingEnv, seed: int, actions: list[int]
) -> tuple[list[np.ndarray], list[float]]:
    obs, _ = env.reset(seed=seed)
    seen, rewards = [obs], []
    for a in actions:
        obs, reward, terminated, _, _ = env.step(a)
        seen.append(obs)
        rewards.append(reward)
        if terminated:
            break
    return seen, rewards


def test_the_same_seed_and_actions_give_the_same_observations() -> None:
    actions = [1, 2, 0, 3, 1, 1, 4, 0, 2, 3]
    a_obs, a_rew = _episode(tiny_env(), 5, actions)
    b_obs, b_rew = _episode(tiny_env(), 5, actions)
    assert len(a_obs) == len(b_obs) > 5
    assert all(np.array_equal(x, y) for x, y in zip(a_obs, b_obs, strict=True))
    assert a_rew == b_rew
    c_obs, _ = _episode(tiny_env(), 6, actions)
    assert any(not np.array_equal(x, y) for x, y in zip(a_obs, c_obs, strict=False))


def test_buying_moves_the_position_and_an_episode_ends() -> None:
    env = tiny_env(max_position=2)
    env.reset(seed=1)
    positions = []
    for _ in range(6):
        _, _, terminated, _, info = env.step(1)  # buy the front month at the ask
        positions.append(info["position"][0])
    assert positions == sorted(positions)  # only buys
    assert 1 <= positions[-1] <= 2  # bought, never past max_position
    for _ in range(100):
        if terminated:
            break
        _, _, terminated, _, _ = env.step(0)
    assert terminated
    with pytest.raises(RuntimeError):
        env.step(0)


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("train_baseline", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_trained_baseline_beats_a_random_policy() -> None:
    learned, random, _, _ = _example().main(steps=300, seed=1, episodes=2, scenario=str(TINY),
                                            days=2, step_minutes=120)  # fmt: skip
    assert learned > random


def test_the_hedge_reward_passes_the_checker_and_penalises_net_exposure() -> None:
    env = tiny_env(reward="hedge", capacity=3, risk_penalty=0.01)
    check_env(env, skip_render_check=True)
    env.reset(seed=2)
    _, reward, _, _, info = env.step(0)
    assert info["net_exposure"] == [3, 3]
    assert reward != 0.0
    with pytest.raises(ValueError):
        tiny_env(reward="nope")


def test_holding_unhedged_capacity_pays_the_penalty_on_the_whole_capacity() -> None:
    actions = [0] * 6
    _, plain = _episode(tiny_env(reward="hedge", capacity=3, risk_penalty=0.0), 4, actions)
    _, penalised = _episode(tiny_env(reward="hedge", capacity=3, risk_penalty=0.01), 4, actions)
    assert any(r != 0.0 for r in plain)  # the capacity's value moves with the marks
    for a, b in zip(plain, penalised, strict=True):
        assert b == pytest.approx(a - 0.01 * 2 * 3**2)  # two months, 3 contracts each


def test_the_hedge_reward_does_not_change_the_pnl_reward_of_the_same_path() -> None:
    actions = [2, 2, 4, 0, 1, 0]
    _, pnl = _episode(tiny_env(), 3, actions)
    _, unhedged = _episode(tiny_env(reward="hedge", capacity=0), 3, actions)
    assert pnl == unhedged


def test_the_trained_baseline_learns_to_hedge() -> None:
    learned, random, hold, hedge = _example().main(
        steps=600, seed=1, episodes=2, scenario=str(TINY), days=2, step_minutes=120,
        reward="hedge", capacity=10,
    )  # fmt: skip
    assert learned > hold
    assert learned > random
    assert hedge > hold  # the rule that sells the capacity forward pays under this reward


def test_a_learner_that_never_trades_leaves_the_populations_run_unchanged() -> None:
    from sim.experiments.gym_env import Learner, SteppedSimulation
    from sim.scenario import load_scenario
    from sim.simulation import Simulation

    scenario = load_scenario(TINY)
    plain = Simulation(scenario).run().tables
    learner = Learner(scenario.product_specs(), calendar=scenario.calendar, name="learner")
    stepped = SteppedSimulation(scenario, learner=learner, step_ns=30 * 60 * 10**9)
    pauses = sum(1 for _ in stepped.steps())
    tables = stepped.recorder.results().tables
    assert pauses == 2 * 41  # every 30 minutes of two 21-hour sessions, open excluded
    for name in ("trades", "book_top", "settlements", "margin_calls"):
        # sequence numbers move by one: the learner's account is funded at the start
        same = [c for c in plain[name].column_names if c != "seq"]
        assert tables[name].select(same).equals(plain[name].select(same)), name
    assert tables["trades"].num_rows > 0
