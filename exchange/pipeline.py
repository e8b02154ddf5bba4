"""The one sequencer of DESIGN §2: every state change is a command that passes through here.

``command -> seq -> journal -> pre-trade gate -> matching -> consumers -> events``

- Each submitted command gets the next pipeline sequence number (1, 2, 3, …) and is
  appended to the ``Journal`` *before* it takes effect, exactly as received.
- Engine commands (``C_OP`` < 64) go through the pre-trade ``Gate`` (if any) and then to
  the venue's matching engine. A gate rejection becomes one ``EV_REJECTED`` row with the
  gate's code (19000–19099) and never reaches the engine.
- ``OP_OPEN``/``OP_CLOCK`` open the venue and move its clock (listings, expiries, GTD
  expiry); clock listeners run first, on the market as it stood.
- Commands with ``C_OP`` ≥ 100 go to the handler registered for that op (the clearing
  house registers deposits, settlements, …).
- Every event of a command is stamped with its pipeline sequence number (``E_SEQ``) and
  delivered to every ``Consumer`` in order before the next command starts.
- A command issued *while another is processed* (the clearing house cancelling a
  defaulter's orders) is *derived*: it is journaled with its cause's sequence number,
  is not gated (the clearing house does not margin itself), and is not submitted again
  on replay, where its cause regenerates it.

Replaying a journal into a fresh pipeline built with the same configuration reproduces
every sequence number and the state hash. This module knows nothing about money:
``exchange`` never imports ``clearing``; plug-ins are passed in by protocol. The
normative rules are CR-21 in ``docs/clearing-rules.md``. Times in ns, prices in price
units, quantities in contracts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange.venue import Venue

Row = npt.NDArray[np.int64]
Events = npt.NDArray[np.int64]

OP_OPEN = 64
"""Open the venue at ``C_TS``: list every contract live then."""
OP_CLOCK = 65
"""Move the venue clock to ``C_TS`` ns: clock listeners, then expiries and listings."""
PLUGIN_OP_MIN = 100
"""Ops from here up are handled by registered plug-ins (clearing uses 100–199)."""

REJECT_MIN = 19_000
"""Lowest code a gate or a handler may reject with (the wire protocol's own range)."""
REJECT_MAX = 19_099
REJ_NO_HANDLER = 19_000
"""A pipeline op with no handler, or ``C_OP`` in 66–99."""
REJ_BAD_CLOCK = 19_001
"""``OP_OPEN`` on an open venue, ``OP_CLOCK`` before opening or back in time."""

_NO_EVENTS = np.zeros((0, c.EV_WIDTH), dtype=np.int64)


class Refused(Exception):
    """Raised by a handler that refuses a command *before changing anything*.

    The pipeline turns it into an ``EV_REJECTED`` row carrying ``code``
    (19000–19099); the command stays journaled, and replay refuses it again.
    """

    def __init__(self, code: int, message: str) -> None:
        if not REJECT_MIN <= code <= REJECT_MAX:
            raise ValueError(f"reject code {code} outside {REJECT_MIN}..{REJECT_MAX}")
        self.code = code
        super().__init__(message)


class ReplayMismatch(RuntimeError):
    """Replay assigned a sequence number other than the journal's: state diverged."""


@dataclass(frozen=True)
class JournalEntry:
    """One journaled command: ``seq`` (1, 2, …), the row as received, and ``cause``
    (0 for a command from outside, else the sequence number that issued it)."""

    seq: int
    cmd: Row
    cause: int = 0


class Journal(Protocol):
    """Write-ahead log of commands (``MemoryJournal`` here; ``exchange.journal.FileJournal``)."""

    def append(self, entry: JournalEntry) -> None:
        """Store ``entry`` durably before the command takes effect."""
        ...

    def __iter__(self) -> Iterator[JournalEntry]: ...

    def __len__(self) -> int: ...


class MemoryJournal:
    """A ``Journal`` kept in a Python list. Append O(1)."""

    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []

    def append(self, entry: JournalEntry) -> None:
        """Append ``entry``."""
        self._entries.append(entry)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, i: int) -> JournalEntry:
        return self._entries[i]


