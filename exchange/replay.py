"""Replay a standard order stream (``shared/bench/FORMAT.md``) through either book.

A stream is an ``int64`` array of shape (N, 6): ``KIND, SIDE, PRICE, QTY, OID, INSTR``.
Replay rules: price-time priority, no self-match prevention, no bands, no margin, a grid
of prices 1..32766 for every instrument. Fills come out as (M, 4) int64 rows
``MAKER_OID, TAKER_OID, PRICE, QTY`` in the order the engine produces them.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from exchange import codes as c
from exchange import commands

Array = npt.NDArray[np.int64]

S_KIND, S_SIDE, S_PRICE, S_QTY, S_OID, S_INSTR = range(6)
STREAM_MAX_PRICE = 32766


class Book(Protocol):
    """What replay needs of an engine (``Engine`` and ``ReferenceEngine`` both fit)."""

    def process_batch(self, cmds: Array) -> Array: ...


@dataclass(frozen=True)
class ReplayResult:
    """Outcome of one replay: fills, timing (seconds) and consistency figures."""

    fills: Array
    messages: int
    seconds: float
    rejects: int
    next_order_id: int

    @property
    def messages_per_second(self) -> float:
        """Stream messages processed per wall-clock second."""
        return self.messages / self.seconds if self.seconds > 0 else float("inf")

    @property
    def traded_qty(self) -> int:
        """Contracts traded in total."""
        return int(self.fills[:, 3].sum()) if len(self.fills) else 0

    @property
    def fills_sha256(self) -> str:
        """SHA-256 of the fills array's bytes (C order, int64), as FORMAT.md defines."""
        return fills_digest(self.fills)


def fills_digest(fills: Array) -> str:
    """Return the SHA-256 hex digest of a fills array (int64, C order)."""
    arr = np.ascontiguousarray(np.asarray(fills, dtype=np.int64).reshape(-1, 4))
    return hashlib.sha256(arr.tobytes()).hexdigest()


def load_stream(path: str) -> Array:
    """Load and validate a stream file; raise ValueError naming the problem."""
    arr = np.load(path, allow_pickle=False)
    if arr.ndim != 2 or arr.shape[1] != 6:
        raise ValueError(f"{path}: a stream is an (N, 6) array, got shape {arr.shape}")
    if arr.dtype != np.int64:
        raise ValueError(f"{path}: a stream is int64, got {arr.dtype}")
    if len(arr) and (arr[:, S_KIND].min() < 0 or arr[:, S_KIND].max() > 3):
        raise ValueError(f"{path}: KIND must be 0..3")
    if len(arr) and arr[:, S_INSTR].min() < 0:
        raise ValueError(f"{path}: INSTR must be >= 0")
    return arr


def n_instruments(stream: Array) -> int:
    """Return how many instrument slots a stream uses."""
    return int(stream[:, S_INSTR].max()) + 1 if len(stream) else 1


def to_commands(stream: Array) -> Array:
    """Translate stream rows into engine command rows (vectorised; one row each)."""
    n = len(stream)
    cmds = np.zeros((n, c.CMD_WIDTH), dtype=np.int64)
    kind = stream[:, S_KIND]
    cancel = kind == 1
    cmds[:, c.C_OP] = np.where(cancel, c.OP_CANCEL, c.OP_NEW)
    cmds[:, c.C_INSTR] = stream[:, S_INSTR]
    cmds[:, c.C_SIDE] = stream[:, S_SIDE]
    cmds[:, c.C_PRICE] = np.where(cancel, 0, stream[:, S_PRICE])
    cmds[:, c.C_QTY] = stream[:, S_QTY]
    cmds[:, c.C_OID] = np.where(cancel, stream[:, S_OID], 0)
    market = kind == 3
    cmds[market, c.C_TYPE] = c.TYPE_MARKET
    cmds[market, c.C_TIF] = c.TIF_IOC
    return cmds


def listing_commands(instruments: int) -> Array:
    """Return the commands that list instrument slots 0..instruments-1."""
    return commands.stack([commands.list_instrument(i) for i in range(instruments)])


def make_book(engine: str, instruments: int, capacity: int = 1 << 16) -> Book:
    """Return a fresh book of kind ``engine`` ("numba" or "reference") set up for replay."""
    emit = c.EMIT_TRADES | (1 << c.EV_REJECTED)
    book: Book
    if engine == "numba":
        from exchange.engine import Engine

        book = Engine(instruments, STREAM_MAX_PRICE, 1, c.SMP_NONE, emit, capacity)
    elif engine == "reference":
        from exchange.reference import ReferenceEngine

        book = ReferenceEngine(instruments, STREAM_MAX_PRICE, 1, c.SMP_NONE, emit)
    else:
        raise ValueError(f"unknown engine {engine!r}: use 'numba' or 'reference'")
    book.process_batch(listing_commands(instruments))
    return book


def fills_of(events: Array) -> Array:
    """Return the fills (maker, taker, price, qty) among ``events``."""
    t = events[events[:, c.E_KIND] == c.EV_TRADE]
    return np.ascontiguousarray(
        np.stack([t[:, c.E_OTHER_OID], t[:, c.E_OID], t[:, c.E_PRICE], t[:, c.E_QTY]], axis=1)
    )


def replay(stream: Array, engine: str = "numba") -> ReplayResult:
    """Replay ``stream`` through a fresh book; time only the matching itself."""
    instruments = n_instruments(stream)
    cmds = to_commands(stream)
    if engine == "numba":  # compile (or load the cache) outside the timed run
        make_book("numba", instruments).process_batch(cmds[: min(len(cmds), 1000)])
    book = make_book(engine, instruments)
    t0 = time.perf_counter()
    events = book.process_batch(cmds)
    seconds = time.perf_counter() - t0
    rejects = int(np.count_nonzero(events[:, c.E_KIND] == c.EV_REJECTED))
    next_oid = int(getattr(book, "next_order_id", 0))
    return ReplayResult(fills_of(events), len(stream), seconds, rejects, next_oid)
