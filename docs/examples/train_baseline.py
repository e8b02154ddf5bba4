"""Train a linear Q-learning policy on the curve-trading environment; compare it with
random, never-trading and (hedge reward) fully hedging policies.

Run ``python docs/examples/train_baseline.py [--steps 3000] [--seed 1] [--reward pnl]``
(needs the ``gym`` extra). The learner sees the top of book of the front months, the
index, its positions and free collateral (``sim.experiments.gym_env``); it may hold, or
buy or sell one contract of a month at the touch. With ``--reward pnl`` (default) its
reward is the change of its mark-to-market value (thousands of USD) minus a penalty on
squared positions. With ``--reward hedge`` it is a neocloud owning ``--capacity``
contracts of GPU-hours in each observed month: the reward is the change of futures plus
physical value minus a penalty on the squared net exposure (capacity + position).

The policy is Q-learning with one linear function per action (no deep learning) over
the observation, or with the hedge reward over the positions and their squares (the
penalty is quadratic in them; the other columns only add noise there): ε-greedy exploration with ε falling from 1 to 0.05, step size
``alpha``, discount ``gamma``. After training it is evaluated greedily on fresh seeds
beside a uniformly random policy, a policy that never trades and a hand-written rule
that sells the month with the largest net exposure until none is left (with the P&L
reward there is no capacity, so it never trades from a flat position), on the same
seeds; the script prints the four mean episode returns. With the P&L reward crossing
the spread costs money and open positions are penalised, so a random policy loses
steadily; the learned policy trades only where its estimate says it pays (with this
reward and a few thousand steps, that is rarely: it comes out close to never
trading). With the hedge reward the unhedged capacity is penalised every step, so the
learned policy has to find out that selling futures pays.
"""

from __future__ import annotations

import argparse
from typing import Protocol

import numpy as np

from sim.experiments.gym_env import CurveTradingEnv


class LinearQ:
    """Q(s, a) = w[a] · φ(s), one weight vector per action, with the features
    φ(s) = [1, s[used], s[squared]²] (``used``: indices of the observation to use,
    ``None`` for all of it; ``squared``: indices to square)."""

    def __init__(self, weights: np.ndarray, used: tuple[int, ...] | None = None,
                 squared: tuple[int, ...] = ()) -> None:  # fmt: skip
        self.weights = weights  # (actions, number of features)
        self.used = used
        self.squared = squared

    @classmethod
    def zeros(cls, n_actions: int, n_obs: int, used: tuple[int, ...] | None = None,
              squared: tuple[int, ...] = ()) -> LinearQ:  # fmt: skip
        """Return a policy with every weight 0 (every action equally good)."""
        n = 1 + (n_obs if used is None else len(used)) + len(squared)
        return cls(np.zeros((n_actions, n)), used, squared)

    def features(self, obs: np.ndarray) -> np.ndarray:
        """Return φ(obs)."""
        kept = obs if self.used is None else obs[list(self.used)]
        return np.concatenate(([1.0], kept, obs[list(self.squared)] ** 2))

    def values(self, obs: np.ndarray) -> np.ndarray:
        """Return Q(obs, a) for every action."""
        return self.weights @ self.features(obs)

    def act(self, obs: np.ndarray) -> int:
        """Return the greedy action (the lowest index among ties: holding first)."""
        return int(np.argmax(self.values(obs)))


class HedgeFully:
    """The hand-written rule: sell one contract of the month with the largest net
    exposure (``capacity`` + position, read from the observation) while it is positive
    and the position limit allows; otherwise hold."""

    def __init__(self, env: CurveTradingEnv) -> None:
        self.months = len(env.months)
        self.capacity = env.capacity
        self.max_position = env.max_position

    def act(self, obs: np.ndarray) -> int:
        """Return the action: sell the most exposed month, or hold (0)."""
        positions = [round(float(obs[5 * i + 4]) * self.max_position) for i in range(self.months)]
        i = int(np.argmax([self.capacity + p for p in positions]))
        if self.capacity + positions[i] > 0 and positions[i] > -self.max_position:
            return 2 + 2 * i
        return 0


