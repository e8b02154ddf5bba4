"""A tiny scenario for tests of the clearing-aware run, and a stub session for agents.

``TINY`` trades the two front H100 months (three listed) for two days with one agent of
every kind; ``tiny(**top)`` parses it with top-level keys replaced. ``StubSession``
lets a test drive one agent by hand: it records what the agent sends and answers
``top_of_book`` from a dict.
"""

from __future__ import annotations

import tomllib
from typing import Any

from exchange.product_spec import DEFAULT_PRODUCTS
from sim.agent import Agent
from sim.events import Command, TopOfBook
from sim.scenario import Scenario, parse_scenario

TINY = """
name = "tiny"
seed = 5
start = 2026-11-16
days = 2

[[products]]
code = "H100"
months_listed = 3
months_traded = 2

[clearing]
members = 2
clock_tick_minutes = 120

[output]
book_top_minutes = 120

[[agents]]
kind = "market_maker"
mean_wait_minutes = 30
max_inventory = 12
capital_usd = 200_000

[[agents]]
kind = "neocloud"
capacity_contracts = 10
hedge_ratio = 0.8
min_price_usd = 2.5
mean_wait_minutes = 30

[[agents]]
kind = "ai_buyer"
demand_contracts = 10
hedge_ratio = 0.8
max_price_usd = 3.1
mean_wait_minutes = 30

[[agents]]
kind = "fundamental"
mean_wait_minutes = 60

[[agents]]
kind = "momentum"
mean_wait_minutes = 60

[[agents]]
kind = "mean_reversion"
mean_wait_minutes = 60

[[agents]]
kind = "noise"
count = 2
mean_wait_minutes = 45
"""

H100 = DEFAULT_PRODUCTS["H100"]
SPECS = {"H100": H100}


def tiny_raw() -> dict[str, Any]:
    """Return the tiny scenario as a parsed TOML document (a fresh copy)."""
    return tomllib.loads(TINY)


def tiny(**top: Any) -> Scenario:
    """Return the tiny scenario with top-level keys ``top`` replaced."""
    raw = tiny_raw()
    raw.update(top)
    return parse_scenario(raw, "tiny")


class StubSession:
    """A session for one agent driven by hand (time ``now``; ``tops`` by instrument)."""

    def __init__(self, now: int = 0) -> None:
        self.now = now
        self.sent: list[Command] = []
        self.wakes: list[tuple[int, str]] = []
        self.tops: dict[str, tuple[int, int, int, int]] = {}

    def now_ns(self) -> int:
        return self.now

    def send(self, command: Command) -> int:
        self.sent.append(command)
        return len(self.sent)

    def wake_at(self, ts_ns: int, tag: str) -> None:
        self.wakes.append((ts_ns, tag))

    def subscribe(self, channel: str, instrument: str) -> None:
        pass

    def top_of_book(self, instrument: str) -> TopOfBook:
        return TopOfBook(self.now, instrument, *self.tops.get(instrument, (0, 0, 0, 0)))


def bind(agent: Agent, session: StubSession, seed: int = 0) -> Agent:
    """Bind ``agent`` to ``session`` with a seeded random stream."""
    import numpy as np

    agent.bind(session, np.random.default_rng(seed), 0)
    return agent
