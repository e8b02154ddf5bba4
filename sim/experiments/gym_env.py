"""A Gymnasium environment: one learning agent trades the curve among a scenario's agents.

``CurveTradingEnv(scenario)`` runs the scenario's whole population through the
pipeline and clearing house (``sim.simulation``) with one more agent, the learner, on
a speculator account funded with ``capital_usd``. The simulation pauses every
``step_minutes`` of each trading session for the learner's decision:

- **observation** (``float32``, ``5 × len(months) + 4``): for each traded month in
  ``months`` (0 = front) of ``product``: best bid and best ask relative to the index
  (``price / index − 1``, 0 when the side is empty), quantity at the best bid and ask
  (contracts / 10), the learner's position (contracts / ``max_position``); then the
  index relative to the product's reference price, free collateral / equity, the
  elapsed share of the session and of the episode. Values are clipped to ±10.
- **action** (``Discrete(1 + 2 × len(months))``): 0 does nothing; ``1 + 2i`` buys one
  contract of month ``i`` at the best ask, ``2 + 2i`` sells one at the best bid
  (immediate-or-cancel, after the latency), unless the position would pass
  ``max_position``.
- **reward** (``reward="pnl"``, the default): the change of the learner's
  mark-to-market value since the last decision (trades' cash plus positions at the
  mid, else the last settlement, else the index), in thousands of USD, minus
  ``risk_penalty`` × Σ position² (contracts²).
- **reward** (``reward="hedge"``): the learner is a neocloud, naturally long the
  GPU-hour price. It owns ``capacity`` contracts' worth of GPU-hours (1 contract =
  the product's unit, 730 GPU-hours for H100) to rent out in each month it observes,
  valued at that month's mark (the same mid, settlement or index as its futures).
  The reward is the change of (futures mark-to-market value + value of the physical
  capacity) since the last decision, in thousands of USD, minus ``risk_penalty`` ×
  Σ net exposure² (contracts²), where a month's net exposure is ``capacity`` + the
  futures position (positions in other contracts count in full). The capacity that
  counts over a step is that of the months observed at the step's start, so when the
  front month expires its capacity is valued at the final settlement and the next
  month's capacity counts from the following step. Selling futures until every net
  exposure is near zero minimises the penalty and the variance of the reward; with
  ``capacity`` ≤ ``max_position`` a full hedge is reachable.

The episode ends after the scenario's last trading day (``days`` replaces it), or when
the learner's account defaults. ``reset(seed=s)`` draws the scenario's root seed from
the environment's generator, so the same seed and the same actions give the same
observations and rewards. The population's random streams do not depend on the
learner (it is the last agent; seeds are spawned per agent).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from clearing.accounts import AccountType, Origin
from sim.agents.base import USD, MarketAgent
from sim.events import BUY, SELL, IndexFixing, OrderFilled, SettlementPrice
from sim.kernel import Kernel
from sim.latency import ConstantLatency
from sim.scenario import Scenario, load_scenario
from sim.simulation import CLEARING_REJECT_NAMES, Participant, Simulation

MINUTE_NS = 60 * 1_000_000_000
CLIP = 10.0
REWARDS = ("pnl", "hedge")


class Learner(MarketAgent):
    """The environment's agent: it never wakes by itself; ``trade(action)`` acts.

    It keeps its trades' cash (µ$) so the environment can mark it to market.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cash_flow = 0  # µ$: − bought value + sold value, every fill

    def on_start(self) -> None:
        """Do not schedule decisions: the environment calls ``trade``."""

    def on_filled(self, event: OrderFilled) -> None:
        """Book the fill and its cash."""
        super().on_filled(event)
        value = event.price * event.qty * self.spec_of(event.instrument).unit_value_micros
        self.cash_flow += -value if event.side == BUY else value

    def on_settlement(self, event: SettlementPrice) -> None:
        """Remember settlement prices (final ones too, which mark expired positions)."""
        super().on_settlement(event)
        self.settles[event.instrument] = event.price_units

    def mark(self, instrument: str) -> float | None:
        """Return the mark of ``instrument`` (price units): mid, settlement or index."""
        return self.reference(instrument)

    def value(self) -> float:
        """Return the mark-to-market value of trades and positions, µ$."""
        total = float(self.cash_flow)
        for name, qty in self.position.items():
            if qty:
                mark = self.mark(name)
                if mark is not None:
                    total += qty * mark * self.spec_of(name).unit_value_micros
        return total


