"""The sequencing seam: the one place the gateway hands command rows to the exchange.

``Sequencer`` is what the gateway's pipeline task needs: submit one engine command row
and get its events back, open the venue and move its clock. ``EngineSequencer`` does that by
calling the venue's engine directly. The journaled pipeline (``exchange.pipeline``:
journal, pre-trade gate, matching, post-trade plug-ins) replaces it by passing another
factory as ``create_app(..., sequencer_factory=...)``; nothing else in the gateway
changes. Rows and events are ``exchange.codes`` int64 rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from exchange.venue import Venue

Row = npt.NDArray[np.int64]
Events = npt.NDArray[np.int64]


class Sequencer(Protocol):
    """Process commands one at a time, in order, and report their events."""

    def open(self, ts: int) -> Events:
        """List every contract live at ``ts`` ns; return the events."""
        ...

    def submit(self, cmd: Row) -> Events:
        """Sequence one command row; return its events as a (k, EV_WIDTH) array."""
        ...

    def advance(self, ts: int) -> Events:
        """Move the venue clock to ``ts`` ns (listings, expiries); return the events."""
        ...


class EngineSequencer:
    """Call the venue's matching engine directly: no journal, no risk checks yet."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue

    def open(self, ts: int) -> Events:
        """Open the venue at ``ts`` ns."""
        return self.venue.open(ts)

    def submit(self, cmd: Row) -> Events:
        """Process ``cmd`` in the venue's engine."""
        return self.venue.engine.process(cmd)

    def advance(self, ts: int) -> Events:
        """Advance the venue to ``ts`` ns."""
        return self.venue.advance(ts)


SequencerFactory = Callable[[Venue], Sequencer]