class Policy(Protocol):
    """Anything that maps an observation to an action."""

    def act(self, obs: np.ndarray) -> int: ...


def train(env: CurveTradingEnv, steps: int, seed: int, alpha: float = 0.02,
          gamma: float = 0.9, positions_only: bool = False) -> LinearQ:  # fmt: skip
    """Train a linear Q policy for ``steps`` environment steps; return it.
    ``positions_only``: the features are the positions and their squares alone (the
    hedge reward is quadratic in them) instead of the whole observation."""
    rng = np.random.default_rng(seed)
    assert env.observation_space.shape is not None
    positions = tuple(5 * i + 4 for i in range(len(env.months)))
    q = LinearQ.zeros(int(env.action_space.n), env.observation_space.shape[0],
                      *((positions, positions) if positions_only else ()))  # fmt: skip
    obs, _ = env.reset(seed=seed)
    for t in range(steps):
        eps = max(0.05, 1.0 - t / (0.6 * steps))
        action = int(rng.integers(env.action_space.n)) if rng.random() < eps else q.act(obs)
        nxt, reward, terminated, truncated, _ = env.step(action)
        target = reward if terminated else reward + gamma * float(np.max(q.values(nxt)))
        phi = q.features(obs)
        error = float(np.clip(target - q.weights[action] @ phi, -10, 10))
        q.weights[action] += alpha * error * phi
        obs = nxt
        if terminated or truncated:
            obs, _ = env.reset()
    return q


def evaluate(env: CurveTradingEnv, policy: Policy | None, seeds: list[int]) -> float:
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
         days: int = 3, step_minutes: float = 60.0, reward: str = "pnl", capacity: int = 10,
         alpha: float = 0.02) -> tuple[float, float, float, float]:  # fmt: skip
    """Train, then evaluate the learned, a random, a never-trading and the hedge-fully
    policy on the same seeds; return their mean episode returns (learned, random, hold,
    hedge)."""
    env = CurveTradingEnv(scenario, days=days, step_minutes=step_minutes, reward=reward,
                          capacity=capacity)  # fmt: skip
    policy = train(env, steps, seed, alpha=alpha, positions_only=reward == "hedge")
    seeds = [10_000 + seed * 100 + i for i in range(episodes)]
    hold = LinearQ(np.zeros_like(policy.weights), policy.used, policy.squared)
    return (
        evaluate(env, policy, seeds),
        evaluate(env, None, seeds),
        evaluate(env, hold, seeds),
        evaluate(env, HedgeFully(env), seeds),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="training steps (3000)")
    parser.add_argument("--seed", type=int, default=1, help="seed (1)")
    parser.add_argument("--episodes", type=int, default=5, help="evaluation episodes (5)")
    parser.add_argument("--scenario", default="baseline", help="scenario (baseline)")
    parser.add_argument("--days", type=int, default=3, help="trading days an episode (3)")
    parser.add_argument("--reward", choices=("pnl", "hedge"), default="pnl", help="reward (pnl)")
    parser.add_argument("--capacity", type=int, default=10,
                        help="hedge reward: contracts of capacity a month (10)")  # fmt: skip
    parser.add_argument("--alpha", type=float, default=0.02, help="step size (0.02)")
    args = parser.parse_args()
    learned, random, hold, hedge = main(args.steps, args.seed, args.episodes, args.scenario,
                                        args.days, reward=args.reward, capacity=args.capacity,
                                        alpha=args.alpha)  # fmt: skip
    print(f"mean episode return, learned policy  {learned:10.3f}")
    print(f"mean episode return, random policy   {random:10.3f}")
    print(f"mean episode return, never trading   {hold:10.3f}")
    print(f"mean episode return, hedge fully     {hedge:10.3f}")
    print("learned beats random" if learned > random else "learned does NOT beat random")
    print(
        "learned beats never trading" if learned > hold else "learned does NOT beat never trading"
    )