@dataclass
class SteppedSimulation(Simulation):
    """``Simulation`` with the learner as its last agent, run as a generator that
    pauses every ``step_ns`` of each session (yielding the time)."""

    learner: Learner | None = None
    step_ns: int = 30 * MINUTE_NS

    def _build_agents(self) -> None:
        super()._build_agents()
        assert self.learner is not None
        member = len(self.participants) % self.members
        account = self.registry.open_account(
            member, Origin.CUSTOMER, AccountType.SPECULATOR, self.learner.name
        ).id
        self.participants.append(
            Participant(self.learner, account, member, "learner", AccountType.SPECULATOR)
        )

    def steps(self) -> Iterator[int]:
        """Run the scenario like ``Simulation.run``, yielding at each decision time."""
        s = self.scenario
        t0 = s.calendar.open_ts(self.days[0])
        self.pipeline.open(t0)
        for m in range(self.members):
            self.house.deposit(m, round(s.clearing["member_capital_usd"] * USD), ts=t0)
        for p in self.participants:
            self.house.deposit(p.account, p.agent.capital, ts=t0)
        self.kernel = Kernel(
            self.port,
            [p.agent for p in self.participants],
            instruments=self.venue.slot_of,
            seed=self.kernel_seed,
            latency=ConstantLatency(max(0, round(s.latency_ms * 1_000_000))),
            accounts=[p.account for p in self.participants],
            start_ns=t0,
            reject_names=CLEARING_REJECT_NAMES,
        )
        self._listed = dict(self.venue.slot_of)
        self.kernel.start()
        for day in self.days:
            yield from self._day_steps(day)
        self.kernel.close()
        self.house.check_invariants()

    def _day_steps(self, day: Any) -> Iterator[int]:
        """``Simulation._day`` with a pause at every decision time of the session."""
        assert self.kernel is not None
        cal = self.scenario.calendar
        kernel = self.kernel
        t_open, t_close = cal.open_ts(day), cal.close_ts(day)
        kernel.run(t_open)
        self._external(lambda: self.pipeline.advance(t_open), "open")
        self._follow_listings()
        self._broadcast_curves(day, t_open)
        self._broadcast([IndexFixing(t_open, code, day, src.units(day))
                         for code, src in self.index.items()])  # fmt: skip
        tick = round(self.scenario.clearing["clock_tick_minutes"] * MINUTE_NS)
        sample = round(self.scenario.output["book_top_minutes"] * MINUTE_NS)
        times = sorted(
            {(t, "tick") for t in range(t_open + tick, t_close, tick)}
            | {(t, "sample") for t in range(t_open + sample, t_close + 1, sample)}
            | {(t, "decide") for t in range(t_open + self.step_ns, t_close, self.step_ns)}
        )
        for t, what in times:
            kernel.run(t)
            if what == "tick":
                self._external(functools.partial(self.pipeline.advance, t), "tick")
                self._send_accounts()
            elif what == "sample":
                self.recorder.sample_tops(t, kernel)
            else:
                yield t
        kernel.run(t_close)
        for code in self.specs:
            for contract in self.venue.curve(code):
                if contract.last_trading_day == day and contract.name not in self.house.settled:
                    self._external(
                        functools.partial(self.house.expire, contract, t_close), "expire"
                    )
        self._external(lambda: self.house.end_of_day(day), "end_of_day")
        self.recorder.end_of_day(day)
        self._send_accounts()