@runtime_checkable
class Gate(Protocol):
    """Pre-trade check of an engine command from outside."""

    def check(self, cmd: Row) -> int:
        """Return 0 to pass ``cmd`` (a private copy it may fill, e.g. ``C_POSITION``)
        to the engine, or a reject code in 19000–19099."""
        ...


@runtime_checkable
class Consumer(Protocol):
    """Sees every event, in sequence order, before the next command starts."""

    def on_events(self, events: Events) -> None:
        """Take the events of one command (``E_SEQ`` = the pipeline sequence number)."""
        ...


@runtime_checkable
class ClockListener(Protocol):
    """Told when the clock moves, before the venue lists or expires anything."""

    def on_clock(self, ts: int) -> None:
        """Do what fell due at or before ``ts`` ns (may submit derived commands)."""
        ...


Handler = Callable[[Row], Events | None]
"""Apply one plug-in command; return its events (None = none). Raise ``Refused``."""


def reject_row(seq: int, cmd: Row, code: int) -> Events:
    """Return the one-row ``EV_REJECTED`` event for ``cmd`` (layout of MR-12)."""
    ev = np.zeros((1, c.EV_WIDTH), dtype=np.int64)
    r = ev[0]
    r[c.E_KIND] = c.EV_REJECTED
    r[c.E_SEQ] = seq
    r[c.E_TS] = cmd[c.C_TS]
    r[c.E_INSTR] = cmd[c.C_INSTR]
    r[c.E_ACCOUNT] = cmd[c.C_ACCOUNT]
    r[c.E_SIDE] = cmd[c.C_SIDE]
    r[c.E_PRICE] = cmd[c.C_PRICE]
    r[c.E_QTY] = cmd[c.C_QTY]
    if cmd[c.C_OP] in (c.OP_CANCEL, c.OP_REPLACE):
        r[c.E_OID] = cmd[c.C_OID]
    r[c.E_CODE] = code
    return ev


