"""The numba matching engine: a thin Python owner of one arena.

``Engine`` has the same interface as ``exchange.reference.ReferenceEngine``; both
implement ``docs/matching-rules.md``. Prices in price units, quantities in contracts,
times in ns. Two entry points: ``process`` (one command per call) and
``process_batch`` (many commands in one call). For the fastest one-call-per-command
loop, call ``kernel_commands.step(engine.arena, cmds, i)`` directly.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from exchange import layout as L
from exchange.codes import CMD_WIDTH, EMIT_ALL, EV_WIDTH, SIDE_BUY, SMP_CANCEL_RESTING
from exchange.kernel_commands import events_bound, run_batch, step
from exchange.kernel_inspect import PROBLEMS, check, state_array

Events = npt.NDArray[np.int64]


class Engine:
    """Order books for ``n_instruments`` slots on a grid of prices 1..``max_price``."""

    def __init__(
        self,
        n_instruments: int,
        max_price: int,
        n_accounts: int,
        smp: int = SMP_CANCEL_RESTING,
        emit: int = EMIT_ALL,
        order_capacity: int = 1 << 12,
        event_capacity: int = 1 << 14,
    ) -> None:
        self.arena = L.allocate(
            n_instruments, max_price, n_accounts, order_capacity, smp, emit, ev_cap=event_capacity
        )
        self._one = np.zeros((1, CMD_WIDTH), dtype=np.int64)

    def __setstate__(self, state: dict[str, object]) -> None:
        """Restore a pickled engine; its arena is copied onto a cache-line boundary if
        unpickling placed it elsewhere (pool rows must each fill one cache line)."""
        self.__dict__.update(state)
        self.arena = L.aligned(self.arena)

    # ------------------------------------------------------------------ entry points
    def process(self, cmd: npt.ArrayLike) -> Events:
        """Process one command row; return its events as a (k, EV_WIDTH) array."""
        self._one[0] = cmd
        n = step(self.arena, self._one, 0)
        while n < 0:
            self._grow(self._one, 0)
            n = step(self.arena, self._one, 0)
        return self._take(n)

    def process_batch(self, cmds: npt.NDArray[np.int64]) -> Events:
        """Process (n, CMD_WIDTH) command rows in order; return all their events.

        The kernel stops whenever its event room might not hold the next command's
        events; each stop's events are copied once into the result, which is sized from
        the events per command seen so far, plus an eighth (and sized again the same way,
        at least an eighth larger, if that falls short).
        """
        cmds = np.ascontiguousarray(cmds, dtype=np.int64)
        if cmds.ndim != 2 or cmds.shape[1] != CMD_WIDTH:
            raise ValueError(f"commands must have shape (n, {CMD_WIDTH})")
        i, n = 0, len(cmds)
        self.arena[L.H_EV_N] = 0
        out: Events | None = None
        filled = 0
        while True:
            j = run_batch(self.arena, cmds, i, n)
            k = int(self.arena[L.H_EV_N])
            if j == n and out is None:
                events = self._take(k)
                self.arena[L.H_EV_N] = 0
                return events
            if k > 0:
                if out is None or filled + k > len(out):
                    done = filled + k  # the events of commands 0 .. j-1
                    guess = done * n // j
                    out = self._resized(out, filled, max(guess, done) * 9 // 8 + 16)
                off = int(self.arena[L.H_OFF_EV])
                out[filled : filled + k] = self.arena[off : off + k * EV_WIDTH].reshape(k, EV_WIDTH)
                filled += k
            self.arena[L.H_EV_N] = 0
            if j == n:
                break
            if j == i:
                self._grow(cmds, i)
            i = j
        if out is None:
            return self._take(0)
        return out[:filled] if 3 * filled >= 2 * len(out) else out[:filled].copy()

    @staticmethod
    def _resized(out: Events | None, filled: int, rows: int) -> Events:
        """Return an event array of ``rows`` rows holding the first ``filled`` of ``out``."""
        new = np.empty((rows, EV_WIDTH), dtype=np.int64)
        if out is not None:
            new[:filled] = out[:filled]
        return new

    def _take(self, n: int) -> Events:
        off = int(self.arena[L.H_OFF_EV])
        return self.arena[off : off + n * EV_WIDTH].reshape(n, EV_WIDTH).copy()

    def _grow(self, cmds: npt.NDArray[np.int64], i: int) -> None:
        """Grow what blocks command row ``i``: the pool (doubled, with the id map) when
        full, the event room when its events could overflow it, else the id map."""
        a = self.arena
        cap = int(a[L.H_POOL_CAP])
        map_size = int(a[L.H_MAP_MASK]) + 1
        ev_cap = int(a[L.H_EV_CAP])
        need = int(events_bound(a, cmds, i))
        if a[L.H_FREE_HEAD] == 0:
            cap, map_size = 2 * cap, 2 * map_size
        elif ev_cap - int(a[L.H_EV_N]) >= need:
            map_size *= 2
        if ev_cap < need:
            ev_cap = max(2 * ev_cap, need)
        self.arena = L.grow(a, cap, map_size, ev_cap)

    # ----------------------------------------------------------------------- queries
    @property
    def seq(self) -> int:
        """Sequence number of the last processed command."""
        return int(self.arena[L.H_SEQ])

    @property
    def traded_qty(self) -> int:
        """Contracts traded since start, all instruments."""
        return int(self.arena[L.H_TRADED_QTY])

    @property
    def n_fills(self) -> int:
        """Fills since start, all instruments."""
        return int(self.arena[L.H_N_FILLS])

    @property
    def next_order_id(self) -> int:
        """The id the next accepted order will get."""
        return int(self.arena[L.H_NEXT_OID])

    def _instr(self, instr: int, field: int) -> int:
        return int(self.arena[self.arena[L.H_OFF_INSTR] + instr * L.IF + field])

    def best_bid(self, instr: int) -> int:
        """Return the best bid price of ``instr`` in price units, 0 if none."""
        return self._instr(instr, L.I_BEST_BID)

    def best_ask(self, instr: int) -> int:
        """Return the best ask price of ``instr`` in price units, 0 if none."""
        return self._instr(instr, L.I_BEST_ASK)

    def last_price(self, instr: int) -> int:
        """Return the last trade price of ``instr`` in price units, 0 if none."""
        return self._instr(instr, L.I_LAST)

    def _level(self, instr: int, side: int, price: int) -> int:
        a = self.arena
        return int(a[L.H_OFF_LEVELS] + ((instr * 2 + side) * a[L.H_GRID] + price) * L.LF)

    def levels(self, instr: int, side: int) -> list[tuple[int, int, int]]:
        """Return (price, total open qty, order count) per level of one side, best first."""
        a = self.arena
        g = int(a[L.H_GRID])
        base = self._level(instr, side, 0)
        grid = a[base : base + g * L.LF].reshape(g, L.LF)
        prices = np.nonzero(grid[:, L.L_COUNT])[0]
        if side == SIDE_BUY:
            prices = prices[::-1]
        return [(int(p), int(grid[p, L.L_QTY]), int(grid[p, L.L_COUNT])) for p in prices]

    def orders_at(self, instr: int, side: int, price: int) -> list[tuple[int, int, int]]:
        """Return (order id, account, open qty) at one level in time priority."""
        a = self.arena
        out = []
        s = int(a[self._level(instr, side, price) + L.L_HEAD])
        while s != 0:
            p = int(a[L.H_OFF_POOL] + s * L.PF)
            acct = (int(a[p + L.P_META]) >> L.M_ACCOUNT) & L.MASK_ACCOUNT
            out.append((int(a[p + L.P_OID]), acct, int(a[p + L.P_QTY])))
            s = int(a[p + L.P_NEXT])
        return out

    def state_array(self) -> npt.NDArray[np.int64]:
        """Return the canonical state sequence of MR-13."""
        return np.asarray(state_array(self.arena), dtype=np.int64)

    def state_hash(self) -> str:
        """Return the SHA-256 hex digest of the canonical state (MR-13)."""
        return hashlib.sha256(self.state_array().astype("<i8").tobytes()).hexdigest()

    def check_invariants(self) -> None:
        """Raise AssertionError naming the first broken book invariant (MR-13)."""
        code, detail = check(self.arena)
        if code != 0:
            raise AssertionError(PROBLEMS[int(code)].format(int(detail)))
