"""The venue port: the one door between the simulation kernel and the exchange.

The kernel needs exactly one thing from the exchange: "process this command row now
and tell me every event it caused". ``VenuePort`` is that, and nothing more. Today
``EngineVenue`` wraps the matching engine directly; the sequencer of DESIGN §2
(``exchange.pipeline.Pipeline.submit(row) -> events``: journal, pre-trade gate,
matching, post-trade clearing) has the same method and drops in without touching the
kernel or any agent. A venue with extra rules (``sim.validation.institution``) is a
port that wraps another.

A port returns the events of everything the command caused, including commands its
own plug-ins issued on the way (for instance a clearing-house cancel), so that the
kernel's view of the book stays exact.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from exchange.engine import Engine

Row = npt.NDArray[np.int64]
Events = npt.NDArray[np.int64]


class VenuePort(Protocol):
    """Process one command row (``exchange.codes`` layout); return its event rows."""

    def submit(self, row: Row) -> Events:
        """Process ``row`` at its time ``row[C_TS]`` (ns); return (k, EV_WIDTH) int64 events."""
        ...


class EngineVenue:
    """A venue port straight onto a matching engine: flopex's normal continuous book."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def submit(self, row: Row) -> Events:
        """Process ``row`` with ``Engine.process``; return its events."""
        return self.engine.process(row)
