"""Latency models: how long a message takes between an agent and the venue.

A model is a small plug-in passed to the kernel at construction. The kernel asks it
for a delay on every agent → venue message (a command) and every venue → agent
message (a frame of events), and passes the random generator it owns for latency, so
a model holds no random state of its own and a run is reproducible from its root
seed. Whatever the model says, the kernel keeps each direction of each agent's
connection first-in first-out, as a websocket (TCP) connection is.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Protocol

import numpy as np


class Direction(IntEnum):
    """Which way a message travels."""

    TO_VENUE = 0
    TO_AGENT = 1


class LatencyModel(Protocol):
    """Return the delay of one message, in ns (≥ 0)."""

    def delay_ns(self, agent: int, direction: Direction, rng: np.random.Generator) -> int:
        """Return the delay in ns of one message of ``agent`` travelling ``direction``."""
        ...


class ConstantLatency:
    """Every message takes ``ns`` nanoseconds, both ways (the default: 1 ms)."""

    def __init__(self, ns: int = 1_000_000) -> None:
        if ns < 0:
            raise ValueError(f"latency must be >= 0 ns, got {ns}")
        self.ns = int(ns)

    def delay_ns(self, agent: int, direction: Direction, rng: np.random.Generator) -> int:
        """Return ``ns``; ``agent``, ``direction`` and ``rng`` are not used."""
        return self.ns

    def __repr__(self) -> str:
        return f"ConstantLatency({self.ns})"


class RandomLatency:
    """Delays drawn uniformly from the integers ``low_ns … high_ns`` (inclusive).

    Draws come from the kernel's latency generator, spawned from the run's root seed.
    They are drawn ``block`` at a time (one numpy call per block, not per message);
    numpy gives the same sequence as one draw at a time (a test checks it).
    """

    def __init__(self, low_ns: int, high_ns: int, block: int = 4096) -> None:
        if not 0 <= low_ns <= high_ns:
            raise ValueError(f"need 0 <= low_ns <= high_ns, got {low_ns}, {high_ns}")
        self.low_ns = int(low_ns)
        self.high_ns = int(high_ns)
        self._block = block
        self._buf: list[int] = []
        self._rng: np.random.Generator | None = None

    def delay_ns(self, agent: int, direction: Direction, rng: np.random.Generator) -> int:
        """Return the next draw from ``rng``; ``agent`` and ``direction`` are not used."""
        if rng is not self._rng:  # a new kernel: forget draws made from another generator
            self._rng, self._buf = rng, []
        if not self._buf:
            draws = rng.integers(self.low_ns, self.high_ns + 1, size=self._block)
            self._buf = draws[::-1].tolist()
        return self._buf.pop()

    def __repr__(self) -> str:
        return f"RandomLatency({self.low_ns}, {self.high_ns})"
