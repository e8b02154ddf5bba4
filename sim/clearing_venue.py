"""The kernel over the whole exchange: sequencer pipeline with a clearing house plugged in.

``ClearingPort`` is a ``sim.venue_port.VenuePort`` onto an ``exchange.pipeline.Pipeline``
whose gate and post-trade consumer are a ``clearing.house.ClearingHouse``: every agent
command is sequenced, journaled, margin-checked, matched and booked, and the port
returns every event it caused (a clearing-house cancel included).

Things that happen without an agent command (the clock ticking, settlements, a
defaulter's close-out) are run by the simulation (``sim.simulation``) through
``ClearingPort.run``: it calls the action and returns every event the pipeline
delivered meanwhile, caught by an ``EventTap`` consumer, so the kernel routes them to
the agents like any other.

``ScaledMargin`` multiplies a margin model's requirements (a scenario's
``margin_multiplier``). Money in µ$, prices in price units, times in ns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from clearing.margin import MarginModel, MarginRequirements, MarketState
from exchange import codes as c
from exchange.pipeline import Pipeline

Row = npt.NDArray[np.int64]
Events = npt.NDArray[np.int64]
T = TypeVar("T")

_NO_EVENTS = np.zeros((0, c.EV_WIDTH), dtype=np.int64)


class EventTap:
    """A pipeline consumer that keeps every event batch until ``take``."""

    def __init__(self) -> None:
        self.batches: list[Events] = []

    def on_events(self, events: Events) -> None:
        """Keep one batch (the pipeline has stamped ``E_SEQ``)."""
        self.batches.append(events)

    def take(self) -> Events:
        """Return every event kept since the last call, in delivery order, and forget them."""
        if not self.batches:
            return _NO_EVENTS.copy()
        out = np.concatenate(self.batches) if len(self.batches) > 1 else self.batches[0]
        self.batches = []
        return out


class ClearingPort:
    """A venue port over ``pipeline`` (with its clearing house already plugged in)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.tap = EventTap()
        pipeline.consumers.append(self.tap)

    def submit(self, row: Row) -> Events:
        """Sequence and process ``row``; return its events and those it caused."""
        events = self.pipeline.submit(row)
        self.tap.batches = []
        return events

    def run(self, action: Callable[[], T]) -> tuple[T, Events]:
        """Call ``action`` (a clock move, a settlement, …); return its result and every
        event the pipeline delivered while it ran."""
        self.tap.batches = []
        result = action()
        return result, self.tap.take()


class ScaledMargin:
    """``base``'s maintenance and initial margin times ``percent`` / 100, rounded up."""

    def __init__(self, base: MarginModel, percent: int) -> None:
        if percent < 1:
            raise ValueError(f"margin multiplier must be at least 1%, got {percent}%")
        self.base = base
        self.percent = percent

    def requirements(
        self, positions: npt.ArrayLike, account_types: npt.ArrayLike, market: MarketState
    ) -> MarginRequirements:
        """Return the base requirements scaled (µ$, rounded up to a whole µ$)."""
        req = self.base.requirements(positions, account_types, market)
        if self.percent == 100:
            return req
        p = self.percent

        def up(a: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
            return -((-a * p) // 100)

        return MarginRequirements(
            up(req.maintenance), up(req.initial), up(req.scan_risk), up(req.spread_charge)
        )