class Pipeline:
    """Sequence, journal, gate, match and publish every command for one ``venue``."""

    def __init__(
        self,
        venue: Venue,
        journal: Journal | None = None,
        gate: Gate | None = None,
        consumers: Iterable[Consumer] = (),
    ) -> None:
        self.venue = venue
        self.journal: Journal = journal if journal is not None else MemoryJournal()
        self.gate = gate
        self.consumers: list[Consumer] = list(consumers)
        self.clock_listeners: list[ClockListener] = []
        self.handlers: dict[int, Handler] = {}
        self._seq = 0
        self._cause = 0  # seq of the command being processed (0 = none)
        self._outbox: list[Events] = []

    # --------------------------------------------------------------- wiring
    def register(self, op: int, handler: Handler) -> None:
        """Handle commands whose ``C_OP`` is ``op`` (≥ ``PLUGIN_OP_MIN``) with ``handler``."""
        if op < PLUGIN_OP_MIN:
            raise ValueError(f"plug-in ops start at {PLUGIN_OP_MIN}, got {op}")
        if op in self.handlers:
            raise ValueError(f"op {op} already has a handler")
        self.handlers[op] = handler

    def resume(self, seq: int) -> None:
        """Continue numbering after ``seq``: the venue was restored from a snapshot taken
        there, so it already holds the effects of commands 1..``seq``."""
        if self._seq:
            raise RuntimeError("resume() is for a fresh pipeline")
        self._seq = seq

    @property
    def seq(self) -> int:
        """Return the sequence number of the last command submitted."""
        return self._seq

    # --------------------------------------------------------------- commands
    def open(self, ts: int) -> Events:
        """Open the venue at ``ts`` ns (journaled ``OP_OPEN``); return the events."""
        return self.submit(_clock_row(OP_OPEN, ts))

    def advance(self, ts: int) -> Events:
        """Move the clock to ``ts`` ns (journaled ``OP_CLOCK``); return the events."""
        return self.submit(_clock_row(OP_CLOCK, ts))

    def submit(self, cmd: npt.ArrayLike) -> Events:
        """Sequence, journal and process one command row; return every event it caused.

        The result holds the command's own events and those of any derived command, in
        the order they were delivered. Raises ``ValueError`` for a row of the wrong
        shape (nothing is journaled then).
        """
        row = np.array(cmd, dtype=np.int64).reshape(-1)
        if row.shape != (c.CMD_WIDTH,):
            raise ValueError(f"a command is {c.CMD_WIDTH} int64 fields, got {row.shape}")
        row.flags.writeable = False
        self._seq += 1
        seq, cause = self._seq, self._cause
        if cause == 0:
            self._outbox.clear()
        self.journal.append(JournalEntry(seq, row, cause))
        start = len(self._outbox)
        self._cause = seq
        try:
            own = self._process(seq, row, derived=cause != 0)
            self._deliver(seq, own)
        finally:
            self._cause = cause
        out = self._outbox[start:]
        if not out:
            return _NO_EVENTS.copy()
        return np.concatenate(out) if len(out) > 1 else out[0]

    def _process(self, seq: int, row: Row, derived: bool) -> Events:
        op = int(row[c.C_OP])
        ts = int(row[c.C_TS])
        if op < OP_OPEN:
            work = row.copy()
            if self.gate is not None and not derived:
                code = self.gate.check(work)
                if code:
                    if not REJECT_MIN <= code <= REJECT_MAX:
                        raise ValueError(f"gate returned code {code} outside the 19000 range")
                    return reject_row(seq, row, code)
            return self.venue.engine.process(work)
        if op == OP_OPEN:
            if self.venue.now is not None:
                return reject_row(seq, row, REJ_BAD_CLOCK)
            return self.venue.open(ts)
        if op == OP_CLOCK:
            if self.venue.now is None or ts < self.venue.now:
                return reject_row(seq, row, REJ_BAD_CLOCK)
            for listener in self.clock_listeners:
                listener.on_clock(ts)
            return self.venue.advance(ts)
        handler = self.handlers.get(op)
        if handler is None:
            return reject_row(seq, row, REJ_NO_HANDLER)
        try:
            out = handler(row)
        except Refused as refusal:
            return reject_row(seq, row, refusal.code)
        return _NO_EVENTS if out is None else out

    def _deliver(self, seq: int, events: Events) -> None:
        if len(events) == 0:
            return
        events = np.array(events, dtype=np.int64)
        events[:, c.E_SEQ] = seq
        for consumer in self.consumers:
            consumer.on_events(events)
        self._outbox.append(events)

    # --------------------------------------------------------------- replay
    def replay(self, entries: Iterable[JournalEntry]) -> None:
        """Re-submit every non-derived entry of a journal into this (fresh) pipeline.

        Derived entries are regenerated by their causes. Raises ``ReplayMismatch`` when a
        command would get a sequence number other than the one journaled.
        """
        last = 0
        for entry in entries:
            last = max(last, entry.seq)
            if entry.cause:
                continue
            if self._seq + 1 != entry.seq:
                raise ReplayMismatch(
                    f"journal entry {entry.seq} would replay as {self._seq + 1}: "
                    "the configuration or a plug-in differs from the original run"
                )
            self.submit(entry.cmd)
        if self._seq != last:
            raise ReplayMismatch(f"replay ended at seq {self._seq}, the journal at {last}")

    def state_hash(self) -> str:
        """Return a SHA-256 over the sequence number, the engine state (MR-13) and the
        ``state_hash()`` of every gate, consumer and clock listener that has one."""
        h = hashlib.sha256(f"seq={self._seq}\n".encode())
        h.update(self.venue.engine.state_hash().encode())
        seen: set[int] = set()
        for part in (self.gate, *self.consumers, *self.clock_listeners):
            fn = getattr(part, "state_hash", None)
            if part is None or id(part) in seen or fn is None:
                continue
            seen.add(id(part))
            h.update(str(fn()).encode())
        return h.hexdigest()


def _clock_row(op: int, ts: int) -> Row:
    r = np.zeros(c.CMD_WIDTH, dtype=np.int64)
    r[c.C_OP] = op
    r[c.C_TS] = ts
    return r