class CurveTradingEnv(gym.Env[np.ndarray, np.int64]):
    """One learning agent trading a scenario's curve (see the module docstring).

    ``scenario``: a ``Scenario``, a shipped name or a TOML path; ``days`` replaces its
    duration; ``product`` (default: the first) and ``months`` (tenors, 0 = front) are
    what the learner sees and trades (default: every traded month); ``step_minutes`` is the simulated time between
    decisions; ``max_position`` (contracts per month), ``capital_usd`` (collateral),
    ``risk_penalty`` (reward units per contract² per step); ``reward`` is ``"pnl"``
    (default) or ``"hedge"``, where the learner also owns ``capacity`` contracts of
    GPU-hours a month in each observed month.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012

    def __init__(
        self,
        scenario: Scenario | str = "baseline",
        *,
        days: int | None = None,
        product: str | None = None,
        months: Sequence[int] | None = None,
        step_minutes: float = 60.0,
        max_position: int = 10,
        capital_usd: float = 200_000.0,
        risk_penalty: float = 0.002,
        reward: str = "pnl",
        capacity: int = 10,
    ) -> None:
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.scenario = base.with_overrides(days=days)
        codes = [p.spec.code for p in self.scenario.products]
        self.product = product or codes[0]
        if self.product not in codes:
            raise ValueError(f"product {self.product!r} is not traded ({codes})")
        traded = {p.spec.code: p.months_traded for p in self.scenario.products}
        months = tuple(range(traded[self.product])) if months is None else tuple(months)
        if not months or any(not 0 <= m < traded[self.product] for m in months):
            raise ValueError(f"months must be within 0 .. {traded[self.product] - 1}")
        if step_minutes <= 0 or max_position < 1 or capital_usd <= 0 or risk_penalty < 0:
            raise ValueError("step_minutes, max_position, capital_usd must be positive")
        if reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, not {reward!r}")
        if capacity < 0:
            raise ValueError("capacity must be non-negative")
        self.reward_mode = reward
        self.capacity = capacity if reward == "hedge" else 0
        self.months = tuple(months)
        self.step_ns = round(step_minutes * MINUTE_NS)
        self.max_position = max_position
        self.capital_usd = capital_usd
        self.risk_penalty = risk_penalty
        n = len(self.months)
        self.observation_space = spaces.Box(-CLIP, CLIP, shape=(5 * n + 4,), dtype=np.float32)
        self.action_space = spaces.Discrete(1 + 2 * n)
        self.sim: SteppedSimulation | None = None
        self.learner: Learner | None = None
        self._steps: Iterator[int] | None = None
        self._now = 0
        self._value = 0.0
        self._physical: list[str] = []  # the months whose capacity counts this step
        self._done = False
        spec = self.scenario.product_specs()[self.product]
        self._ref_units = spec.ref_price_units
        self._session = self.scenario.calendar
        days_run = self.scenario.trading_days()
        self._t_first = self._session.open_ts(days_run[0])
        self._t_last = self._session.close_ts(days_run[-1])

    # ---------------------------------------------------------------- gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new episode: a fresh simulation seeded from the env's generator."""
        super().reset(seed=seed)
        root = int(self.np_random.integers(0, 2**31 - 1))
        scenario = self.scenario.with_overrides(seed=root)
        specs = scenario.product_specs()
        months_traded = {p.spec.code: p.months_traded for p in scenario.products}
        self.learner = Learner(
            specs, products=[self.product], months_traded=months_traded,
            capital_usd=self.capital_usd, reserve_usd=0.0, on_margin_call="ignore",
            calendar=scenario.calendar, name="learner",
        )  # fmt: skip
        self.sim = SteppedSimulation(scenario, learner=self.learner, step_ns=self.step_ns)
        self._steps = self.sim.steps()
        self._done = False
        self._advance()
        self._physical = [n for n in self._names() if n] if self.capacity else []
        self._value = self._total_value(self._physical)
        return self._observation(), {"seed": root, "ts": self._now}

    def step(self, action: np.int64 | int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Act, run to the next decision time, return (obs, reward, terminated, truncated,
        info)."""
        if self.learner is None or self._done:
            raise RuntimeError("call reset() before step() (and after the episode ended)")
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r}")
        self._act(int(action))
        self._advance()
        value = self._total_value(self._physical)
        risk = sum(q * q for q in self._exposure().values())
        reward = (value - self._value) / USD / 1_000 - self.risk_penalty * risk
        if self.capacity:  # the months observed now carry the capacity from here on
            self._physical = [n for n in self._names() if n]
            value = self._total_value(self._physical)
        self._value = value
        terminated = self._done or self.learner.defaulted
        self._done = terminated
        positions = self._positions()
        net = [q + self.capacity if n else 0 for n, q in zip(self._names(), positions, strict=True)]
        info = {
            "ts": self._now,
            "value_usd": value / USD,
            "position": positions,
            "net_exposure": net,
        }
        return self._observation(), float(reward), bool(terminated), False, info

    def close(self) -> None:
        """Drop the running simulation."""
        self._steps = None
        self.sim = None

    # ---------------------------------------------------------------- internals
    def _advance(self) -> None:
        assert self._steps is not None
        try:
            self._now = next(self._steps)
        except StopIteration:
            self._done = True
            self._now = self._t_last

    def _total_value(self, physical: Sequence[str]) -> float:
        """Return the futures' mark-to-market value plus ``capacity`` contracts of
        each month of ``physical`` at its mark, µ$."""
        assert self.learner is not None
        total = self.learner.value()
        for name in physical:
            mark = self.learner.mark(name)
            if mark is not None:
                total += self.capacity * mark * self.learner.spec_of(name).unit_value_micros
        return total

    def _exposure(self) -> dict[str, int]:
        """Return the net exposure per contract: futures position plus ``capacity`` in
        each observed month (contracts)."""
        assert self.learner is not None
        net = {k: q for k, q in self.learner.position.items() if q}
        for name in self._physical:
            net[name] = net.get(name, 0) + self.capacity
        return net

    def _names(self) -> list[str]:
        assert self.learner is not None
        curve = self.learner.curves.get(self.product, ())
        return [curve[m] if m < len(curve) else "" for m in self.months]

    def _positions(self) -> list[int]:
        assert self.learner is not None
        return [self.learner.position.get(n, 0) if n else 0 for n in self._names()]

    def _act(self, action: int) -> None:
        assert self.learner is not None
        if action == 0 or self.learner.defaulted:
            return
        i, sell = divmod(action - 1, 2)
        name = self._names()[i]
        if not name:
            return
        pos = self.learner.position.get(name, 0)
        side = SELL if sell else BUY
        if (side == BUY and pos + 1 > self.max_position) or (
            side == SELL and pos - 1 < -self.max_position
        ):
            return
        self.learner.take(name, side, 1)

    def _observation(self) -> np.ndarray:
        learner = self.learner
        assert learner is not None
        index = learner.index.get(self.product) or self._ref_units
        out: list[float] = []
        for name in self._names():
            if not name:
                out += [0.0] * 5
                continue
            top = learner.top(name)
            out.append(top.bid / index - 1 if top.bid else 0.0)
            out.append(top.ask / index - 1 if top.ask else 0.0)
            out.append(top.bid_qty / 10 if top.bid else 0.0)
            out.append(top.ask_qty / 10 if top.ask else 0.0)
            out.append(learner.position.get(name, 0) / self.max_position)
        day = self._session.trading_day(self._now)
        t_open, t_close = self._session.open_ts(day), self._session.close_ts(day)
        session = min(max((self._now - t_open) / max(t_close - t_open, 1), 0.0), 1.0)
        progress = (self._now - self._t_first) / max(self._t_last - self._t_first, 1)
        out += [index / self._ref_units - 1, learner.free_fraction(), session, progress]
        obs = np.clip(np.array(out, dtype=np.float32), -CLIP, CLIP)
        return np.nan_to_num(obs, nan=0.0, posinf=CLIP, neginf=-CLIP)


def make_env(**kwargs: Any) -> CurveTradingEnv:
    """Return a ``CurveTradingEnv`` (keyword arguments as its constructor's)."""
    return CurveTradingEnv(**kwargs)
