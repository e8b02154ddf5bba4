"""Train a linear Q-learning policy on the curve-trading environment; compare with random.

Run ``python docs/examples/train_baseline.py [--steps 3000] [--seed 1]`` (needs the
``gym`` extra). The learner sees the top of book of the front months, the index, its
positions and free collateral (``sim.experiments.gym_env``); it may hold, or buy or sell
one contract of a month at the touch; its reward is the change of its mark-to-market
value (thousands of USD) minus a penalty on squared positions.

The policy is Q-learning with one linear function per action over the observation (no
deep learning): ε-greedy exploration with ε falling from 1 to 0.05, step size
``alpha``, discount ``gamma``. After training it is evaluated greedily on fresh seeds
beside a uniformly random policy and a policy that never trades, on the same seeds;
the script prints the three mean episode returns. Crossing the spread costs money and
open positions are penalised, so a random policy loses steadily; the learned policy
trades only where its estimate says it pays (with this reward and a few thousand
steps, that is rarely: it comes out close to never trading).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from sim.experiments.gym_env import CurveTradingEnv


@dataclass
class LinearQ:
    """Q(s, a) = w[a] · [1, s]: one weight vector per action."""

    weights: np.ndarray  # (actions, 1 + observation size)

    @classmethod
    def zeros(cls, n_actions: int, n_obs: int) -> LinearQ:
        """Return a policy with every weight 0 (every action equally good)."""
        return cls(np.zeros((n_actions, n_obs + 1)))

    def values(self, obs: np.ndarray) -> np.ndarray:
        """Return Q(obs, a) for every action."""
        return self.weights @ np.concatenate(([1.0], obs))

    def act(self, obs: np.ndarray) -> int:
        """Return the greedy action (the lowest index among ties: holding first)."""
        return int(np.argmax(self.values(obs)))


def train(env: CurveTradingEnv, steps: int, seed: int, alpha: float = 0.02,
          gamma: float = 0.9) -> LinearQ:  # fmt: skip
    """Train a linear Q policy for ``steps`` environment steps; return it."""
    rng = np.random.default_rng(seed)
    assert env.observation_space.shape is not None
    q = LinearQ.zeros(int(env.action_space.n), env.observation_space.shape[0])
    obs, _ = env.reset(seed=seed)
    for t in range(steps):
        eps = max(0.05, 1.0 - t / (0.6 * steps))
        action = int(rng.integers(env.action_space.n)) if rng.random() < eps else q.act(obs)
        nxt, reward, terminated, truncated, _ = env.step(action)
        target = reward if terminated else reward + gamma * float(np.max(q.values(nxt)))
        phi = np.concatenate(([1.0], obs))
        error = float(np.clip(target - q.weights[action] @ phi, -10, 10))
        q.weights[action] += alpha * error * phi
        obs = nxt
        if terminated or truncated:
            obs, _ = env.reset()
    return q


def evaluate(env: CurveTradingEnv, policy: LinearQ | None, seeds: list[int]) -> float:
    """Return the mean episode return of ``policy`` (``None``: uniformly random actions,
    drawn from a generator seeded per episode) over episodes seeded by ``seeds``."""
    returns = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        for _ in range(100_000):  # episodes are finite; this only bounds the loop
            action = int(rng.integers(env.action_space.n)) if policy is None else policy.act(obs)
            obs, reward, done, truncated, _ = env.step(action)
            total += reward
            if done or truncated:
                break
        returns.append(total)
    return float(np.mean(returns))


def main(steps: int = 3000, seed: int = 1, episodes: int = 5, scenario: str = "baseline",
         days: int = 3, step_minutes: float = 60.0) -> tuple[float, float, float]:  # fmt: skip
    """Train, then evaluate the learned, a random and a never-trading policy; return
    their mean episode returns (learned, random, hold)."""
    env = CurveTradingEnv(scenario, days=days, step_minutes=step_minutes)
    policy = train(env, steps, seed)
    seeds = [10_000 + seed * 100 + i for i in range(episodes)]
    hold = LinearQ.zeros(int(env.action_space.n), policy.weights.shape[1] - 1)
    return evaluate(env, policy, seeds), evaluate(env, None, seeds), evaluate(env, hold, seeds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="training steps (3000)")
    parser.add_argument("--seed", type=int, default=1, help="seed (1)")
    parser.add_argument("--episodes", type=int, default=5, help="evaluation episodes (5)")
    parser.add_argument("--scenario", default="baseline", help="scenario (baseline)")
    parser.add_argument("--days", type=int, default=3, help="trading days an episode (3)")
    args = parser.parse_args()
    learned, random, hold = main(args.steps, args.seed, args.episodes, args.scenario, args.days)
    print(f"mean episode return, learned policy  {learned:10.3f}")
    print(f"mean episode return, random policy   {random:10.3f}")
    print(f"mean episode return, never trading   {hold:10.3f}")
    print("learned beats random" if learned > random else "learned does NOT beat random")
